/**
 * Pinned host keys decoded and checked (components/model/hostKey.ts), and the pieces of validation
 * messages (components/model/messages.ts): quoting, paths, the closest valid name.
 *
 * The real keys below were made with `ssh-keygen -t <type> -C <comment>` (OpenSSH 9.2); a `.pub`
 * file made with `-C ""` ends with a space. The broken keys are built field by field in the SSH
 * wire format, so each one is wrong in exactly one way.
 */
import * as assert from "assert";
import { createHmac } from "crypto";
import {
    HOST_KEY_TYPES,
    RSA_HOST_KEY_PROBLEM,
    hostKeyFingerprint,
    hostKeyMissing,
    knownHostKey,
    knownHostsEntryMatches,
    parseHostKey,
    parseKnownHosts,
    resolveHostKeys,
} from "../../components/model/hostKey";
import { HostSpec } from "../../components/model/types";
import { closest, editDistance, pathKey, quote } from "../../components/model/messages";

const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";
const RSA3072 =
    "AAAAB3NzaC1yc2EAAAADAQABAAABgQC/tkLVOpt75oxFNcLdOciR4WB+dNXfgijW0/HQRdzvdc+7kJuoh9biD3NQ9veOdU3uJa3f016Ge4XI7n1CX8pDkzKRg+FgME3pMn8SPQut6kZziyU8p+Y/1zbL1cKuhOQsS0c/3Ntvhu9IgWmDZ+n3nFUGRObikXhnrwJoJf4n6u+74ECGqXEyeKP12SZ8C7lR1AhaPLHKQAjaGUAuPsAasQL+/zz+Rdl/PgCDi+f2FPrjNzrCQUxORf3xJYcHxA2vgPUBMULktZhRLF5EJTx6TT9I1EPB1l1H/aO5Tf3oFwZSAoxZ6RY5yyB4AZNPK3Q4paREpfJETc5UswnQYeh7JcFEv0fQRwigDObtAyNpOt5c07o+FmF9DoWFhEygYaakEg2B11hCD65imANkWprnKC98BL4URqKJk6xultjGbuA5G1RIb/B9rgYYJurpUseN6HC28B1FvN6yjg8ydtCvxkGDhvT4+tutRSMQfnDxvuE8InT8sYNTtA8U155xTgk=";
const RSA1024 =
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDQJOZKvDlW+0AOcONxcnLbjITCuJv4GVISoXs8+5Rp4581qLjZSFVgKCkB+11LjiAunWGUzD6WKmQcQc/5vmkw9HFHbJM7wZx3pML9bK0qhwOa+1tqiq+epxt4P/6zeaH0CG5FnDhl6cBudtljHRAw+gmqKKGK7pbmA7yQpuUggw==";
const P256 = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBB3c1jeVCin5ZIMKWbecnUd7aJvHhf/pswwxpKyDGcS8UmDJ2m7JwC5Zo2klMpJspFOHKbk2POI34UNFSGQPn2E=";
const P384 =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBB39G1rVK0vgmmYjxwkEiAldg/YYv/V5xU+D2LF3jMVqJSRAydtS0RlnPmlX2/GR+5z6H01r/N71EJ8PIoMfj7q3M6kR7LDMDPwaEQqc+adtjGPZ1r9pbzj3EHsY0KFH/w==";
const P521 =
    "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAGMMnWJ3IH9pGQPSv8mMRk5m6VE//USeb4ktx1RgbsPTU48R7DLIp4BBKzTqQHd5iS6hbU8Y/nGHlqaiVHC3VsH9ADEu4/p2zYzNHjEX5ntxgpUbgz5kdeLTi8WSJREzrMCq1ZLBVw6d5I6PHpUKhL6MGaiVL9qZguc27n/Akg+Chxv7w==";

/** SSH wire `string`: uint32 length, then the bytes. */
function str(b: Buffer | string): Buffer {
    const body = typeof b === "string" ? Buffer.from(b, "latin1") : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
}

