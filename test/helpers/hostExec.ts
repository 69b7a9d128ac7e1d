/**
 * What the exec tests of the host scripts share: running a program and reading how it ended, and
 * the render options of a host whose every file lives under one temporary folder.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/scripts";
import { RenderOptions } from "../../components/host/render";

/** A program that ended: its exit status (null when a signal ended it) and its output. */
export interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs `args[0]` with the rest as its arguments, no shell in between, `input` on its stdin. Throws
 * when it cannot start or runs longer than `timeoutMs` (default 60 s).
 */
export function run(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Run {
    const r = spawnSync(args[0], args.slice(1), { encoding: "utf8", timeout: opts.timeoutMs ?? 60_000, input: opts.input });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `r` itself when it exited 0; otherwise fails the test with `what`, the status and the output. */
export function succeeded(r: Run, what: string): Run {
    assert.strictEqual(r.status, 0, `${what} failed (${r.status}):\n${r.stdout}${r.stderr}`);
    return r;
}

/** Runs `args` (as {@link run}) and returns its stdout; fails the test unless it exits 0. */
export function mustRun(args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
    return succeeded(run(args, opts), args.join(" ")).stdout;
}

/**
 * The render options of a host whose files are all under `root` (state, modules-load.d, the lab's
 * emulation marker, ifup-local, systemd, sysctl.d, the dispatcher, networkd), with the shell
 * library as it is in the repo (on a host, HostLibrary installs these files). Creates nothing.
 */
export function rootedRenderOptions(root: string): Required<RenderOptions> {
    return {
        stateDir: path.join(root, "var/lib/macvlan-lab"),
        modulesLoadDir: path.join(root, "etc/modules-load.d"),
        emulationMarker: path.join(root, "run/macvlan-lab/vlan-emulation"),
        ifupLocal: path.join(root, "sbin/ifup-local"),
        systemdDir: path.join(root, "etc/systemd/system"),
        sysctlDir: path.join(root, "etc/sysctl.d"),
        nmDispatcherDir: path.join(root, "etc/NetworkManager/dispatcher.d"),
        networkdDir: path.join(root, "etc/systemd/network"),
        libraryDir: SCRIPTS_DIR,
    };
}
