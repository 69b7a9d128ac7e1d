/**
 * The private registry as production runs it (`registry.security: tls`): its own CA and a server
 * certificate, htpasswd users, every daemon trusting the CA through
 * `/etc/docker/certs.d/<host>:<port>/ca.crt`.
 *
 * Where the keys are made: **on the registry host**, by `openssl` in the certificate command
 * (components/scripts/docker/registry-tls.sh). The CA key and the server key never leave that host,
 * are in no script, no output and no Pulumi state (not even encrypted); only the certificates
 * (public) come back in the command's output, for the other hosts' trust and the registry container.
 * The alternative, keys made by the program with an X.509 library and kept as Pulumi secrets, would
 * put both private keys into the state and into a script's stdin on every host that needs them, and
 * needs a provider that keeps them stable between runs (an extra plugin); see README "The private
 * registry".
 *
 * htpasswd: bcrypt hashes with random salts, made where Pulumi runs by a `local.Command`
 * (`${name}-htpasswd-hash`) that gets the users on stdin and its own previous output, and keeps
 * every line whose hash still matches its password ({@link htpasswdUpdate}): an unchanged password
 * changes nothing, and the stored hash tests a guess only at bcrypt's cost. Its output is a secret
 * (`additionalSecretOutputs`) and is not logged; the file reaches the registry host on the remote
 * command's stdin (a secret), never in a script.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { X509Certificate, createHash, randomBytes } from "crypto";
import { compareSync, encodeBase64, hashSync } from "bcryptjs";
import { DEFAULT_STATE_DIR, IPV4 } from "../contracts";
import { installedLibraryDir } from "../scripts";
import { CommandScripts, InstalledLibrary, ScriptVar, renderScriptSet, scriptCommand, sshEndpointOf } from "../scripts/command";
import { DNS_NAME } from "../model/names";
import { RegistryUserSpec } from "../model/types";

export type { CommandScripts };

/** The scripts of one command of the registry's TLS (components/scripts/docker/registry-tls.sh). */
function pair(title: string, libraryDir: string, vars: readonly ScriptVar[], create: string, del: string): CommandScripts {
    return renderScriptSet({ title, libraryDir, vars, modules: ["docker/registry-tls.sh"], calls: { create: [create], delete: [del] } });
}

/**
 * The scripts of a command whose inputs come from the output of command `what` when this
 * deployment does not hold that command: its output is undefined in `pulumi destroy --run-program`
 * of a stack it is already gone from, where nothing is created. Each script fails if it ever runs.
 */
export function notRunScripts(title: string, libraryDir: string, what: string): CommandScripts {
    return pair(`${title} (not run)`, libraryDir, [["what", what]], "not_run", "not_run");
}

/** The registry's directory on its host: `<stateDir>/registry-<port>` (ca/, tls/, auth/). */
export function registryDir(stateDir: string, port: number): string {
    return `${stateDir}/registry-${port}`;
}

/** What the certificate command makes. */
export interface RegistryTlsOptions {
    /** The address daemons reach the registry at (IPv4 or DNS name): the certificate names it. */
    address: string;
    port: number;
    /** Defaults to `/var/lib/macvlan-lab`. */
    stateDir?: string;
    /** Days the CA is valid. Defaults to 3650. */
    caDays?: number;
    /** Days the server certificate is valid. Defaults to 825. */
    certDays?: number;
    /** The installed shell library. Defaults to the one for `stateDir`. */
    libraryDir?: string;
}

/** Every problem with `o`, one sentence each. */
export function validateRegistryTlsOptions(o: RegistryTlsOptions): string[] {
    const errors: string[] = [];
    if (!IPV4.test(o.address) && !DNS_NAME.test(o.address)) errors.push(`address ${JSON.stringify(o.address)} is not an IPv4 address or DNS name`);
    if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) errors.push(`port ${o.port} is not a TCP port`);
    for (const [k, v] of [["caDays", o.caDays], ["certDays", o.certDays]] as const) {
        if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 36500)) errors.push(`${k} ${v} is not a whole number of days from 1 to 36500`);
    }
    return errors;
}

