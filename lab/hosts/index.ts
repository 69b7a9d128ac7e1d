/**
 * The local lab's hosts: N Docker hosts on this one machine, each a network + mount + UTS namespace
 * with its own hostname, sshd and dockerd, joined by a switch namespace, plus a controller network
 * namespace with no default route from which everything is driven.
 *
 * Nothing here touches the real machine's files or network: addresses exist only inside the lab's
 * namespaces, no namespace has a route out, each host sees private copies of the directories the
 * product writes (see host-keeper.sh), every wait is bounded, and a failed bring-up tears down what
 * it made. See README.md for the layout and how to use the CLI.
 *
 * This file brings a lab up and attaches to a running one; the parts are by concern: state.ts (the
 * saved state and what every part shares), prerequisites.ts, files.ts (keys and the hosts' private
 * directories), network.ts (namespaces and links), daemons.ts (keepers, sshd, dockerd, images),
 * teardown.ts, topology.ts (pure: names, addresses, rendered config files), proc.ts (processes),
 * reconcile.ts (a running lab taken to another topology in place) and diff.ts (pure: what that takes).
 */
import * as fs from "fs";
import * as path from "path";
import { LabTopology, controllerAddressOf, namespaceNames, validateTopology } from "./topology";
import { run } from "./proc";
import { defaultStateDir } from "../paths";
import { CONTROLLER_LABEL, HostState, LabState, STATE_FILE, forEachHost, readState, writeState } from "./state";
import { checkPrerequisites, detectVlanSupport } from "./prerequisites";
import { generateKeys, prepareControllerFiles } from "./files";
import { createNetwork } from "./network";
import { buildImages, execIn, isKeeper, loadImages, startDockerd, startHostKeeper, startKeeper, startSshdOn } from "./daemons";
import { hostsDown } from "./teardown";
import type { HostsUpOptions, LabHosts, UpPhase } from "./types";

export {
    LabTopology,
    LabHostSpec,
    LabVlanSpec,
    validateTopology,
    controllerAddressOf,
    namespaceNames,
    labOfNamespace,
    renderSshdConfig,
    renderKnownHosts,
    renderSshConfig,
    emulatedVlanAlias,
} from "./topology";
export type { LabHost, LabHosts, HostsUpOptions, UpPhase, HostsDownOptions } from "./types";
export { HOST_ENV, containerCgroupParent } from "./state";
export { defaultStateDir } from "../paths";
export { REQUIRED_BINARIES, checkPrerequisites, detectVlanSupport } from "./prerequisites";
export { writeRootHome } from "./files";
export { startSshd, stopSshd } from "./daemons";
export { hostsDown } from "./teardown";
export { reconcileHosts } from "./reconcile";
export type { ReconcileOptions, ReconcileResult } from "./reconcile";
export { diffTopologies, describeDiff, isEmptyDiff, hasLaterRemovals } from "./diff";
export type { TopologyDiff, VlanLink, HostChange } from "./diff";

/**
 * Brings the lab up: cleans leftovers of a lab with the same name, then creates the switch,
 * controller and host namespaces, the links, each host's keeper, sshd and dockerd, imports the
 * images, and checks SSH from the controller to every host. On failure, tears down what it made
 * (unless `keepOnFailure`) and throws with the tail of the relevant logs.
 */