function b64(...parts: Buffer[]): string {
    return Buffer.concat(parts).toString("base64");
}

const bytes = (n: number, fill = 7): Buffer => Buffer.alloc(n, fill);

describe("parseHostKey: real keys, with and without the .pub file's comment", () => {
    const real: Array<[string, string]> = [
        ["ssh-ed25519", ED25519],
        ["ecdsa-sha2-nistp256", P256],
        ["ecdsa-sha2-nistp384", P384],
        ["ecdsa-sha2-nistp521", P521],
    ];
    for (const [type, base64] of real) {
        it(`${type} (${base64.length} base64 characters)`, () => {
            assert.deepStrictEqual(parseHostKey(`${type} ${base64}`), { key: { type, base64 } });
            assert.deepStrictEqual(parseHostKey(`${type} ${base64} root@docker01`), { key: { type, base64, comment: "root@docker01" } });
            // ssh-keygen -C "" leaves a trailing space; a comment may hold spaces
            assert.deepStrictEqual(parseHostKey(`${type} ${base64} `), { key: { type, base64, comment: "" } });
            assert.deepStrictEqual(parseHostKey(`${type} ${base64} my lab key`), { key: { type, base64, comment: "my lab key" } });
        });
    }

    it("security keys: sk-ssh-ed25519 and sk-ecdsa-sha2-nistp256 with their application", () => {
        const skEd = b64(str("sk-ssh-ed25519@openssh.com"), str(bytes(32)), str("ssh:"));
        assert.deepStrictEqual(parseHostKey(`sk-ssh-ed25519@openssh.com ${skEd}`), { key: { type: "sk-ssh-ed25519@openssh.com", base64: skEd } });
        const point = Buffer.concat([Buffer.from([4]), bytes(64)]);
        const skEc = b64(str("sk-ecdsa-sha2-nistp256@openssh.com"), str("nistp256"), str(point), str("ssh:lab"));
        assert.deepStrictEqual(parseHostKey(`sk-ecdsa-sha2-nistp256@openssh.com ${skEc}`), { key: { type: "sk-ecdsa-sha2-nistp256@openssh.com", base64: skEc } });
        assert.deepStrictEqual(HOST_KEY_TYPES.length, 6);
    });

    it("refuses real RSA keys, whole and well formed, with the reason (the command provider offers only SHA-1 ssh-rsa) and the fix", () => {
        for (const k of [RSA3072, RSA1024]) {
            const r = parseHostKey(`ssh-rsa ${k} root@docker01`);
            assert.ok("problem" in r);
            assert.strictEqual(
                r.problem,
                `${RSA_HOST_KEY_PROBLEM}; pin the host's ed25519 (or ECDSA) key instead: /etc/ssh/ssh_host_ed25519_key.pub on the host, or get it with ssh-keyscan -t ed25519 <address> and check its fingerprint (ssh-keygen -lf - on that line) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub, run on the host's console)`,
            );
            assert.match(r.problem, /OpenSSH 8\.8 and later refuse \(every connection fails with "ssh: handshake failed: ssh: no common algorithm for host key"\)/);
        }
        // an RSA key declared as another type says the same
        const declared = parseHostKey(`ssh-ed25519 ${RSA1024}`);
        assert.ok("problem" in declared && declared.problem.startsWith("declares ssh-ed25519 but the key inside is an RSA key (ssh-rsa), which the command provider cannot use"), JSON.stringify(declared));
    });
});