/** The certificate command's scripts. */
export function renderRegistryTls(o: RegistryTlsOptions): CommandScripts {
    const errors = validateRegistryTlsOptions(o);
    if (errors.length > 0) throw new Error(`invalid registry TLS options: ${errors.join("; ")}`);
    const stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
    const vars: ScriptVar[] = [
        ["dir", registryDir(stateDir, o.port)],
        ["address", o.address],
        ["san", `${IPV4.test(o.address) ? "IP" : "DNS"}:${o.address}`],
        ["ca_days", o.caDays ?? 3650],
        ["cert_days", o.certDays ?? 825],
    ];
    return pair(`the registry's CA and certificate for ${o.address}:${o.port}`, o.libraryDir ?? installedLibraryDir(stateDir), vars, "registry_tls_make", "registry_tls_remove");
}

/**
 * The certificates the certificate command printed (`@ca`, `@cert` lines, base64 PEM), checked
 * before anything trusts them: the CA is a CA, self-signed, constrained to `address` alone
 * ({@link registryCaConstraints}, critical); the certificate is not a CA, is signed by that CA and
 * names `address`. Throws naming what is wrong (a script of another version, or a host that is not
 * the one the program made the CA on).
 */
export function parseRegistryTls(stdout: string, address: string): { ca: string; cert: string } {
    const get = (tag: string): string => {
        const line = stdout.split("\n").find((l) => l.startsWith(`@${tag} `));
        if (line === undefined) throw new Error(`the registry TLS output has no @${tag} line: the script did not finish`);
        const pem = Buffer.from(line.slice(tag.length + 2), "base64").toString("utf8");
        if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/.test(pem)) throw new Error(`the registry TLS output's @${tag} is not one PEM certificate`);
        return pem;
    };
    const pems = { ca: get("ca"), cert: get("cert") };
    const problem = (what: string) => new Error(`the registry TLS output for ${address}: ${what}; nothing trusts it (run pulumi up --replace on the certificate command to make a new CA)`);
    let ca: X509Certificate;
    let cert: X509Certificate;
    try {
        ca = new X509Certificate(pems.ca);
        cert = new X509Certificate(pems.cert);
    } catch (e) {
        throw problem(`a certificate does not parse (${(e as Error).message})`);
    }
    if (!ca.ca || !ca.checkIssued(ca) || !ca.verify(ca.publicKey)) throw problem("the CA is not a self-signed CA certificate");
    const want = registryCaConstraints(address);
    const got = nameConstraintsOf(ca.raw);
    if (got === undefined || JSON.stringify(got) !== JSON.stringify(want)) {
        throw problem(`the CA's name constraints are ${got === undefined ? "missing" : JSON.stringify(got)}, not ${JSON.stringify(want)}`);
    }
    if (cert.ca || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw problem("the server certificate is not issued and signed by the CA");
    if ((IPV4.test(address) ? cert.checkIP(address) : cert.checkHost(address, { subject: "never" })) === undefined) {
        throw problem(`the server certificate does not name ${address}`);
    }
    return pems;
}

/** One DER element: its tag byte, and where its contents start and end in the buffer. */
interface Der {
    tag: number;
    start: number;
    end: number;
}

/** The DER element at `at` of `b`, or undefined when it does not fit (definite lengths only). */
function derAt(b: Buffer, at: number): Der | undefined {
    if (at + 2 > b.length) return undefined;
    const tag = b[at];
    let len = b[at + 1];
    let start = at + 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || start + n > b.length) return undefined;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
        start += n;
    }
    return start + len > b.length ? undefined : { tag, start, end: start + len };
}

/** The elements inside a constructed element. */
function derChildren(b: Buffer, e: Der): Der[] {
    const out: Der[] = [];
    for (let at = e.start; at < e.end; ) {
        const c = derAt(b, at);
        if (c === undefined || c.end > e.end) throw new Error("malformed DER");
        out.push(c);
        at = c.end;
    }
    return out;
}

/** A certificate's name constraints as `openssl x509 -text` writes them, with whether the extension is critical. */
export interface NameConstraints {
    critical: boolean;
    permitted: string[];
    excluded: string[];
}

