/**
 * A pinned SSH host key (`hostKey` of a host), decoded and checked, not only matched by a pattern.
 * Pure.
 *
 * The line is what an OpenSSH `.pub` file holds: `<type> <base64>` and, optionally, a comment
 * (`root@docker01`; empty after `ssh-keygen -C ""`, which leaves a trailing space). The base64 is
 * the key in the SSH wire format (RFC 4253 section 6.6, RFC 5656 section 3.1, RFC 8709, OpenSSH
 * PROTOCOL.u2f): a string with the key type, then per type:
 * - `ssh-ed25519`: string, the 32-byte public key;
 * - `ssh-rsa`: mpint e, mpint n (OpenSSH refuses moduli under 1024 bits and over 16384 bits);
 * - `ecdsa-sha2-nistpN`: string, the curve (`nistpN`); string, the point, uncompressed
 *   (`0x04 || X || Y`, 65, 97 or 133 bytes);
 * - `sk-ssh-ed25519@openssh.com`: the ed25519 key, then string, the application (`ssh:...`);
 * - `sk-ecdsa-sha2-nistp256@openssh.com`: the nistp256 fields, then the application.
 * Nothing may follow. The key type inside must be the one the line declares.
 *
 * Also the rest of host key verification (issue 27): where a host without `hostKey` takes its key
 * from (a known_hosts file, {@link resolveHostKeys}) and what a host with none is told.
 */
import { createHash, createHmac } from "crypto";
import { HostSpec, SshSpec, ValidationError } from "./types";

/** A host key that passed every check, in the form the program uses: `<type> <base64>`. */
export interface HostKey {
    type: string;
    /** The base64 of the wire-format key, exactly as written. */
    base64: string;
    /** The `.pub` file's comment, when the line had one; never used. */
    comment?: string;
}

/** Key types the program pins, with the part of the wire format after the type string. */
const KEY_TYPES: Record<string, (r: WireReader) => string | undefined> = {
    "ssh-ed25519": (r) => ed25519(r),
    "ssh-rsa": (r) => rsa(r),
    "ecdsa-sha2-nistp256": (r) => ecdsa(r, "nistp256", 32),
    "ecdsa-sha2-nistp384": (r) => ecdsa(r, "nistp384", 48),
    "ecdsa-sha2-nistp521": (r) => ecdsa(r, "nistp521", 66),
    "sk-ssh-ed25519@openssh.com": (r) => ed25519(r) ?? application(r),
    "sk-ecdsa-sha2-nistp256@openssh.com": (r) => ecdsa(r, "nistp256", 32) ?? application(r),
};

/** Types OpenSSH knows that cannot be pinned here, and why. */
const REFUSED_TYPES: Record<string, string> = {
    "ssh-dss": "a DSA key, which OpenSSH disabled in 7.0 and removed in 9.8",
};

/**
 * Why an `ssh-rsa` host key cannot be pinned, although it decodes: with a pinned key, pulumi-command
 * v1.2.1 offers the server only that key's algorithm name (provider/pkg/provider/remote/connection.go
 * `SSHConfig`: `HostKeyAlgorithms: []string{hostKey.Type()}`), and for an RSA key that is `ssh-rsa`,
 * signatures with SHA-1, which OpenSSH 8.8 and later refuse by default (release notes of 8.8,
 * `HostKeyAlgorithms` without `ssh-rsa`): every connection then fails with "ssh: handshake failed:
 * ssh: no common algorithm for host key". The same host has an ed25519 (or ECDSA) key.
 */
export const RSA_HOST_KEY_PROBLEM =
    "is an RSA key, which the command provider cannot use: pinned, it offers only the SHA-1 signature algorithm ssh-rsa, which OpenSSH 8.8 and later refuse (every connection fails with \"ssh: handshake failed: ssh: no common algorithm for host key\")";

/** The key types a hostKey may have (every decodable type but `ssh-rsa`, see {@link RSA_HOST_KEY_PROBLEM}). */
export const HOST_KEY_TYPES: readonly string[] = Object.keys(KEY_TYPES).filter((t) => t !== "ssh-rsa");

