/**
 * The allowed forms of every name and string that ends up in a script, a Docker call or a file.
 * Each pattern is a whitelist: nothing that could reach a shell unquoted passes.
 */

/** Docker's form for container and network names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. */
export const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Host names: a DNS label (also a valid hostname and a Pulumi resource name prefix). */
export const HOST_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/**
 * Linux interface names: at most 15 characters (IFNAMSIZ - 1); the kernel refuses `/`, `:` and
 * white space, and `.`/`..`; we also keep to the characters tools and ifcfg files handle. Not
 * `if<number>`: iproute2 reads a name no interface has as the interface of that index (see
 * {@link interfaceIndexProblem}).
 */
export const INTERFACE_NAME = /^(?!if-?[0-9])[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,14}$/;

/** Login names as useradd accepts them. */
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * A DNS name (for SSH addresses that are not IPv4 literals). Its last label is not a number
 * (decimal, or hexadecimal with 0x): such a "name" is an IPv4 address to glibc (see
 * {@link numericNameProblem}).
 */
export const DNS_NAME = /^(?=.{1,253}$)(?!(?:.*\.)?(?:[0-9]+|0[xX][0-9a-fA-F]*)$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * The IPv4 address glibc's `inet_aton` reads `s` as (what getaddrinfo, and so OpenSSH, does with a
 * host before any DNS lookup), in dotted decimal; undefined when it is not one. One to four parts,
 * each decimal, octal (a leading 0) or hexadecimal (0x); the last part fills the bytes the others
 * leave: `1.1.1` is 1.1.0.1, `2130706433` is 127.0.0.1, `010.1.1.1` is 8.1.1.1, `0x7f.1` is
 * 127.0.0.1 (glibc resolv/inet_addr.c). Pure.
 */
export function inetAton(s: string): string | undefined {
    const parts = s.split(".");
    if (parts.length > 4 || parts.some((p) => !/^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(p))) return undefined;
    const values = parts.map((p) => (/^0[xX]/.test(p) ? parseInt(p.slice(2), 16) : p.length > 1 && p.startsWith("0") ? parseInt(p, 8) : parseInt(p, 10)));
    const last = values[values.length - 1];
    const head = values.slice(0, -1);
    if (head.some((v) => v > 255) || last >= 2 ** (8 * (4 - head.length))) return undefined;
    let n = last;
    head.forEach((v, i) => (n += v * 2 ** (8 * (3 - i))));
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Why `name`, which has the shape of a DNS name, must not be used as one, or undefined: its last
 * label is a number. A sentence fragment after the quoted value. Pure.
 */
export function numericNameProblem(name: string): string | undefined {
    const labels = name.split(".");
    if (!/^(?:[0-9]+|0[xX][0-9a-fA-F]*)$/.test(labels[labels.length - 1])) return undefined;
    const ip = inetAton(name);
    return ip !== undefined
        ? `is no DNS name: glibc reads it as the IPv4 address ${ip} (inet_aton, which the Docker provider's ssh goes through), while the command provider (Go's resolver) asks DNS for it as a name, so the two could reach different machines; write the address as ${ip}, or a DNS name whose last label is not a number`
        : `is no DNS name: its last label is a number, which resolvers and URL parsers take for part of an IPv4 address (and no top-level domain is all digits); write an IPv4 address as four decimal numbers, or a DNS name whose last label is not a number`;
}

/**
 * Why `name` must not name an interface, or undefined: iproute2 turns a name that no interface has
 * into the index of `if<N>` (lib/ll_map.c `ll_name_to_index`, `sscanf(name, "if%u", &idx)`), so
 * `ip addr show dev if1` shows lo, and a script could act on another interface before this one
 * exists. A sentence fragment after the quoted value. Pure.
 */
export function interfaceIndexProblem(name: string): string | undefined {
    const m = /^if(-?[0-9]+)/.exec(name);
    if (m === null) return undefined;
    return `starts with "if" and a number, which iproute2 reads as the interface with index ${m[1].startsWith("-") ? 2 ** 32 + Number(m[1]) : Number(m[1])} whenever no interface has the name (ip addr show dev if1 shows lo), so a command could act on another interface; pick a name that does not start with "if" and a digit`;
}

/** The specific reason a value fails one of these patterns, when there is one (for messages). */
export function namePatternProblem(pattern: RegExp, value: string): string | undefined {
    if (pattern === DNS_NAME) return numericNameProblem(value);
    if (pattern === INTERFACE_NAME) return interfaceIndexProblem(value);
    return undefined;
}

/** An absolute path made of safe characters and without `..` components. */
export const SAFE_ABSOLUTE_PATH = /^\/(?!.*(^|\/)\.\.?(\/|$))[a-zA-Z0-9_.\/-]*$/;

/** Names of reserved (aux) addresses, volumes and the like. */
export const SIMPLE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/*
 * Docker image references (distribution/reference grammar):
 *   [domain[:port]/]path-component(/path-component)*[:tag][@digest]
 */
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
export const IMAGE_REFERENCE = new RegExp(
    `^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

/** The parts of an image reference. */
export interface ImageReference {
    /** `host[:port]` when the first component is a registry (has `.` or `:`, or is `localhost`). */
    registry?: string;
    /** Repository path without the registry: `busybox`, `library/busybox`. */
    repository: string;
    /** Tag; undefined when the reference has none (Docker then uses `latest`). */
    tag?: string;
    digest?: string;
}

/** Parses an image reference, or returns undefined when Docker would refuse it. */
export function parseImageReference(ref: string): ImageReference | undefined {
    if (ref.length > 255) {
        return undefined;
    }
    // A first component without '.', ':' or "localhost" is a path, not a registry: re-split.
    const m = IMAGE_REFERENCE.exec(ref);
    if (!m) {
        return undefined;
    }
    let domain: string | undefined = m[1];
    let path = m[2];
    const tag: string | undefined = m[3];
    const digest: string | undefined = m[4];
    if (domain !== undefined && !/[.:]/.test(domain) && domain !== "localhost") {
        if (!new RegExp(`^${PATH_COMPONENT}$`).test(domain)) {
            return undefined;
        }
        path = `${domain}/${path}`;
        domain = undefined;
    }
    return { registry: domain, repository: path, tag, digest };
}