/** `IP:a.b.c.d/m.m.m.m` (or IPv6 in eight groups), `DNS:name`, or `<tag>:?` for other kinds. */
function generalName(b: Buffer, e: Der): string {
    const v = b.subarray(e.start, e.end);
    if (e.tag === 0x82) return `DNS:${v.toString("latin1")}`;
    if (e.tag === 0x87 && v.length === 8) return `IP:${[...v.subarray(0, 4)].join(".")}/${[...v.subarray(4)].join(".")}`;
    if (e.tag === 0x87 && v.length === 32) {
        const groups = (x: Buffer) => Array.from({ length: 8 }, (_, i) => x.readUInt16BE(2 * i).toString(16)).join(":");
        return `IP:${groups(v.subarray(0, 16))}/${groups(v.subarray(16))}`;
    }
    return `${e.tag.toString(16)}:?`;
}

/**
 * The nameConstraints extension (RFC 5280 section 4.2.1.10, OID 2.5.29.30) of a DER certificate, or
 * undefined when it has none. Pure; throws on a certificate it cannot read.
 */
export function nameConstraintsOf(der: Buffer): NameConstraints | undefined {
    const cert = derAt(der, 0);
    if (cert === undefined) throw new Error("malformed DER");
    const tbs = derChildren(der, cert)[0];
    const exts = derChildren(der, tbs).find((e) => e.tag === 0xa3);
    if (exts === undefined) return undefined;
    const OID = Buffer.from([0x55, 0x1d, 0x1e]);
    for (const ext of derChildren(der, derChildren(der, exts)[0])) {
        const parts = derChildren(der, ext);
        if (parts[0].tag !== 0x06 || !der.subarray(parts[0].start, parts[0].end).equals(OID)) continue;
        const critical = parts.length === 3 && parts[1].tag === 0x01 && der[parts[1].start] !== 0;
        const value = parts[parts.length - 1];
        const nc = derAt(der, value.start);
        if (nc === undefined) throw new Error("malformed DER");
        const out: NameConstraints = { critical, permitted: [], excluded: [] };
        for (const subtrees of derChildren(der, nc)) {
            const list = subtrees.tag === 0xa0 ? out.permitted : subtrees.tag === 0xa1 ? out.excluded : undefined;
            for (const subtree of list === undefined ? [] : derChildren(der, subtrees)) list?.push(generalName(der, derChildren(der, subtree)[0]));
        }
        return out;
    }
    return undefined;
}

/** The name constraints the registry's CA carries for `address` (components/scripts/docker/registry-tls.sh `ca_constraints`). */
export function registryCaConstraints(address: string): NameConstraints {
    return IPV4.test(address)
        ? { critical: true, permitted: [`IP:${address}/255.255.255.255`, "DNS:invalid"], excluded: [] }
        : { critical: true, permitted: [`DNS:${address}`], excluded: ["IP:0.0.0.0/0.0.0.0", "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0"] };
}

/** sha256 of a text, hex. */
export function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** bcrypt cost of the htpasswd lines (`htpasswd -B`'s default is 5; Go's bcrypt.DefaultCost is 10). */
export const BCRYPT_COST = 10;

/** What {@link htpasswdUpdate} needs of bcryptjs. */
export interface Bcrypt {
    compareSync(password: string, hash: string): boolean;
    hashSync(password: string, salt: string): string;
    encodeBase64(bytes: Buffer | number[], length: number): string;
}

/**
 * The htpasswd file of `users`, one `user:$2y$<cost>$...` line each: a user whose line in
 * `previous` (the file an earlier run made) is a bcrypt hash of at least `cost` that still matches
 * the password keeps that line, byte for byte; any other gets a new hash with a salt of 16 bytes
 * from `random` (crypto.randomBytes), which has nothing to do with the password. So an unchanged
 * password changes nothing, and the stored hash is a test of a guessed password only through bcrypt
 * at its cost (the salt of an earlier version, an HMAC keyed with the password itself, was a fast
 * test of its own: issue 27).
 *
 * Self-contained on purpose (no imports, no names from outside): the program runs its source text
 * on the machine running Pulumi (`htpasswdScript`), where a `local.Command` hands it the previous
 * file. Pure apart from `random`.
 */
