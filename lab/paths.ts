/**
 * Where the lab keeps its files: the repository, and `<repo>/.lab/` (gitignored) with one state
 * directory per lab (lab/hosts), `_runs/<lab>/` (the run record and Pulumi workspace of `npm run
 * lab`, lab/run) and `_build/` (the transpiled program and stand-ins, lab/build.ts). No imports
 * beyond `path`, so every part of lab/ (and the tests) can take them from here.
 */
import * as path from "path";

/** The repository root (this file is lab/paths.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** `<repo>/.lab`: everything the lab writes. */
export const LAB_ROOT = path.join(REPO_ROOT, ".lab");

/** `_` never starts a lab name (LAB_NAME), so this directory is never a lab's state directory. */
export const RUNS_DIR = path.join(LAB_ROOT, "_runs");

/** `_` never starts a lab name (LAB_NAME), so this directory is never a lab's state directory. */
export const BUILD_ROOT = path.join(LAB_ROOT, "_build");

/** The default state directory of lab `name`: `<repo>/.lab/<name>`. */
export function defaultStateDir(name: string): string {
    return path.join(LAB_ROOT, name);
}