describe("parseHostKey: what it refuses, and why", () => {
    const problem = (line: string): string => {
        const r = parseHostKey(line);
        assert.ok("problem" in r, `${line} was accepted`);
        return r.problem;
    };
    const table: Array<[string, string, string]> = [
        ["no key type", ED25519, "does not start with a key type (ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com); write the host's public key line"],
        ["a misspelt type", `ssh-ed2519 ${ED25519}`, "does not start with a key type"],
        ["a DSA key", `ssh-dss ${ED25519}`, "is a DSA key, which OpenSSH disabled in 7.0 and removed in 9.8; pin the host's ed25519 key instead (/etc/ssh/ssh_host_ed25519_key.pub)"],
        ["a certificate", `ssh-ed25519-cert-v01@openssh.com ${ED25519}`, "is a host certificate; pin the host's plain key instead (ssh-ed25519 ...)"],
        ["the type alone", "ssh-ed25519", "has the key type ssh-ed25519 but no key after it"],
        ["the type and a space", "ssh-ed25519 ", "has the key type ssh-ed25519 but no key after it"],
        ["two spaces after the type", `ssh-ed25519  ${ED25519}`, "has two spaces after the key type ssh-ed25519; write <type> <base64> separated by one space"],
        ["shell syntax in place of base64", "ssh-ed25519 AAAA; curl x", "has a key part that is not base64"],
        ["base64 cut short (not a multiple of 4)", `ssh-ed25519 ${ED25519.slice(0, -1)}`, "has a key part that is not base64"],
        ["base64 with non-zero padding bits", `ssh-rsa ${RSA1024.slice(0, -3)}h==`, "has a key part that is not canonical base64 (the padding bits are not zero)"],
        ["a newline inside the comment", `ssh-ed25519 ${ED25519} a\nssh-rsa AAAA`, "has a control character in its comment"],
        ["a key whose type field is cut short", `ssh-ed25519 ${b64(Buffer.from([0, 0, 0, 40]), Buffer.from("ssh-ed25519"))}`, "has a key part too short to hold its own type (15 bytes)"],
        ["an ed25519 key declared as RSA", `ssh-rsa ${ED25519}`, `declares ssh-rsa but the key inside is ssh-ed25519; write ssh-ed25519 ${ED25519}`],
        ["an ECDSA P-256 key declared as P-384", `ecdsa-sha2-nistp384 ${P256}`, `declares ecdsa-sha2-nistp384 but the key inside is ecdsa-sha2-nistp256; write ecdsa-sha2-nistp256 ${P256}`],
        ["a key of no known type inside", `ssh-ed25519 ${b64(str("x-unknown"), str(bytes(32)))}`, 'declares ssh-ed25519 but the key inside does not name a key type (it starts with "x-unknown")'],
        ["an ed25519 key of 31 bytes", `ssh-ed25519 ${b64(str("ssh-ed25519"), str(bytes(31)))}`, "is a key of type ssh-ed25519 whose public key is 31 bytes, not 32; copy the key again, whole"],
        ["an ed25519 key cut short", `ssh-ed25519 ${b64(str("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), bytes(20))}`, "is a key of type ssh-ed25519 whose public key is cut short"],
        ["an ed25519 key with bytes after it", `ssh-ed25519 ${b64(str("ssh-ed25519"), str(bytes(32)), bytes(3))}`, "is a key of type ssh-ed25519 with 3 stray bytes after it"],
        ["an RSA key of 1016 bits", `ssh-rsa ${b64(str("ssh-rsa"), str(Buffer.from([1, 0, 1])), str(Buffer.concat([bytes(127, 0x41)])))}`, "is a key of type ssh-rsa whose modulus has 1015 bits (OpenSSH accepts 1024 to 16384)"],
        ["an RSA key with an even exponent", `ssh-rsa ${b64(str("ssh-rsa"), str(Buffer.from([1, 0, 0])), str(Buffer.concat([bytes(128, 0x41)])))}`, "whose public exponent is not an odd number of at least 3"],
        ["an RSA key with exponent 1", `ssh-rsa ${b64(str("ssh-rsa"), str(Buffer.from([1])), str(Buffer.concat([bytes(128, 0x41)])))}`, "whose public exponent is not an odd number of at least 3"],
        ["an RSA key with a negative modulus", `ssh-rsa ${b64(str("ssh-rsa"), str(Buffer.from([1, 0, 1])), str(bytes(128, 0xc1)))}`, "whose modulus is not an odd positive number"],
        ["an RSA key with a padded modulus", `ssh-rsa ${b64(str("ssh-rsa"), str(Buffer.from([1, 0, 1])), str(Buffer.concat([Buffer.from([0]), bytes(128, 0x41)])))}`, "whose modulus is not an odd positive number"],
        ["an ECDSA key on another curve", `ecdsa-sha2-nistp256 ${b64(str("ecdsa-sha2-nistp256"), str("nistp384"), str(Buffer.concat([Buffer.from([4]), bytes(64)])))}`, 'whose curve is "nistp384", not nistp256'],
        ["an ECDSA key with a compressed point", `ecdsa-sha2-nistp256 ${b64(str("ecdsa-sha2-nistp256"), str("nistp256"), str(Buffer.concat([Buffer.from([2]), bytes(32)])))}`, "whose point is not an uncompressed nistp256 point (65 bytes starting with 0x04; it has 33)"],
        ["a security key without its application", `sk-ssh-ed25519@openssh.com ${b64(str("sk-ssh-ed25519@openssh.com"), str(bytes(32)))}`, "whose application is cut short"],
        ["a security key with another application", `sk-ssh-ed25519@openssh.com ${b64(str("sk-ssh-ed25519@openssh.com"), str(bytes(32)), str("web:x"))}`, 'whose application is "web:x", not ssh:...'],
    ];
    for (const [what, line, expected] of table) {
        it(`refuses ${what}`, () => {
            const p = problem(line);
            assert.ok(p.includes(expected), `${JSON.stringify(p)} does not say ${JSON.stringify(expected)}`);
        });
    }

    it("refuses an RSA modulus under 1024 bits by its size", () => {
        const n = Buffer.concat([Buffer.from([0x41]), bytes(95, 0x41)]); // 96 bytes, top byte 0x41: 767 bits
        assert.strictEqual(
            problem(`ssh-rsa ${b64(str("ssh-rsa"), str(Buffer.from([1, 0, 1])), str(n))}`),
            "is a key of type ssh-rsa whose modulus has 767 bits (OpenSSH accepts 1024 to 16384); copy the key again, whole",
        );
    });
});