export function htpasswdUpdate(
    previous: string | undefined,
    users: ReadonlyArray<{ name: string; password: string }>,
    bcrypt: Bcrypt,
    random: (n: number) => Buffer,
    cost: number,
): string {
    const old = new Map<string, string>();
    for (const line of (previous ?? "").split("\n")) {
        const i = line.indexOf(":");
        if (i > 0) old.set(line.slice(0, i), line.slice(i + 1));
    }
    const lines = users.map((u) => {
        const hash = old.get(u.name);
        const m = hash === undefined ? null : /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/.exec(hash);
        if (hash !== undefined && m !== null && Number(m[1]) >= cost && bcrypt.compareSync(u.password, hash)) {
            return `${u.name}:${hash}`;
        }
        const salt = `$2y$${String(cost).padStart(2, "0")}$${bcrypt.encodeBase64(random(16), 16)}`;
        return `${u.name}:${bcrypt.hashSync(u.password, salt)}`;
    });
    return lines.map((l) => `${l}\n`).join("");
}

/** The htpasswd file of `users` with new random salts, keeping what still matches in `previous`. */
export function htpasswdText(users: readonly RegistryUserSpec[], previous?: string): string {
    return htpasswdUpdate(previous, users, { compareSync, hashSync, encodeBase64 }, randomBytes, BCRYPT_COST);
}

/**
 * The script of the hashing command, run by node (`node -e`) on the machine running Pulumi: the
 * users as JSON on stdin (`{"users":[{"name","password"}]}`), the file of the previous run in
 * `PULUMI_COMMAND_STDOUT` (pulumi-command v1.2.1 provider/pkg/provider/local/commandOutputs.go
 * `run`: set from the previous stdout on an update), the new file on stdout: {@link htpasswdUpdate}'s
 * own source text, with bcryptjs from `bcryptPath` and node's crypto. Pure.
 */
export function htpasswdScript(bcryptPath: string = require.resolve("bcryptjs")): string {
    return [
        `"use strict";`,
        `// macvlan-lab: the registry's htpasswd lines (bcrypt, random salts; a line whose hash still matches is kept)`,
        `const update = ${htpasswdUpdate.toString()};`,
        `const chunks = [];`,
        `process.stdin.on("data", (c) => chunks.push(c));`,
        `process.stdin.on("end", () => {`,
        `    const { users } = JSON.parse(Buffer.concat(chunks).toString("utf8"));`,
        `    process.stdout.write(update(process.env.PULUMI_COMMAND_STDOUT, users, require(${JSON.stringify(bcryptPath)}), require("crypto").randomBytes, ${BCRYPT_COST}));`,
        `});`,
        ``,
    ].join("\n");
}

/** The htpasswd command's scripts (the file itself travels on stdin). */
export function renderHtpasswd(o: { port: number; stateDir?: string; libraryDir?: string }): CommandScripts {
    const stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
    // the users are in the file on stdin only: another user or password is an update (the file
    // written again in place), never a replacement that would leave the registry without one
    const vars: ScriptVar[] = [["dir", registryDir(stateDir, o.port)]];
    return pair(`the registry's htpasswd users on port ${o.port}`, o.libraryDir ?? installedLibraryDir(stateDir), vars, "registry_htpasswd_write", "registry_htpasswd_remove");
}

/** The CA trust command's scripts for one host. */
export function renderCaTrust(o: { endpoint: string; ca: string; certsDir?: string; stateDir?: string; libraryDir?: string }): CommandScripts {
    if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/.test(o.ca)) throw new Error("ca is not one PEM certificate");
    const stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
    const vars: ScriptVar[] = [
        ["certs_dir", o.certsDir ?? "/etc/docker/certs.d"],
        ["endpoint", o.endpoint],
        ["ca", o.ca],
        ["ca_sha", sha256Hex(o.ca)],
        ["state_dir", stateDir],
        ["state", `${stateDir}/registry-trust`],
    ];
    return pair(`trust the registry CA for ${o.endpoint}`, o.libraryDir ?? installedLibraryDir(stateDir), vars, "ca_trust_add", "ca_trust_remove");
}

export interface RegistryTlsArgs {
    /** SSH connection to the registry host. Required. */
    connection: command.types.input.remote.ConnectionArgs;
    /** The registry's address (IPv4 or DNS name) and port. Required; decide the scripts. */
    address: string;
    port: number;
    /** htpasswd users (passwords secret). Defaults to none: the registry asks for no login. */
    users?: readonly RegistryUserSpec[];
    /** The registry host's shell library. Required. */
    library: InstalledLibrary;
    /** Defaults to `/var/lib/macvlan-lab`; must be the library's. */
    stateDir?: string;
    /** Days the CA is valid. Defaults to 3650. A change makes a new CA (and replaces what trusts it). */
    caDays?: number;
    /** Days the server certificate is valid. Defaults to 825. */
    certDays?: number;
}

