/**
 * The roots the real provider verifies a registry's certificate with when it asks for a digest (or
 * deletes a manifest) from the machine running Pulumi: Go's system roots. pulumi-docker's patch 0002
 * (`buildHttpClientForRegistry`) uses `http.DefaultClient` unless `insecureSkipVerify` (before it, a
 * `tls.Config` without RootCAs: the same roots), and Go on Linux loads them once per process
 * (`crypto/x509` root.go `systemRootsPool`, `sync.Once`) in `loadSystemRoots` (root_unix.go):
 * - the first readable file of `certFiles` (root_linux.go), or `$SSL_CERT_FILE` alone when set;
 * - then every file of every directory of `certDirectories`, or of `$SSL_CERT_DIR` (":"-separated)
 *   when set, skipping symlinks to a name in the same directory (`isSameDirSymlink`);
 * - only the CERTIFICATE blocks that parse are kept (`AppendCertsFromPEM`).
 * So a registry with its own CA is verified only when the machine running Pulumi trusts that CA: in
 * the default bundle, or in a directory named by SSL_CERT_DIR when `pulumi` starts.
 */
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** root_linux.go `certFiles` (Go 1.25/1.26). */
export const CERT_FILES = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];
/** root_linux.go `certDirectories`. */
export const CERT_DIRECTORIES = ["/etc/ssl/certs", "/etc/pki/tls/certs"];

/** The CERTIFICATE blocks of a PEM text that parse as X.509 (AppendCertsFromPEM skips the others). */
export function certificatesOf(pem: string): string[] {
    const out: string[] = [];
    for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
        try {
            new X509Certificate(m[0]);
            out.push(`${m[0]}\n`);
        } catch {
            // not a certificate Go would parse either: skipped
        }
    }
    return out;
}

/** loadSystemRoots of root_unix.go, as PEM certificates (pure apart from reading the files). */
export function loadSystemRoots(env: NodeJS.ProcessEnv = process.env): string[] {
    const roots: string[] = [];
    const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : CERT_FILES;
    for (const f of files) {
        try {
            roots.push(...certificatesOf(fs.readFileSync(f, "utf8")));
            break;
        } catch {
            // the next file
        }
    }
    const dirs = env.SSL_CERT_DIR ? env.SSL_CERT_DIR.split(":") : CERT_DIRECTORIES;
    for (const d of dirs) {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(d, { withFileTypes: true });
        } catch {
            continue;
        }
        for (const e of entries) {
            if (e.isSymbolicLink()) {
                try {
                    if (!fs.readlinkSync(path.join(d, e.name)).includes("/")) continue;
                } catch {
                    continue;
                }
            }
            try {
                roots.push(...certificatesOf(fs.readFileSync(path.join(d, e.name), "utf8")));
            } catch {
                // unreadable or a directory: skipped, as os.ReadFile fails on it
            }
        }
    }
    return roots;
}

let cached: string[] | undefined;

/** The system roots, loaded on first use and kept for the life of the process (Go's sync.Once). */
export function systemRoots(): string[] {
    cached ??= loadSystemRoots();
    return cached;
}