describe("messages: a value shown exactly", () => {
    const table: Array<[unknown, string]> = [
        ["", '""'],
        ["ens33", '"ens33"'],
        ["a\nb", String.raw`"a\nb"`],
        ["tab\there", String.raw`"tab\there"`],
        ['quote " and \\', String.raw`"quote \" and \\"`],
        ["no\u00a0break", String.raw`"no\u00a0break"`],
        ["zero\u200bwidth", String.raw`"zero\u200bwidth"`],
        ["\ufeffbom", String.raw`"\ufeffbom"`],
        ["ideographic\u3000space", String.raw`"ideographic\u3000space"`],
        ["del\u007f", String.raw`"del\u007f"`],
        ["c1\u0085", String.raw`"c1\u0085"`],
        ["line\u2028sep", String.raw`"line\u2028sep"`],
        ["lone\ud800", String.raw`"lone\ud800"`],
        ["ens33：中文", '"ens33：中文"'],
        [0, "0"],
        [5000, "5000"],
        [true, "true"],
        [null, "null"],
        [undefined, "(missing)"],
        [[], "[]"],
        [["sleep", "a\u200b"], String.raw`["sleep","a\u200b"]`],
        [{ a: 1 }, '{"a":1}'],
    ];
    for (const [v, expected] of table) {
        it(`${JSON.stringify(v) ?? "undefined"} -> ${expected}`, () => assert.strictEqual(quote(v), expected));
    }
});

