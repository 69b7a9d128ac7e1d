/**
 * A running lab taken to another topology in place (`reconcileHosts`): hosts added and removed one
 * by one, VLAN segments and links added and removed, the hosts that did not change left alone (same
 * keeper, sshd and dockerd, same containers). What to do comes from the pure diff (diff.ts); this
 * file does it, step by step, keeping `state.json` a description of what exists after each step.
 */
import * as fs from "fs";
import * as path from "path";
import { hostsUp, labFromState } from "./index";
import { run } from "./proc";
import { HostState, LabState, STATE_FILE, forEachHost, readState, writeState } from "./state";
import { LabTopology, namespaceNames, validateTopology } from "./topology";
import {
    TopologyDiff, VlanLink, describeDiff, diffTopologies, hasLaterRemovals, isEmptyDiff, withHost, withMembership, withSegment, withoutHost,
    withoutSegment,
} from "./diff";
import { addHostNetwork, addVlanBridge, addVlanLink, removeSwitchPorts, removeVlanBridge, removeVlanLink, switchIndexOf } from "./network";
import { prepareHost, refreshSshFiles, writeEmulationMarker, writeHostsFile } from "./files";
import { execIn, startDockerd, startHostKeeper, startSshdOn } from "./daemons";
import { hostsDown, removeHost } from "./teardown";
import type { LabHosts } from "./types";

export interface ReconcileOptions {
    /** Receives one line per step. Defaults to discarding them. */
    log?: (line: string) => void;
    /**
     * Do only the additions (and the removals they need out of the way, `TopologyDiff.removeFirst`:
     * a host made again, a link renamed ...); the other removals wait for a later call with the same
     * topology. For an apply in between: its deletes run over SSH on the hosts that are to go, so
     * they must still be there. The result's `pending` says whether removals wait. Defaults to false.
     */
    deferRemovals?: boolean;
    /** With `deferRemovals`, what the lines of the removals that wait end with. Defaults to `later, by another call`. */
    deferredNote?: string;
    /**
     * What to do when the lab cannot be changed in place (another management subnet, another
     * controller address): `true` tears it down and builds it again (hostsDown, hostsUp: every
     * host and container is new), `false` throws, saying why, and changes nothing. Defaults to true.
     */
    rebuild?: boolean;
    /** Test hook: the bring-up of every added host fails right after this step, to exercise its removal. */
    failAfter?: AddStep;
}

/** The steps of one added host's bring-up, in order. */
export type AddStep = "files" | "network" | "keeper" | "sshd" | "dockerd" | "images";

export interface ReconcileResult {
    /** The lab as it is now (the `lab` passed in is updated to the same). */
    lab: LabHosts;
    /** What was to be done (diffTopologies of the lab's topology and the new one). */
    diff: TopologyDiff;
    /** Whether the lab was torn down and built again (`diff.rebuild` says why). */
    rebuilt: boolean;
    /** Whether removals wait for another call (`deferRemovals`). */
    pending: boolean;
    /** Wall time in milliseconds. */
    ms: number;
}

/**
 * Takes the running lab `lab` to `topology` in place: removes the hosts that are gone (their
 * containers, dockerd, sshd, keeper, namespace, switch ports and directory), the VLAN links kept
 * hosts no longer have and the VLAN segments nobody uses; adds the new VLAN segments, the links kept
 * hosts gain, and the new hosts exactly as `hostsUp` makes one (keeper, NIC on the management bridge
 * and a link into each VLAN it is a member of, sshd, dockerd, the images, an SSH check from the
 * controller). A host whose own definition (address, prefix, NIC, SSH port) changed is removed and
 * added again, empty. Hosts that did not change keep their keeper, sshd and dockerd and their
 * containers (only their /etc/hosts is rewritten to name the new set of hosts, and their VLAN links
 * change when their memberships do). Then known_hosts, the ssh_config, the controller's copies and
 * /etc/hosts and `state.json` name the hosts as they are.
 *
 * A change the lab cannot make in place (another management subnet or controller address) tears it
 * down and builds it again, saying why (`opts.rebuild`). Every step is bounded; a host whose
 * bring-up fails is removed again; `state.json` describes what exists after every step (it is
 * marked incomplete while the change runs, so a killed change is torn down by the next user, as a
 * killed bring-up is). On failure it throws, with the lab consistent (the other changes done or not,
 * as `lab.topology` says).
 *
 * `lab` must be up (hostsUp or attachLab); it is updated in place and returned as `result.lab`.
 */
