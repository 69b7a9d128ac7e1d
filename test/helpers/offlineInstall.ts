/**
 * Installing a packed tarball into a fresh project without the network: the project's
 * package-lock.json is written from the repo's own (the same versions, resolved URLs and integrity
 * hashes that `npm ci` of the repo put into npm's cache), plus the tarball's entry, so that
 * `npm ci --offline` takes every package from the cache.
 */
import * as crypto from "crypto";
import * as fs from "fs";

/** One entry of package-lock.json's `packages`. */
export interface LockEntry {
    version?: string;
    resolved?: string;
    integrity?: string;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    dev?: boolean;
    optional?: boolean;
    [key: string]: unknown;
}

export interface Lockfile {
    name: string;
    version?: string;
    lockfileVersion: number;
    requires: boolean;
    packages: Record<string, LockEntry>;
}

/** Where Node would find `name` from the package at lock path `from` (`""` is the root). */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
    let dir = from;
    for (;;) {
        const candidate = `${dir === "" ? "" : `${dir}/`}node_modules/${name}`;
        if (packages[candidate] !== undefined) return candidate;
        if (dir === "") return undefined;
        const i = dir.lastIndexOf("/node_modules/");
        dir = i < 0 ? "" : dir.slice(0, i);
    }
}

/**
 * The entries of `lock` that `names` need (from the root), with everything they depend on, at the
 * same places in the tree. Throws when one is not in the lock.
 */
export function lockClosure(lock: Lockfile, names: readonly string[]): Record<string, LockEntry> {
    const out: Record<string, LockEntry> = {};
    const visit = (from: string, name: string, optional: boolean): void => {
        const at = resolveIn(lock.packages, from, name);
        if (at === undefined) {
            if (optional) return;
            throw new Error(`${name} (needed by ${from || "the project"}) is not in the repo's package-lock.json`);
        }
        if (out[at] !== undefined) return;
        const { dev: _dev, ...entry } = lock.packages[at];
        out[at] = entry;
        for (const d of Object.keys(entry.dependencies ?? {})) visit(at, d, false);
        for (const d of Object.keys(entry.optionalDependencies ?? {})) visit(at, d, true);
        for (const d of Object.keys(entry.peerDependencies ?? {})) visit(at, d, entry.peerDependenciesMeta?.[d]?.optional === true);
    };
    for (const n of names) visit("", n, false);
    return out;
}

/** `sha512-<base64>` of a file, as npm writes `integrity`. */
export function integrityOf(file: string): string {
    return `sha512-${crypto.createHash("sha512").update(fs.readFileSync(file)).digest("base64")}`;
}

/**
 * The package-lock.json of a project whose package.json is `pkg`, whose dependency `tarball.name`
 * is the local tarball `tarball.file` (as `file:<file>`, relative to the project), every other
 * dependency taken from the repo's lock.
 */
export function projectLock(
    pkg: { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> },
    repoLock: Lockfile,
    tarball: { name: string; file: string; path: string; manifest: { version: string; dependencies?: Record<string, string>; engines?: Record<string, string>; license?: string } },
): Lockfile {
    const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
    const others = Object.keys(deps).filter((d) => d !== tarball.name);
    const packages: Record<string, LockEntry> = {
        "": { name: pkg.name, dependencies: pkg.dependencies ?? {}, devDependencies: pkg.devDependencies ?? {} },
        [`node_modules/${tarball.name}`]: {
            version: tarball.manifest.version,
            resolved: `file:${tarball.file}`,
            integrity: integrityOf(tarball.path),
            ...(tarball.manifest.license !== undefined ? { license: tarball.manifest.license } : {}),
            dependencies: tarball.manifest.dependencies ?? {},
            ...(tarball.manifest.engines !== undefined ? { engines: tarball.manifest.engines } : {}),
        },
        ...lockClosure(repoLock, [...others, ...Object.keys(tarball.manifest.dependencies ?? {})]),
    };
    return { name: pkg.name, lockfileVersion: 3, requires: true, packages };
}