describe("messages: paths and the closest name", () => {
    it("writes keys that read as themselves after a dot, others in brackets", () => {
        assert.strictEqual(pathKey("vlans[0].addresses", "docker01"), "vlans[0].addresses.docker01");
        assert.strictEqual(pathKey("networks[1]", "mac address"), 'networks[1]["mac address"]');
        assert.strictEqual(pathKey("x", "a\nb"), String.raw`x["a\nb"]`);
        assert.strictEqual(pathKey("", "hosts"), "hosts");
    });

    it("measures edits with transpositions and half-weight case changes", () => {
        assert.strictEqual(editDistance("nics", "nic"), 1);
        assert.strictEqual(editDistance("hsots", "hosts"), 1);
        assert.strictEqual(editDistance("Hosts", "hosts"), 0.5);
        assert.strictEqual(editDistance("", "abc"), 3);
    });

    const table: Array<[string, string[], string | undefined]> = [
        ["nics", ["name", "nic", "nicIsManagement"], "nic"],
        ["adress", ["name", "address", "port"], "address"],
        ["defaultroute", ["gateway", "defaultRoute"], "defaultRoute"],
        ["subent", ["subnet", "gateway"], "subnet"],
        ["timeout", ["count", "timeoutSeconds"], "timeoutSeconds"],
        ["x", ["id", "ip"], undefined],
        ["docker03", ["docker01", "docker02"], undefined], // as far from both: no guess
        ["hots", ["hosts", "ssh", "vlans"], "hosts"],
        ["mac address", ["name", "driver", "mode"], undefined],
    ];
    for (const [word, candidates, expected] of table) {
        it(`${word} among ${candidates.join(", ")} -> ${expected ?? "none"}`, () => assert.strictEqual(closest(word, candidates), expected));
    }
});

