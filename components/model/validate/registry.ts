/**
 * The `registry:` section: the private registry's host, address and port, image and volume, the
 * images it mirrors, its security and users; and the rule an image reference that names the
 * registry must follow ({@link checkRegistryReference}).
 */
import { IPV4 } from "../../contracts";
import { HostSpec, MirrorSpec, REGISTRY_SECURITY, RegistrySpec, RegistryUserSpec } from "../types";
import { DNS_NAME, DOCKER_NAME, HOST_NAME, parseImageReference } from "../names";
import { quote } from "../messages";
import { Reader, imageRef } from "./reader";
import { lookupHost } from "./hosts";

const REGISTRY_FIELDS = ["host", "address", "port", "image", "volume", "mirrors", "security", "users", "migrateUnitFlag"] as const;
const REGISTRY_USER_FIELDS = ["name", "password"] as const;
/** An htpasswd user name: no `:` (the field separator), nothing a shell or YAML would bend. */
const REGISTRY_USER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
const MIRROR_FIELDS = ["source", "name", "tag"] as const;

export function readRegistry(r: Reader, v: unknown, hosts: Map<string, HostSpec>): RegistrySpec | undefined {
    if (v === undefined) {
        return undefined;
    }
    const o = r.object(v, "registry", REGISTRY_FIELDS, "the registry");
    if (!o) {
        return undefined;
    }
    const hostName = r.string(o.host, "registry.host", HOST_NAME, "a host name");
    const host = lookupHost(r, hosts, hostName, "registry.host");
    const port = o.port === undefined ? 5000 : r.int(o.port, "registry.port", 1, 65535, "a TCP port");
    const address =
        o.address === undefined
            ? host?.ssh.address
            : typeof o.address === "string" && IPV4.test(o.address)
              ? o.address
              : r.string(o.address, "registry.address", DNS_NAME, "an IPv4 address or DNS name the other hosts reach the registry at");
    const image = o.image === undefined ? "registry:2" : imageRef(r, o.image, "registry.image");
    const volume = o.volume === undefined ? "registry-data" : r.string(o.volume, "registry.volume", DOCKER_NAME, "a Docker volume name");
    const mirrors: MirrorSpec[] = [];
    const seen = new Map<string, number>();
    (o.mirrors === undefined ? [] : r.array(o.mirrors, "registry.mirrors", "registry.mirrors") ?? []).forEach((m, i) => {
        const p = `registry.mirrors[${i}]`;
        const mo = typeof m === "string" ? { source: m } : r.object(m, p, MIRROR_FIELDS, "a mirror");
        if (!mo) {
            return;
        }
        const source = imageRef(r, mo.source, typeof m === "string" ? p : `${p}.source`);
        const parsed = source !== undefined ? parseImageReference(source) : undefined;
        const defaultName = parsed?.repository.split("/").pop();
        const name = mo.name === undefined ? defaultName : r.string(mo.name, `${p}.name`, /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, "a repository name like busybox");
        const tag = mo.tag === undefined ? parsed?.tag ?? "latest" : r.string(mo.tag, `${p}.tag`, /^[\w][\w.-]{0,127}$/, "a tag like v1");
        if (name !== undefined && tag !== undefined && source !== undefined) {
            const key = `${name}:${tag}`;
            if (seen.has(key)) {
                r.fail(p, `${p} ${quote(m)} pushes ${key} again (registry.mirrors[${seen.get(key)}] does already); push each name:tag once`);
                return;
            }
            seen.set(key, i);
            mirrors.push({ source, name, tag });
        }
    });
    const security = o.security === undefined ? "tls" : r.oneOf(o.security, "registry.security", REGISTRY_SECURITY);
    const users = readRegistryUsers(r, o.users);
    if (security === "insecure" && users.length > 0) {
        r.fail("registry.users", `registry.users is set but registry.security is "insecure": basic auth over plain HTTP sends the passwords in clear on the LAN; use security: tls, or remove the users`);
    }
    const migrateUnitFlag = o.migrateUnitFlag === undefined ? false : r.bool(o.migrateUnitFlag, "registry.migrateUnitFlag");
    if (!host || port === undefined || address === undefined || image === undefined || volume === undefined || security === undefined || migrateUnitFlag === undefined) {
        return undefined;
    }
    return { host: host.name, address, port, image, volume, endpoint: `${address}:${port}`, mirrors, security, users, migrateUnitFlag };
}

/** `registry.users`: `{name, password}` each; a password is never shown in a message. */
function readRegistryUsers(r: Reader, v: unknown): RegistryUserSpec[] {
    const out: RegistryUserSpec[] = [];
    const seen = new Map<string, number>();
    (v === undefined ? [] : r.array(v, "registry.users", "registry.users") ?? []).forEach((u, i) => {
        const p = `registry.users[${i}]`;
        const uo = r.object(u, p, REGISTRY_USER_FIELDS, "a registry user");
        if (!uo) {
            return;
        }
        const name = r.string(uo.name, `${p}.name`, REGISTRY_USER_NAME, "a user name of letters, digits and . _ - (at most 64, no colon)");
        let password: string | undefined;
        if (typeof uo.password !== "string" || uo.password === "") {
            r.fail(`${p}.password`, `${p}.password is ${uo.password === undefined ? "missing" : "not a non-empty string"}; set it as a secret: pulumi config set --secret --path 'registry.users[${i}].password' (it is read from stdin when no value is given)`);
        } else if (/[\0\n]/.test(uo.password)) {
            r.fail(`${p}.password`, `${p}.password holds a NUL or newline character; pick a password without them`);
        } else {
            password = uo.password;
        }
        if (name !== undefined && seen.has(name)) {
            r.fail(`${p}.name`, `${p}.name ${quote(name)} is already registry.users[${seen.get(name)}]; give each user once`);
            return;
        }
        if (name !== undefined) {
            seen.set(name, i);
        }
        if (name !== undefined && password !== undefined) {
            out.push({ name, password });
        }
    });
    return out;
}

/**
 * An image that names the stack's registry host must name it exactly (address and port), and be a
 * name:tag the registry mirrors. The tutorial's `192.168.1.11/busybox:v1` drops the port.
 */
export function checkRegistryReference(r: Reader, path: string, image: string, registry: RegistrySpec | undefined): void {
    const ref = parseImageReference(image);
    if (!ref || ref.registry === undefined || !registry) {
        return;
    }
    const [domain, port] = ref.registry.split(":");
    if (domain !== registry.address) {
        return;
    }
    const fixed = `${registry.endpoint}/${ref.repository}:${ref.tag ?? "latest"}`;
    if (port === undefined || Number(port) !== registry.port) {
        r.fail(path, `${path} ${quote(image)} names the stack's registry host ${domain} ${port === undefined ? "without its port" : `with port ${port}`}, but the registry listens on ${registry.endpoint}; write ${fixed}`);
        return;
    }
    const tag = ref.tag ?? "latest";
    if (!registry.mirrors.some((m) => m.name === ref.repository && m.tag === tag)) {
        r.fail(path, `${path} ${quote(image)} is not pushed to the stack's registry (it holds ${registry.mirrors.map((m) => `${m.name}:${m.tag}`).join(", ") || "nothing"}); add it to registry.mirrors or use one of those`);
    }
}