export async function hostsUp(topology: LabTopology, opts: HostsUpOptions = {}): Promise<LabHosts> {
    const log = opts.log ?? (() => undefined);
    const errors = validateTopology(topology);
    if (errors.length > 0) {
        throw new Error(`invalid lab topology:\n  - ${errors.join("\n  - ")}`);
    }
    const missing = checkPrerequisites();
    if (missing.length > 0) {
        throw new Error(`the lab cannot run on this machine:\n  - ${missing.join("\n  - ")}`);
    }
    const name = topology.name;
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir(name));
    if (!/^[A-Za-z0-9._/+-]+$/.test(stateDir)) {
        throw new Error(`state dir ${JSON.stringify(stateDir)} must be a plain path ([A-Za-z0-9._/+-]): it goes into config files and command lines`);
    }
    await hostsDown(name, { stateDir, log: (l) => log(`(leftovers) ${l}`) });

    const ns = namespaceNames(name, topology.hosts.map((h) => h.name));
    const state: LabState = {
        version: 1,
        name,
        stateDir,
        createdAt: new Date().toISOString(),
        complete: false,
        topology: JSON.parse(JSON.stringify(topology)) as LabTopology,
        switchNetns: ns.switch,
        controllerNetns: ns.controller,
        controllerAddress: controllerAddressOf(topology),
        controllerDir: path.join(stateDir, "controller"),
        controllerKeeperPid: 0,
        vlanMode: "emulated",
        privateKeyPath: path.join(stateDir, "ssh", "id_ed25519"),
        knownHostsPath: path.join(stateDir, "ssh", "known_hosts"),
        sshConfigPath: path.join(stateDir, "ssh", "config"),
        hostKeys: {},
        hosts: topology.hosts.map((h, i) => ({
            name: h.name,
            netns: ns.hosts[h.name],
            address: h.address,
            prefixLength: h.prefixLength,
            nic: h.nic,
            sshPort: h.sshPort,
            dir: path.join(stateDir, "hosts", h.name),
            keeperPid: 0,
            pidOfSshd: 0,
            pidOfDockerd: 0,
            switchIndex: i + 1,
        })),
        timings: {},
    };
    const t0 = Date.now();
    let tPhase = t0;
    let images: Promise<void> | undefined;
    const phase = (label: UpPhase) => {
        const now = Date.now();
        state.timings[label] = now - tPhase;
        tPhase = now;
        if (opts.failAfter === label) throw new Error(`failing after phase ${label} as asked (failAfter)`);
    };
    try {
        fs.mkdirSync(path.join(stateDir, "ssh"), { recursive: true, mode: 0o700 });
        fs.mkdirSync(path.join(stateDir, "images"), { recursive: true });
        writeState(state); // before anything is created: a killed bring-up can be found and torn down
        log(`lab ${name}: state in ${stateDir}`);

        const vlanMode = opts.vlanMode === "emulated" ? "emulated" : (await detectVlanSupport()) ? "8021q" : "emulated";
        state.vlanMode = vlanMode;
        if (vlanMode === "emulated") {
            const why = opts.vlanMode === "emulated" ? "emulation was asked for" : "this kernel has no 802.1Q VLAN devices (ip link add ... type vlan: Unknown device type)";
            log(
                `VLANs are EMULATED, not 802.1Q: ${why}; each VLAN is a separate link per member host ` +
                    `(${topology.vlans.map((v) => v.interfaceName).join(", ") || "none declared"}) joined by a per-VLAN bridge in ${ns.switch}`,
            );
        } else {
            log(`802.1Q is available: each host's NIC is a trunk; VLAN interfaces are left to the product`);
        }
        images = buildImages(path.join(stateDir, "images")); // runs while the hosts come up
        images.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile

        await generateKeys(state, log);
        phase("keys");
        await createNetwork(state, log);
        phase("network");
        await forEachHost(state.hosts, (h) => startHostKeeper(state, h, log));
        prepareControllerFiles(state);
        state.controllerKeeperPid = await startKeeper(name, CONTROLLER_LABEL, ns.controller, state.controllerDir);
        log(`controller: keeper pid ${state.controllerKeeperPid} (hostname ${name}-controller; /root/.ssh/config names every host)`);
        phase("keepers");
        await forEachHost(state.hosts, (h) => startSshdOn(h, log));
        phase("sshd");
        await forEachHost(state.hosts, (h) => startDockerd(state, h, log));
        phase("dockerd");
        writeState(state);
        await images;
        await loadImages(state, log);
        phase("images");
        const lab = labFromState(state, fs.readFileSync(state.privateKeyPath, "utf8"));
        await forEachHost(state.hosts, async (h) => {
            const r = await run(lab.sshArgv(h.name, "hostname"), { timeoutMs: 20_000 });
            if (r.code !== 0 || r.stdout.trim() !== h.name) {
                throw new Error(`ssh from ${ns.controller} to ${h.name} (${h.address}:${h.sshPort}) failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
            }
            log(`[${h.name}] ssh root@${h.address} from the controller: hostname ${h.name}`);
        });
        phase("ssh-check");
        state.timings.total = Date.now() - t0;
        state.complete = true;
        writeState(state);
        log(`lab ${name} is up in ${(state.timings.total / 1000).toFixed(1)} s (${formatTimings(state.timings)})`);
        lab.timings = state.timings;
        return lab;
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await images?.catch(() => undefined); // it writes into the state dir: let it finish first
        const diagnostics = collectDiagnostics(state);
        log(`lab ${name}: bring-up failed: ${message}`);
        if (opts.keepOnFailure) {
            log(`lab ${name}: left in place for inspection (keepOnFailure); tear down with hostsDown("${name}")`);
        } else {
            await hostsDown(name, { stateDir, log }).catch((d) => log(`tear-down after failure also failed: ${String(d)}`));
        }
        throw new Error(`lab ${name}: bring-up failed: ${message}${diagnostics}`);
    }
}

/** The bring-up's phases with their times, `keys 0.3 s, network 0.7 s, ...` (`total` left out). Pure. */
export function formatTimings(t: Record<string, number>): string {
    return Object.entries(t)
        .filter(([k]) => k !== "total")
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(", ");
}

/** Lines from the end of the logs of each host, for an error message. */
function collectDiagnostics(state: LabState): string {
    const parts: string[] = [];
    for (const h of state.hosts) {
        for (const f of ["keeper.log", "sshd.log", "dockerd.log"]) {
            const file = path.join(h.dir, "logs", f);
            try {
                const lines = fs.readFileSync(file, "utf8").trim().split("\n").slice(-8);
                if (lines.join("").trim() !== "") parts.push(`--- ${h.name} ${f} (last lines)\n${lines.join("\n")}`);
            } catch {
                /* no log */
            }
        }
    }
    return parts.length > 0 ? `\n${parts.join("\n")}` : "";
}

/** The lab of `state` as drivers use it (`privateKey`: the lab's key's text). */
export function labFromState(state: LabState, privateKey: string): LabHosts {
    const find = (host: string): HostState => {
        const h = state.hosts.find((x) => x.name === host);
        if (h === undefined) throw new Error(`lab ${state.name} has no host ${JSON.stringify(host)}; it has ${state.hosts.map((x) => x.name).join(", ")}`);
        return h;
    };
    return {
        name: state.name,
        stateDir: state.stateDir,
        switchNetns: state.switchNetns,
        controllerNetns: state.controllerNetns,
        controllerAddress: state.controllerAddress,
        controllerKeeperPid: state.controllerKeeperPid,
        privateKey,
        privateKeyPath: state.privateKeyPath,
        knownHostsPath: state.knownHostsPath,
        sshConfigPath: state.sshConfigPath,
        hostKeys: { ...state.hostKeys },
        vlanMode: state.vlanMode,
        hosts: state.hosts, // shared with the state: startSshd updates pidOfSshd
        topology: JSON.parse(JSON.stringify(state.topology)) as LabTopology,
        timings: { ...state.timings },
        exec: (host, argv, opts) => execIn(find(host), argv, opts),
        sshArgv: (host, command) => {
            const h = find(host);
            return ["nsenter", `--net=/run/netns/${state.controllerNetns}`, "ssh", "-F", state.sshConfigPath, h.name, "--", command];
        },
        controllerArgv: (argv) => ["nsenter", "-t", String(state.controllerKeeperPid), "-m", "-u", "-n", "--", ...argv],
    };
}

/** The running lab `name` from its saved state (for a driver in another process than `hostsUp`). */
export function attachLab(name: string, opts: { stateDir?: string } = {}): LabHosts {
    const stateDir = path.resolve(opts.stateDir ?? defaultStateDir(name));
    const state = readState(stateDir);
    if (state === undefined || !state.complete) {
        throw new Error(`lab ${name} is not up (no complete ${path.join(stateDir, STATE_FILE)})`);
    }
    const dead = state.hosts.filter((h) => !isKeeper(h.keeperPid, name, h.name)).map((h) => h.name);
    if (!isKeeper(state.controllerKeeperPid, name, CONTROLLER_LABEL)) dead.push("the controller");
    if (dead.length > 0) {
        throw new Error(`lab ${name}: the keeper of ${dead.join(", ")} is gone; run hostsDown and hostsUp again`);
    }
    return labFromState(state, fs.readFileSync(state.privateKeyPath, "utf8"));
}

/** The running lab's hosts' pids and state as a printable summary (for the CLI). */
export function describeLab(lab: LabHosts): string {
    const lines = [
        `lab ${lab.name} (${lab.vlanMode} VLANs), state ${lab.stateDir}`,
        `  switch netns ${lab.switchNetns}`,
        `  controller netns ${lab.controllerNetns}, address ${lab.controllerAddress}, keeper ${lab.controllerKeeperPid} (nsenter -t ${lab.controllerKeeperPid} -m -u -n ssh docker01 ...)`,
        `  ssh key ${lab.privateKeyPath}, known_hosts ${lab.knownHostsPath}`,
        `  ssh from the controller: nsenter --net=/run/netns/${lab.controllerNetns} ssh -F ${lab.sshConfigPath} <host> <command>`,
    ];
    for (const h of lab.hosts) {
        lines.push(
            `  ${h.name}: netns ${h.netns}, ${h.nic} ${h.address}/${h.prefixLength}, sshd ${h.pidOfSshd} on :${h.sshPort}, ` +
                `dockerd ${h.pidOfDockerd}, keeper ${h.keeperPid}, logs ${h.dir}/logs`,
        );
    }
    return lines.join("\n");
}
