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
 * white space, and `.`/`..`; we also keep to the characters tools and ifcfg files handle.
 */
export const INTERFACE_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,14}$/;

/** Login names as useradd accepts them. */
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** A DNS name (for SSH addresses that are not IPv4 literals). */
export const DNS_NAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

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
