/**
 * The Debian packages the local lab needs (`lab/packages.txt`): which are missing, and installing
 * them with apt-get when running as root. Used by `npm run lab` (lab/run/up.ts) and the lab tests.
 */
import * as fs from "fs";
import * as path from "path";
import { run } from "./hosts/proc";

/** The package list: one Debian package per line, `#` comments and blank lines ignored. */
export const PACKAGES_FILE = path.join(__dirname, "packages.txt");

/** apt-get may take a while on a slow mirror, but never forever. */
const APT_TIMEOUT_MS = 15 * 60_000;

/** The packages named in `text` (the format of lab/packages.txt), in order, without duplicates. Pure. */
export function parsePackageList(text: string): string[] {
    const out: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*$/, "").trim();
        if (line === "") continue;
        for (const word of line.split(/\s+/)) {
            if (!/^[a-z0-9][a-z0-9+.-]+$/.test(word)) {
                throw new Error(`${PACKAGES_FILE}: ${JSON.stringify(word)} is not a Debian package name`);
            }
            if (!out.includes(word)) out.push(word);
        }
    }
    return out;
}

/** The lab's packages, from lab/packages.txt. */
export function labPackages(file: string = PACKAGES_FILE): string[] {
    return parsePackageList(fs.readFileSync(file, "utf8"));
}

/**
 * The packages of `packages` that dpkg does not list as installed (`install ok installed`).
 * Without dpkg-query (not Debian), every package counts as missing.
 */
export async function missingPackages(packages: readonly string[] = labPackages()): Promise<string[]> {
    if (packages.length === 0) return [];
    const r = await run(["dpkg-query", "-W", "-f", "${Package} ${Status}\\n", ...packages], { timeoutMs: 30_000 });
    const installed = new Set(
        r.stdout
            .split("\n")
            .map((l) => l.trim().split(/\s+/))
            .filter((w) => w.length >= 4 && w.slice(1).join(" ") === "install ok installed")
            .map((w) => w[0].replace(/:.*$/, "")), // foo:amd64 -> foo
    );
    return packages.filter((p) => !installed.has(p));
}

export interface EnsureResult {
    /** Packages that were missing and are now installed. */
    installed: string[];
    /** Packages still missing, with the reason (not root, apt-get failed); empty when all is well. */
    problems: string[];
}

/**
 * Installs the lab's missing packages with `apt-get install --no-install-recommends` (after an
 * `apt-get update`) when running as root; otherwise only reports them. Bounded in time.
 */
export async function ensurePackages(
    log: (line: string) => void = () => undefined,
    packages: readonly string[] = labPackages(),
): Promise<EnsureResult> {
    const missing = await missingPackages(packages);
    if (missing.length === 0) return { installed: [], problems: [] };
    if (process.getuid?.() !== 0) {
        return { installed: [], problems: [`Debian packages missing: ${missing.join(" ")} (run as root to install them, or: apt-get install ${missing.join(" ")})`] };
    }
    log(`installing Debian packages: ${missing.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = await run(["apt-get", "update", "-qq"], { timeoutMs: APT_TIMEOUT_MS, env });
    if (update.code !== 0) log(`apt-get update exited ${update.code} (trying the install anyway): ${update.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    const install = await run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], { timeoutMs: APT_TIMEOUT_MS, env });
    const still = await missingPackages(missing);
    if (install.code !== 0 || still.length > 0) {
        const tail = (install.stderr || install.stdout).trim().split("\n").slice(-5).join("\n    ");
        return {
            installed: missing.filter((p) => !still.includes(p)),
            problems: [`apt-get install ${missing.join(" ")} exited ${install.code}; still missing: ${still.join(" ") || "none"}\n    ${tail}`],
        };
    }
    log(`installed: ${missing.join(" ")}`);
    return { installed: missing, problems: [] };
}