export async function reconcileHosts(lab: LabHosts, topology: LabTopology, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
    const log = opts.log ?? (() => undefined);
    const t0 = Date.now();
    const errors = validateTopology(topology);
    if (errors.length > 0) throw new Error(`invalid lab topology:\n  - ${errors.join("\n  - ")}`);
    const state = readState(lab.stateDir);
    if (state === undefined || !state.complete) {
        throw new Error(`lab ${lab.name} is not up (no complete ${path.join(lab.stateDir, STATE_FILE)}): nothing to change in place`);
    }
    const diff = diffTopologies(state.topology, topology);
    if (diff.rebuild !== undefined) {
        if (opts.rebuild === false) throw new Error(`lab ${lab.name} cannot be changed in place: ${diff.rebuild}`);
        log(`lab ${lab.name}: cannot be changed in place (${diff.rebuild}): tearing it down and building it again`);
        await hostsDown(lab.name, { stateDir: state.stateDir, log });
        const fresh = await hostsUp(topology, { stateDir: state.stateDir, log, vlanMode: state.vlanMode === "emulated" ? "emulated" : "auto" });
        Object.assign(lab, fresh);
        return { lab, diff, rebuilt: true, pending: false, ms: Date.now() - t0 };
    }
    if (isEmptyDiff(diff)) {
        if (JSON.stringify(state.topology) !== JSON.stringify(topology)) {
            state.topology = JSON.parse(JSON.stringify(topology)) as LabTopology;
            state.hosts = orderedHosts(state.hosts, topology);
            writeState(state);
            Object.assign(lab, labFromState(state, lab.privateKey));
        }
        log(`lab ${lab.name}: no host, segment or link to change`);
        return { lab, diff, rebuilt: false, pending: false, ms: Date.now() - t0 };
    }
    const deferred = opts.deferRemovals === true;
    for (const l of describeDiff(diff, topology, deferred ? opts.deferredNote ?? "later, by another call" : undefined)) log(l);

    // every host keeps its switch number from now on, whatever its position
    for (const h of state.hosts) h.switchIndex = switchIndexOf(state, h);
    state.complete = false;
    writeState(state);
    const removals = deferred ? diff.removeFirst : { hosts: diff.removeHosts, links: diff.removeLinks, segments: diff.removeSegments };
    const emulated = state.vlanMode === "emulated";
    const touched = new Set<string>(); // kept hosts whose links changed: their marker file is rewritten
    try {
        // 1. removals: hosts, links of kept hosts, segments
        await forEachHost(
            removals.hosts.map((n) => ({ name: n })),
            (h) => dropHost(state, h.name, log),
        );
        for (const l of removals.links) {
            await dropLink(state, l, emulated);
            touched.add(l.host);
            log(`[${l.host}] ${l.interfaceName}: left VLAN ${l.vlan}${emulated ? " (link removed)" : ""}`);
        }
        for (const id of removals.segments) {
            if (emulated) await removeVlanBridge(state, id);
            state.topology = withoutSegment(state.topology, id);
            writeState(state);
            log(`VLAN ${id}: segment removed${emulated ? " (its bridge in the switch deleted)" : ""}`);
        }
        if (removals.hosts.length > 0) refreshSshFiles(state);

        // 2. additions: segments (and new definitions of kept ones), links of kept hosts, hosts
        for (const v of topology.vlans) {
            const now = state.topology.vlans.find((x) => x.id === v.id);
            if (now !== undefined && now.interfaceName === v.interfaceName && now.parent === v.parent) continue;
            if (now === undefined && emulated) await addVlanBridge(state, v.id);
            state.topology = withSegment(state.topology, v);
            writeState(state);
            if (now === undefined) log(`VLAN ${v.id}: segment added${emulated ? ` (bridge in ${state.switchNetns})` : ""}`);
        }
        for (const l of diff.addLinks) {
            const h = hostOf(state, l.host);
            if (emulated) await addVlanLink(state, h, { id: l.vlan, interfaceName: l.interfaceName, parent: l.parent }, log);
            state.topology = withMembership(state.topology, l.host, l.vlan, true);
            writeState(state);
            touched.add(l.host);
        }
        for (const n of touched) if (state.hosts.some((h) => h.name === n)) writeEmulationMarker(state, hostOf(state, n));
        await addHosts(state, topology, diff.addHosts, log, opts.failAfter);
        state.topology = JSON.parse(JSON.stringify(deferred ? diff.interim : topology)) as LabTopology;
        state.hosts = orderedHosts(state.hosts, state.topology);
    } finally {
        // 3. (also after a failure) the SSH files, every host's /etc/hosts and the controller's name the hosts as they are
        refreshSshFiles(state);
        await refreshEtcHosts(state).catch((e) => log(`could not rewrite every /etc/hosts: ${e instanceof Error ? e.message : String(e)}`));
        state.complete = true;
        writeState(state);
        Object.assign(lab, labFromState(state, lab.privateKey));
    }
    const pending = deferred && hasLaterRemovals(diff);
    log(`lab ${lab.name}: changed in place in ${((Date.now() - t0) / 1000).toFixed(1)} s${pending ? "; removals wait for the next call" : ""}`);
    return { lab, diff, rebuilt: false, pending, ms: Date.now() - t0 };
}