/**
 * The registry's TLS and users on its host: `${name}-certs` makes the CA and the server certificate
 * there (the keys stay on the host) and prints the certificates; `${name}-htpasswd` writes the
 * users' file from its stdin. Delete removes both. A replaced certificate command (another address,
 * port or validity) makes a new CA, and everything that depends on it (the trust of every host, the
 * registry container) is replaced with it.
 */
export class RegistryTls extends pulumi.ComponentResource {
    public readonly certs: command.remote.Command;
    public readonly htpasswd?: command.remote.Command;
    /** The htpasswd lines made where Pulumi runs (stdout, a secret). */
    public readonly htpasswdHash?: command.local.Command;
    /**
     * The CA certificate (PEM): what daemons and the machine running Pulumi trust. "" in a
     * deployment that does not hold the certificate command (see {@link notRunScripts}).
     */
    public readonly caCertificate: pulumi.Output<string>;
    /** The server certificate (PEM). */
    public readonly certificate: pulumi.Output<string>;
    /** sha256 of the server certificate: a change of it replaces the registry container. */
    public readonly fingerprint: pulumi.Output<string>;
    /** Host directories the registry container mounts: the server key and certificate, and the users. */
    public readonly tlsDir: string;
    public readonly authDir?: string;
    /** What the registry container waits for. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: RegistryTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:RegistryTls", name, {}, opts);
        const stateDir = args.stateDir ?? DEFAULT_STATE_DIR;
        let certs: CommandScripts;
        try {
            certs = renderRegistryTls({ address: args.address, port: args.port, stateDir, caDays: args.caDays, certDays: args.certDays, libraryDir: args.library.dir });
        } catch (e) {
            throw new pulumi.ResourceError(`RegistryTls ${name}: ${(e as Error).message}`, this);
        }
        const endpoint = sshEndpointOf(args.connection);
        const deps = { parent: this, deleteBeforeReplace: true };
        this.certs = scriptCommand(`${name}-certs`, { connection: args.connection, scripts: certs, endpoint, library: args.library }, deps);
        // no output at all: this deployment does not hold the command (a destroy with --run-program
        // of a stack it is gone from); "" for both, which nothing ever writes or trusts
        const parsed = this.certs.stdout.apply((s) => (s === undefined ? { ca: "", cert: "" } : parseRegistryTls(s, args.address)));
        this.caCertificate = parsed.apply((p) => p.ca);
        this.certificate = parsed.apply((p) => p.cert);
        this.fingerprint = this.certificate.apply(sha256Hex);
        const dir = registryDir(stateDir, args.port);
        this.tlsDir = `${dir}/tls`;
        this.ready = [this.certs];
        const users = args.users ?? [];
        if (users.length > 0) {
            const h = renderHtpasswd({ port: args.port, stateDir, libraryDir: args.library.dir });
            // the lines, made where Pulumi runs: only a changed input runs it again, and then it keeps
            // the lines whose hash still matches (its previous stdout); stdout secret and not logged
            this.htpasswdHash = new command.local.Command(
                `${name}-htpasswd-hash`,
                {
                    interpreter: [process.execPath, "-e"],
                    create: htpasswdScript(),
                    stdin: pulumi.secret(pulumi.output(JSON.stringify({ users: users.map((u) => ({ name: u.name, password: u.password })) }))),
                    logging: "stderr",
                    addPreviousOutputInEnv: true,
                },
                { parent: this, additionalSecretOutputs: ["stdout"] },
            );
            this.htpasswd = scriptCommand(
                `${name}-htpasswd`,
                {
                    connection: args.connection,
                    scripts: h,
                    endpoint,
                    // a new password changes stdin only: an update writes the file again (the registry
                    // reads it again when its mtime changes); the provider keeps stdout without its
                    // last newline
                    stdin: pulumi.secret(this.htpasswdHash.stdout.apply((t) => (t === undefined ? "" : `${t}\n`))),
                    library: args.library,
                },
                deps,
            );
            this.authDir = `${dir}/auth`;
            this.ready.push(this.htpasswd);
        }
        this.registerOutputs({ caCertificate: this.caCertificate, fingerprint: this.fingerprint });
    }
}
