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
 */

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

/** The key types a hostKey may have. */
export const HOST_KEY_TYPES: readonly string[] = Object.keys(KEY_TYPES);

/** Types OpenSSH knows that cannot be pinned here, and why. */
const REFUSED_TYPES: Record<string, string> = {
    "ssh-dss": "a DSA key, which OpenSSH disabled in 7.0 and removed in 9.8",
};

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
                ? `declares ${type} but the key inside is ${innerType}; write ${innerType} ${base64}`
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