/** How to get a host's ed25519 key and check it, for messages: `<address>` as given, `-p` off port 22. */
export function hostKeyHowTo(address: string, port = 22): string {
    const p = port === 22 ? "" : ` -p ${port}`;
    return `get it with ssh-keyscan -t ed25519${p} ${address} and check its fingerprint (ssh-keygen -lf - on that line) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub, run on the host's console)`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes and checks a host key line. Returns the key, or why it is not one (a sentence fragment
 * that follows the quoted value: `is not ...; <fix>`).
 */
export function parseHostKey(line: string): { key: HostKey } | { problem: string } {
    const space = line.indexOf(" ");
    const type = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? undefined : line.slice(space + 1);
    const example = "write the host's public key line, like ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... (the contents of /etc/ssh/ssh_host_ed25519_key.pub on the host, or `ssh-keyscan -t ed25519 <address>` without the address)";
    if (!(type in KEY_TYPES)) {
        if (type in REFUSED_TYPES) {
            return { problem: `is ${REFUSED_TYPES[type]}; pin the host's ed25519 key instead (/etc/ssh/ssh_host_ed25519_key.pub)` };
        }
        if (type.endsWith("-cert-v01@openssh.com")) {
            return { problem: `is a host certificate; pin the host's plain key instead (${type.replace("-cert-v01@openssh.com", "")} ...)` };
        }
        return { problem: `does not start with a key type (${HOST_KEY_TYPES.join(", ")}); ${example}` };
    }
    if (rest === undefined || rest === "") {
        return { problem: `has the key type ${type} but no key after it; ${example}` };
    }
    if (rest.startsWith(" ")) {
        return { problem: `has two spaces after the key type ${type}; write <type> <base64> separated by one space` };
    }
    const space2 = rest.indexOf(" ");
    const base64 = space2 < 0 ? rest : rest.slice(0, space2);
    const comment = space2 < 0 ? undefined : rest.slice(space2 + 1);
    // the comment is dropped; it still must not hide a second line or a control character
    if (comment !== undefined && /[\p{Cc}]/u.test(comment)) {
        return { problem: `has a control character in its comment (after the key); keep the line to <type> <base64> [comment] on one line` };
    }
    if (!BASE64.test(base64) || base64.length % 4 !== 0) {
        return { problem: `has a key part that is not base64 (letters, digits, + and /, padded with = to a multiple of 4 characters); copy the key again, whole` };
    }
    const bytes = Buffer.from(base64, "base64");
    if (bytes.toString("base64") !== base64) {
        return { problem: `has a key part that is not canonical base64 (the padding bits are not zero); copy the key again, whole` };
    }
    const r = new WireReader(bytes);
    const inner = r.string();
    if (inner === undefined) {
        return { problem: `has a key part too short to hold its own type (${bytes.length} bytes); copy the key again, whole` };
    }
    const innerType = inner.toString("latin1");
    if (innerType !== type) {
        const known = innerType in KEY_TYPES || innerType in REFUSED_TYPES;
        return {
            problem: known
                ? innerType === "ssh-rsa"
                    ? `declares ${type} but the key inside is an RSA key (ssh-rsa), which ${RSA_HOST_KEY_PROBLEM.replace(/^is an RSA key, which /, "")}; pin the host's ed25519 key: ${hostKeyHowTo("<address>")}`
                    : `declares ${type} but the key inside is ${innerType}; write ${innerType} ${base64}`
                : `declares ${type} but the key inside does not name a key type (it starts with ${JSON.stringify(innerType.slice(0, 40))}); copy the key again, whole`,
        };
    }
    const problem = KEY_TYPES[type](r);
    if (problem !== undefined) {
        return { problem: `is a key of type ${type} whose ${problem}; copy the key again, whole` };
    }
    if (r.remaining() > 0) {
        return { problem: `is a key of type ${type} with ${r.remaining()} stray bytes after it; copy the key again, whole` };
    }
    if (type === "ssh-rsa") {
        return { problem: `${RSA_HOST_KEY_PROBLEM}; pin the host's ed25519 (or ECDSA) key instead: /etc/ssh/ssh_host_ed25519_key.pub on the host, or ${hostKeyHowTo("<address>")}` };
    }
    return { key: { type, base64, ...(comment !== undefined ? { comment } : {}) } };
}

/** Reads SSH wire-format fields from a buffer; undefined when a field does not fit. */
class WireReader {
    private offset = 0;

    constructor(private readonly buf: Buffer) {}

    remaining(): number {
        return this.buf.length - this.offset;
    }

    /** `string`: uint32 length, then that many bytes. */
    string(): Buffer | undefined {
        if (this.remaining() < 4) {
            return undefined;
        }
        const n = this.buf.readUInt32BE(this.offset);
        if (n > this.remaining() - 4) {
            return undefined;
        }
        const out = this.buf.subarray(this.offset + 4, this.offset + 4 + n);
        this.offset += 4 + n;
        return out;
    }
}

function ed25519(r: WireReader): string | undefined {
    const pk = r.string();
    if (pk === undefined) {
        return "public key is cut short";
    }
    return pk.length === 32 ? undefined : `public key is ${pk.length} bytes, not 32`;
}

/** An mpint that is positive and minimally encoded (RFC 4251 section 5); its bit length. */
function positiveMpint(b: Buffer): number | undefined {
    if (b.length === 0 || (b[0] & 0x80) !== 0 || (b[0] === 0 && (b.length === 1 || (b[1] & 0x80) === 0))) {
        return undefined;
    }
    const lead = b[0] === 0 ? b.subarray(1) : b;
    return (lead.length - 1) * 8 + (32 - Math.clz32(lead[0]));
}

function rsa(r: WireReader): string | undefined {
    const e = r.string();
    const n = r.string();
    if (e === undefined || n === undefined) {
        return "exponent or modulus is cut short";
    }
    const eBits = positiveMpint(e);
    if (eBits === undefined || (e[e.length - 1] & 1) === 0 || eBits < 2) {
        return "public exponent is not an odd number of at least 3";
    }
    const nBits = positiveMpint(n);
    if (nBits === undefined || (n[n.length - 1] & 1) === 0) {
        return "modulus is not an odd positive number";
    }
    if (nBits < 1024 || nBits > 16384) {
        return `modulus has ${nBits} bits (OpenSSH accepts 1024 to 16384)`;
    }
    return undefined;
}

function ecdsa(r: WireReader, curve: string, coordinateBytes: number): string | undefined {
    const name = r.string();
    const point = r.string();
    if (name === undefined || point === undefined) {
        return "curve or point is cut short";
    }
    if (name.toString("latin1") !== curve) {
        return `curve is ${JSON.stringify(name.toString("latin1").slice(0, 40))}, not ${curve}`;
    }
    if (point.length !== 1 + 2 * coordinateBytes || point[0] !== 0x04) {
        return `point is not an uncompressed ${curve} point (${1 + 2 * coordinateBytes} bytes starting with 0x04; it has ${point.length})`;
    }
    return undefined;
}

function application(r: WireReader): string | undefined {
    const app = r.string();
    if (app === undefined) {
        return "application is cut short";
    }
    return app.toString("latin1").startsWith("ssh:") ? undefined : `application is ${JSON.stringify(app.toString("latin1").slice(0, 40))}, not ssh:...`;
}

/** `SHA256:<base64 without padding>` of a key's wire format: what `ssh-keygen -lf` and ssh print. */
export function hostKeyFingerprint(base64: string): string {
    return `SHA256:${createHash("sha256").update(Buffer.from(base64, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/*
 * known_hosts (OpenSSH sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"; hostfile.c, match.c): one key per
 * line, `[@cert-authority|@revoked] <hosts> <type> <base64> [comment]`; blank lines and `#` lines are
 * skipped. <hosts> is a comma-separated list of patterns (`*`, `?`, `!` negates: a line whose
 * negated pattern matches does not apply), compared without case, or one hashed name
 * `|1|<base64 salt>|<base64 HMAC-SHA1(salt, name)>` (`HashKnownHosts yes`). The name looked up is the
 * host as ssh was given it, or `[host]:port` off port 22.
 */

/** One line of a known_hosts file that names hosts and a key. */
export interface KnownHostsEntry {
    /** 1-based line number. */
    line: number;
    marker?: "@cert-authority" | "@revoked";
    /** The hosts field as written. */
    hosts: string;
    type: string;
    base64: string;
}

/** The entries of a known_hosts file's text; lines that are not entries are skipped, as ssh skips them. Pure. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
    const out: KnownHostsEntry[] = [];
    text.split("\n").forEach((raw, i) => {
        const line = raw.replace(/\r$/, "").trim();
        if (line === "" || line.startsWith("#")) return;
        const f = line.split(/[ \t]+/);
        let marker: KnownHostsEntry["marker"];
        if (f[0].startsWith("@")) {
            if (f[0] !== "@cert-authority" && f[0] !== "@revoked") return;
            marker = f.shift() as KnownHostsEntry["marker"];
        }
        if (f.length < 3) return;
        out.push({ line: i + 1, ...(marker !== undefined ? { marker } : {}), hosts: f[0], type: f[1], base64: f[2] });
    });
    return out;
}

/** The name ssh looks a host up by in known_hosts: `host`, or `[host]:port` off port 22 (lower case). */
export function knownHostsName(address: string, port: number): string {
    const host = address.toLowerCase();
    return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH `match_pattern`: `*` any run, `?` any one character. */
function globMatch(name: string, pattern: string): boolean {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
    return re.test(name);
}

/** Whether an entry's hosts field names `name` (from {@link knownHostsName}). */
export function knownHostsEntryMatches(hosts: string, name: string): boolean {
    if (hosts.startsWith("|1|")) {
        const [, , salt, hash] = hosts.split("|");
        if (salt === undefined || hash === undefined) return false;
        const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
        return mac === hash;
    }
    let positive = false;
    for (const p of hosts.split(",")) {
        const negated = p.startsWith("!");
        if (globMatch(name, (negated ? p.slice(1) : p).toLowerCase())) {
            if (negated) return false;
            positive = true;
        }
    }
    return positive;
}

/** Preference among the types a host may have: the first one the host has is pinned. */
const PREFERRED_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"];

/**
 * The key to pin for `address:port` from a known_hosts file's entries: the host's ed25519 key, else
 * its ECDSA key (see PREFERRED_TYPES), never a revoked one; or why there is none (a sentence
 * fragment after "<file> "). Pure.
 */
export function knownHostKey(entries: readonly KnownHostsEntry[], address: string, port: number): { key: string; line: number } | { problem: string } {
    const name = knownHostsName(address, port);
    const revoked = new Set(entries.filter((e) => e.marker === "@revoked").map((e) => `${e.type} ${e.base64}`));
    const mine = entries.filter((e) => knownHostsEntryMatches(e.hosts, name));
    const plain = mine.filter((e) => e.marker === undefined && !revoked.has(`${e.type} ${e.base64}`));
    const usable = plain.filter((e) => {
        const parsed = parseHostKey(`${e.type} ${e.base64}`);
        return "key" in parsed;
    });
    for (const type of PREFERRED_TYPES) {
        const of = usable.filter((e) => e.type === type);
        const distinct = [...new Set(of.map((e) => e.base64))];
        if (distinct.length === 1) return { key: `${type} ${distinct[0]}`, line: of[0].line };
        if (distinct.length > 1) {
            return { problem: `lists ${distinct.length} different ${type} keys for ${name} (lines ${of.map((e) => e.line).join(", ")}), so it does not say which one is the host's; remove the stale ones (ssh-keygen -R ${name} -f <file>, then add the right line)` };
        }
    }
    if (plain.some((e) => e.type === "ssh-rsa")) {
        return { problem: `has only an RSA key (ssh-rsa) for ${name}, which ${RSA_HOST_KEY_PROBLEM.replace(/^is an RSA key, which /, "")}; add the host's ed25519 key` };
    }
    if (mine.some((e) => e.marker === "@cert-authority")) {
        return { problem: `has only a @cert-authority line for ${name} (host certificates), which the command provider does not check; add the host's own ed25519 key` };
    }
    if (mine.some((e) => e.marker === "@revoked")) {
        return { problem: `lists the key of ${name} as @revoked and no other; add the host's current ed25519 key` };
    }
    if (plain.length > 0) {
        return { problem: `has no usable key for ${name} (line${plain.length === 1 ? "" : "s"} ${plain.map((e) => e.line).join(", ")}: ${[...new Set(plain.map((e) => e.type))].join(", ")}, not decodable or not pinnable); add the host's ed25519 key` };
    }
    return { problem: `has no key for ${name}` };
}

/** Where the hosts without `hostKey` take theirs from: the known_hosts file's path and its text (undefined: no such file). */
export interface KnownHostsSource {
    path: string;
    text?: string;
}

/**
 * Every host with the key its connections verify (issue 27): a pinned `hostKey` stays as it is; a
 * host without one takes its key from `knownHosts` (the file the Docker provider's ssh used, so both
 * providers check the same key), marked `hostKeySource: "known_hosts"`; a host with
 * `insecureIgnoreHostKey` keeps none. A host with neither is a problem at `hosts[<i>].hostKey` that
 * says how to get the key. `hosts` in config order (a validated spec's). Pure.
 */
export function resolveHostKeys(hosts: readonly HostSpec[], knownHosts: KnownHostsSource): { hosts: HostSpec[]; errors: ValidationError[] } {
    const errors: ValidationError[] = [];
    const entries = knownHosts.text === undefined ? [] : parseKnownHosts(knownHosts.text);
    const out = hosts.map((h, i) => {
        if (h.ssh.hostKey !== undefined) return { ...h, ssh: { ...h.ssh, hostKeySource: h.ssh.hostKeySource ?? ("config" as const) } };
        if (h.ssh.insecureIgnoreHostKey === true) return h;
        const at = `hosts[${i}].hostKey`;
        const fix = `${hostKeyHowTo(h.ssh.address, h.ssh.port)}, then set ${at} to that line (or add it to ${knownHosts.path}); for a throwaway lab only, insecureIgnoreHostKey: true turns the check off`;
        if (knownHosts.text === undefined) {
            errors.push({ path: at, message: `${at} is not set for ${h.name}, and there is no known_hosts file at ${knownHosts.path} to take it from (sshKnownHostsFile): nothing would verify that ${h.ssh.address} is ${h.name}; ${fix}` });
            return h;
        }
        const found = knownHostKey(entries, h.ssh.address, h.ssh.port);
        if ("problem" in found) {
            errors.push({ path: at, message: `${at} is not set for ${h.name}, and ${knownHosts.path} ${found.problem}; ${fix}` });
            return h;
        }
        return { ...h, ssh: { ...h.ssh, hostKey: found.key, hostKeySource: "known_hosts" as const } };
    });
    return { hosts: out, errors };
}

/**
 * Why a host's connections would not verify its key, or undefined: it has no `hostKey` (pinned or
 * from known_hosts, {@link resolveHostKeys}) and no `insecureIgnoreHostKey`. Pure.
 */
export function hostKeyMissing(name: string | undefined, ssh: SshSpec): string | undefined {
    if (ssh.hostKey !== undefined || ssh.insecureIgnoreHostKey === true) return undefined;
    const who = name === undefined ? `the host at ${ssh.user}@${ssh.address}:${ssh.port}` : `host ${name} (${ssh.user}@${ssh.address}:${ssh.port})`;
    return `${who} has no host key to verify its SSH connections with: pin it as hostKey (${hostKeyHowTo(ssh.address, ssh.port)}), or take it from a known_hosts file with resolveHostKeys; insecureIgnoreHostKey: true turns the check off, for throwaway labs only`;
}