describe("known_hosts: the key a host without hostKey takes (issue 27)", () => {
    const ed = (fill: number): string => b64(str("ssh-ed25519"), str(bytes(32, fill)));
    const K1 = ed(1);
    const K2 = ed(2);
    /** `|1|salt|hash` as ssh-keygen -H writes it. */
    const hashed = (name: string, salt = Buffer.alloc(20, 9)): string => `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
    const host = (name: string, address: string, port = 22, extra: Partial<HostSpec["ssh"]> = {}): HostSpec => ({
        name, nic: "ens33", nicIsManagement: true, backend: "ifcfg", configDir: "/etc/sysconfig/network-scripts",
        ssh: { address, port, user: "root", dialErrorLimit: 5, perDialTimeout: 10, ...extra },
    });

    it("parses entries: markers, comments, blank and short lines skipped, CRLF, line numbers", () => {
        const text = `# comment\n\n192.168.1.11 ssh-ed25519 ${K1} root@a\r\n@revoked * ssh-ed25519 ${K2}\n@cert-authority *.lab ssh-ed25519 ${K1}\n@bogus x ssh-ed25519 ${K1}\nshort line\n`;
        assert.deepStrictEqual(parseKnownHosts(text), [
            { line: 3, hosts: "192.168.1.11", type: "ssh-ed25519", base64: K1 },
            { line: 4, marker: "@revoked", hosts: "*", type: "ssh-ed25519", base64: K2 },
            { line: 5, marker: "@cert-authority", hosts: "*.lab", type: "ssh-ed25519", base64: K1 },
        ]);
    });

    const matches: Array<[string, string, boolean]> = [
        ["192.168.1.11", "192.168.1.11", true],
        ["docker01,192.168.1.11", "192.168.1.11", true],
        ["192.168.1.1", "192.168.1.11", false],
        ["192.168.1.*", "192.168.1.11", true],
        ["192.168.1.?", "192.168.1.11", false],
        ["192.168.1.*,!192.168.1.11", "192.168.1.11", false],
        ["!192.168.1.12,192.168.1.*", "192.168.1.11", true],
        ["DOCKER01.lab", "docker01.lab", true],
        ["[192.168.1.11]:2222", "[192.168.1.11]:2222", true],
        ["192.168.1.11", "[192.168.1.11]:2222", false],
        ["a.b", "axb", false], // a dot is a dot, not any character
        [hashed("192.168.1.11"), "192.168.1.11", true],
        [hashed("192.168.1.11"), "192.168.1.13", false],
        [hashed("[192.168.1.11]:2222"), "[192.168.1.11]:2222", true],
        ["|1|broken", "192.168.1.11", false],
    ];
    for (const [hosts, name, expected] of matches) {
        it(`${hosts.length > 40 ? "a hashed name" : hosts} ${expected ? "names" : "does not name"} ${name}`, () => assert.strictEqual(knownHostsEntryMatches(hosts, name), expected));
    }

    it("prefers the host's ed25519 key over ECDSA, skips RSA, revoked and other hosts' keys", () => {
        const text = [
            `192.168.1.13 ssh-ed25519 ${K2}`,
            `192.168.1.11 ecdsa-sha2-nistp256 ${P256}`,
            `192.168.1.11 ssh-rsa ${RSA1024}`,
            `192.168.1.11 ssh-ed25519 ${K1}`,
        ].join("\n");
        assert.deepStrictEqual(knownHostKey(parseKnownHosts(text), "192.168.1.11", 22), { key: `ssh-ed25519 ${K1}`, line: 4 });
        assert.deepStrictEqual(knownHostKey(parseKnownHosts(`${text}\n@revoked * ssh-ed25519 ${K1}`), "192.168.1.11", 22), { key: `ecdsa-sha2-nistp256 ${P256}`, line: 2 });
        // the same key twice (by name and by address) is one key
        assert.deepStrictEqual(knownHostKey(parseKnownHosts(`docker01 ssh-ed25519 ${K1}\n192.168.1.11 ssh-ed25519 ${K1}\n192.168.1.11 ssh-ed25519 ${K1}`), "192.168.1.11", 22), { key: `ssh-ed25519 ${K1}`, line: 2 });
        // off port 22 only [host]:port entries count
        assert.deepStrictEqual(knownHostKey(parseKnownHosts(`192.168.1.11 ssh-ed25519 ${K1}\n[192.168.1.11]:2222 ssh-ed25519 ${K2}`), "192.168.1.11", 2222), { key: `ssh-ed25519 ${K2}`, line: 2 });
    });

    const problems: Array<[string, string, string]> = [
        ["no entry for the host", `192.168.1.13 ssh-ed25519 ${K1}`, "has no key for 192.168.1.11"],
        ["two different ed25519 keys", `192.168.1.11 ssh-ed25519 ${K1}\n192.168.1.* ssh-ed25519 ${K2}`, "lists 2 different ssh-ed25519 keys for 192.168.1.11 (lines 1, 2), so it does not say which one is the host's; remove the stale ones (ssh-keygen -R 192.168.1.11 -f <file>, then add the right line)"],
        ["only an RSA key", `192.168.1.11 ssh-rsa ${RSA3072}`, "has only an RSA key (ssh-rsa) for 192.168.1.11, which the command provider cannot use: pinned, it offers only the SHA-1 signature algorithm ssh-rsa"],
        ["only a certificate authority", `@cert-authority 192.168.1.* ssh-ed25519 ${K1}`, "has only a @cert-authority line for 192.168.1.11 (host certificates), which the command provider does not check"],
        ["only a revoked key", `192.168.1.11 ssh-ed25519 ${K1}\n@revoked 192.168.1.11 ssh-ed25519 ${K1}`, "lists the key of 192.168.1.11 as @revoked and no other"],
        ["a key that does not decode", `192.168.1.11 ssh-ed25519 AAAA`, "has no usable key for 192.168.1.11 (line 1: ssh-ed25519, not decodable or not pinnable)"],
    ];
    for (const [what, text, expected] of problems) {
        it(`says why there is no key: ${what}`, () => {
            const r = knownHostKey(parseKnownHosts(text), "192.168.1.11", 22);
            assert.ok("problem" in r, JSON.stringify(r));
            assert.ok(r.problem.startsWith(expected), r.problem);
        });
    }

    it("resolveHostKeys: pinned stays (source config), known_hosts fills the others (source known_hosts), the opt-out keeps none", () => {
        const hosts = [
            host("docker01", "192.168.1.11", 22, { hostKey: `ssh-ed25519 ${K2}` }),
            host("docker02", "192.168.1.13", 2222),
            host("docker03", "192.168.1.15", 22, { insecureIgnoreHostKey: true }),
        ];
        const r = resolveHostKeys(hosts, { path: "/k", text: `192.168.1.11 ssh-ed25519 ${K1}\n[192.168.1.13]:2222 ssh-ed25519 ${K1}\n` });
        assert.deepStrictEqual(r.errors, []);
        assert.deepStrictEqual(r.hosts.map((h) => [h.ssh.hostKey, h.ssh.hostKeySource, h.ssh.insecureIgnoreHostKey]), [
            [`ssh-ed25519 ${K2}`, "config", undefined],
            [`ssh-ed25519 ${K1}`, "known_hosts", undefined],
            [undefined, undefined, true],
        ]);
        assert.deepStrictEqual(hosts[1].ssh.hostKey, undefined, "the input is not changed");
    });

    it("resolveHostKeys: a host with neither is an error at its hostKey that names the file and how to get the key", () => {
        const hosts = [host("docker01", "192.168.1.11"), host("docker02", "192.168.1.13", 2222)];
        const none = resolveHostKeys(hosts, { path: "~/.ssh/known_hosts" });
        assert.deepStrictEqual(none.errors.map((e) => e.path), ["hosts[0].hostKey", "hosts[1].hostKey"]);
        assert.strictEqual(
            none.errors[0].message,
            "hosts[0].hostKey is not set for docker01, and there is no known_hosts file at ~/.ssh/known_hosts to take it from (sshKnownHostsFile): nothing would verify that 192.168.1.11 is docker01; " +
                "get it with ssh-keyscan -t ed25519 192.168.1.11 and check its fingerprint (ssh-keygen -lf - on that line) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub, run on the host's console), " +
                "then set hosts[0].hostKey to that line (or add it to ~/.ssh/known_hosts); for a throwaway lab only, insecureIgnoreHostKey: true turns the check off",
        );
        assert.match(none.errors[1].message, /ssh-keyscan -t ed25519 -p 2222 192\.168\.1\.13 /);
        const other = resolveHostKeys(hosts, { path: "/k", text: `192.168.1.11 ssh-ed25519 ${K1}\n` });
        assert.deepStrictEqual(other.errors.map((e) => e.path), ["hosts[1].hostKey"]);
        assert.ok(other.errors[0].message.startsWith("hosts[1].hostKey is not set for docker02, and /k has no key for [192.168.1.13]:2222; get it with ssh-keyscan"), other.errors[0].message);
    });

    it("hostKeyMissing: only a host with no key and no opt-out, naming it and the fix", () => {
        assert.strictEqual(hostKeyMissing("d", host("d", "10.0.0.5", 22, { hostKey: `ssh-ed25519 ${K1}` }).ssh), undefined);
        assert.strictEqual(hostKeyMissing("d", host("d", "10.0.0.5", 22, { insecureIgnoreHostKey: true }).ssh), undefined);
        assert.match(hostKeyMissing("d", host("d", "10.0.0.5").ssh) ?? "", /^host d \(root@10\.0\.0\.5:22\) has no host key to verify its SSH connections with: pin it as hostKey \(get it with ssh-keyscan -t ed25519 10\.0\.0\.5/);
        assert.match(hostKeyMissing(undefined, host("d", "10.0.0.5").ssh) ?? "", /^the host at root@10\.0\.0\.5:22 has no host key/);
    });

    it("hostKeyFingerprint is ssh-keygen's SHA256 form", () => {
        // `ssh-keygen -lf -` of the ED25519 line above (OpenSSH 9.2p1) printed this fingerprint
        assert.strictEqual(hostKeyFingerprint(ED25519), "SHA256:OKvIZU/Txta0+qXHyGU/bjf1WqbRlYoZ7gI8uyOrJio");
        assert.notStrictEqual(hostKeyFingerprint(K1), hostKeyFingerprint(K2));
    });
});