function hostOf(state: LabState, name: string): HostState {
    const h = state.hosts.find((x) => x.name === name);
    if (h === undefined) throw new Error(`lab ${state.name} has no host ${name}`);
    return h;
}

/** `hosts` in the order of `t.hosts` (hosts it lacks last, in their order). */
function orderedHosts(hosts: HostState[], t: LabTopology): HostState[] {
    const rank = (h: HostState) => {
        const i = t.hosts.findIndex((x) => x.name === h.name);
        return i < 0 ? t.hosts.length : i;
    };
    return [...hosts].sort((a, b) => rank(a) - rank(b));
}

/** The controller's and every host's /etc/hosts: the hosts of `state`. */
async function refreshEtcHosts(state: LabState): Promise<void> {
    await copyInto(state.controllerKeeperPid, path.join(state.controllerDir, "hosts"), "/etc/hosts", "the controller");
    await forEachHost(state.hosts, async (h) => {
        writeHostsFile(state, h);
        await copyInto(h.keeperPid, path.join(h.dir, "hosts"), "/etc/hosts", h.name);
    });
}

/** `cp <file> <dest>` inside the mount namespace of the process `pid` (a keeper). */
async function copyInto(pid: number, file: string, dest: string, who: string): Promise<void> {
    const r = await execIn({ keeperPid: pid }, ["cp", file, dest], { timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`[${who}] could not write ${dest}: ${(r.stderr || r.stdout).trim()}`);
}

/** Removes host `name` (removeHost), its switch ports, and it from the state. */
async function dropHost(state: LabState, name: string, log: (l: string) => void): Promise<void> {
    const h = hostOf(state, name);
    await removeHost(state.name, h.name, h.netns, h.dir, log);
    await removeSwitchPorts(state, switchIndexOf(state, h));
    state.hosts = state.hosts.filter((x) => x !== h);
    delete state.hostKeys[h.name];
    state.topology = withoutHost(state.topology, h.name);
    writeState(state);
}

async function dropLink(state: LabState, l: VlanLink, emulated: boolean): Promise<void> {
    if (emulated) await removeVlanLink(hostOf(state, l.host), l.interfaceName);
    state.topology = withMembership(state.topology, l.host, l.vlan, false);
    writeState(state);
}

/**
 * Adds the hosts `names` of `topology` at once, each as hostsUp makes one; a host whose bring-up
 * fails is removed again; then the SSH check from the controller. Throws the first failure.
 */
async function addHosts(state: LabState, topology: LabTopology, names: readonly string[], log: (l: string) => void, failAfter?: AddStep): Promise<void> {
    if (names.length === 0) return;
    const images = path.join(state.stateDir, "images");
    const saved = path.join(images, "images.tar");
    if (!fs.existsSync(saved) && state.hosts.length > 0) {
        // a lab of one host never saved its images: save them from a host that has them (reading only)
        const from = state.hosts[0];
        const r = await execIn(from, ["docker", "save", "-o", saved, "busybox:latest", "registry:2"], { timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(`[${from.name}] docker save of busybox:latest and registry:2 failed: ${r.stderr.trim()}`);
    }
    const used = new Set(state.hosts.map((h) => switchIndexOf(state, h)));
    const ns = namespaceNames(state.name, names);
    const fresh: HostState[] = [];
    for (const n of names) {
        const spec = topology.hosts.find((h) => h.name === n);
        if (spec === undefined) throw new Error(`the topology has no host ${n}`);
        let index = 1;
        while (used.has(index)) index++;
        used.add(index);
        const h: HostState = {
            name: n,
            netns: ns.hosts[n],
            address: spec.address,
            prefixLength: spec.prefixLength,
            nic: spec.nic,
            sshPort: spec.sshPort,
            dir: path.join(state.stateDir, "hosts", n),
            keeperPid: 0,
            pidOfSshd: 0,
            pidOfDockerd: 0,
            switchIndex: index,
        };
        if (fs.existsSync(`/run/netns/${h.netns}`) || fs.existsSync(h.dir)) {
            log(`[${n}] removing the leftovers of an earlier ${n}`);
            await removeHost(state.name, n, h.netns, h.dir, log);
        }
        state.hosts.push(h);
        const vlans = topology.vlans.filter((v) => v.hosts.includes(n)).map((v) => v.id);
        state.topology = withHost(state.topology, spec, vlans);
        fresh.push(h);
    }
    writeState(state); // before anything of them exists: a killed change can be found and torn down
    // each host at once; one that fails is removed again, the others stay and are checked
    const settled = await Promise.allSettled(
        fresh.map(async (h) => {
            try {
                await bringUpHost(state, h, saved, log, failAfter); // every step of it is bounded
            } catch (e) {
                log(`[${h.name}] bring-up failed (${e instanceof Error ? e.message : String(e)}): removing it again`);
                await dropHost(state, h.name, log).catch((d) => log(`[${h.name}] removing it also failed: ${String(d)}`));
                throw e;
            }
        }),
    );
    const up = fresh.filter((_, i) => settled[i].status === "fulfilled");
    refreshSshFiles(state);
    const checked = await Promise.allSettled(
        up.map(async (h) => {
            const r = await run(labFromState(state, "").sshArgv(h.name, "hostname"), { timeoutMs: 20_000 });
            if (r.code === 0 && r.stdout.trim() === h.name) {
                log(`[${h.name}] ssh root@${h.address} from the controller: hostname ${h.name}`);
                return;
            }
            const why = `ssh from ${state.controllerNetns} to ${h.name} (${h.address}:${h.sshPort}) failed (${r.code}): ${(r.stderr || r.stdout).trim()}`;
            log(`[${h.name}] ${why}: removing it again`);
            await dropHost(state, h.name, log).catch((d) => log(`[${h.name}] removing it also failed: ${String(d)}`));
            throw new Error(why);
        }),
    );
    const failure = [...settled, ...checked].find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure !== undefined) {
        refreshSshFiles(state);
        throw failure.reason;
    }
}

/** One new host, as hostsUp makes it: files and host key, network, keeper, sshd, dockerd, images. */
async function bringUpHost(state: LabState, h: HostState, savedImages: string, log: (l: string) => void, failAfter?: AddStep): Promise<void> {
    const step = (s: AddStep) => {
        if (failAfter === s) throw new Error(`failing after step ${s} as asked (failAfter)`);
    };
    await prepareHost(state, h);
    step("files");
    await addHostNetwork(state, h, log);
    step("network");
    await startHostKeeper(state, h, log);
    writeState(state);
    step("keeper");
    await startSshdOn(h, log);
    step("sshd");
    await startDockerd(state, h, log);
    writeState(state);
    step("dockerd");
    const load = fs.existsSync(savedImages)
        ? await execIn(h, ["docker", "load", "-q", "-i", savedImages], { timeoutMs: 120_000 })
        : await importImages(state, h);
    if (load.code !== 0) throw new Error(`[${h.name}] loading busybox:latest and registry:2 failed: ${(load.stderr || load.stdout).trim()}`);
    log(`[${h.name}] images busybox:latest and registry:2 loaded`);
    step("images");
}

/** busybox:latest and registry:2 imported from the lab's root file systems (when no host is left to save them from). */
async function importImages(state: LabState, h: HostState): Promise<{ code: number; stdout: string; stderr: string }> {
    const dir = path.join(state.stateDir, "images");
    const a = await execIn(h, ["docker", "import", "-c", 'CMD ["sh"]', path.join(dir, "busybox.tar"), "busybox:latest"], { timeoutMs: 120_000 });
    if (a.code !== 0) return a;
    return execIn(
        h,
        [
            "docker", "import",
            "-c", 'ENTRYPOINT ["/bin/registry"]',
            "-c", 'CMD ["serve", "/etc/docker/registry/config.yml"]',
            "-c", "EXPOSE 5000/tcp",
            "-c", 'VOLUME ["/var/lib/registry"]',
            path.join(dir, "registry.tar"), "registry:2",
        ],
        { timeoutMs: 120_000 },
    );
}
