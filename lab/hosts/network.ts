/**
 * The lab's network: the switch namespace with its bridges, the controller's namespace and link,
 * each host's namespace with its NIC and, where VLANs are emulated, one link per VLAN; and the
 * parts of it one at a time, for a lab that changes in place (reconcile.ts).
 */
import { run, runOk, sleep } from "./proc";
import { HOST_ENV, HostState, LabState } from "./state";
import { CONTROLLER_LINK, LabVlanSpec, SWITCH_MGMT_BRIDGE, emulatedVlanAlias, switchPort, switchVlanBridge } from "./topology";

/** `ip` in namespace `netns`, throwing on failure. */
function ipIn(netns: string, ...args: string[]): Promise<string> {
    return runOk(["ip", "-n", netns, ...args], { timeoutMs: 15_000 });
}

export async function createNetwork(state: LabState, log: (l: string) => void): Promise<void> {
    const sw = state.switchNetns;
    const ctl = state.controllerNetns;
    const prefix = state.hosts[0].prefixLength;
    await runOk(["ip", "netns", "add", sw]);
    await ipIn(sw, "link", "set", "lo", "up");
    // The switch only bridges: no iptables on bridged frames (br_netfilter may be loaded), no IPv6 noise.
    await runOk(
        [
            "nsenter",
            `--net=/run/netns/${sw}`,
            "sh",
            "-c",
            "for f in /proc/sys/net/bridge/bridge-nf-call-arptables /proc/sys/net/bridge/bridge-nf-call-iptables " +
                "/proc/sys/net/bridge/bridge-nf-call-ip6tables; do if [ -e $f ]; then echo 0 > $f; fi; done; " +
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
        ],
        { env: HOST_ENV },
    );
    await bridgeIn(sw, SWITCH_MGMT_BRIDGE);
    log(`switch: netns ${sw}, bridge ${SWITCH_MGMT_BRIDGE} (management ${state.hosts[0].address}/${prefix}), bridge-nf-call-* off`);

    await runOk(["ip", "netns", "add", ctl]);
    await ipIn(ctl, "link", "set", "lo", "up");
    await ipIn(sw, "link", "add", "ctl", "type", "veth", "peer", "name", CONTROLLER_LINK, "netns", ctl);
    await ipIn(sw, "link", "set", "ctl", "master", SWITCH_MGMT_BRIDGE, "up");
    await ipIn(ctl, "addr", "add", `${state.controllerAddress}/${prefix}`, "dev", CONTROLLER_LINK);
    await ipIn(ctl, "link", "set", CONTROLLER_LINK, "up");
    log(`controller: netns ${ctl}, ${CONTROLLER_LINK} ${state.controllerAddress}/${prefix}, no default route`);

    if (state.vlanMode === "emulated") {
        for (const v of state.topology.vlans) await addVlanBridge(state, v.id);
    }
    for (const h of state.hosts) await addHostNetwork(state, h, log);
}

/** The switch-side number of host `h` (its ports are `h<n>-mgmt`, `h<n>-v<id>`); state files older than it numbered hosts by position. */
export function switchIndexOf(state: LabState, h: HostState): number {
    return h.switchIndex ?? state.hosts.indexOf(h) + 1;
}

/** The bridge of emulated VLAN `id` in the switch. */
export async function addVlanBridge(state: LabState, id: number): Promise<void> {
    await bridgeIn(state.switchNetns, switchVlanBridge(id));
}

/** Removes the bridge of emulated VLAN `id` from the switch (its ports, if any are left, are detached). */
export async function removeVlanBridge(state: LabState, id: number): Promise<void> {
    await ipIn(state.switchNetns, "link", "del", switchVlanBridge(id));
}

async function bridgeIn(sw: string, br: string): Promise<void> {
    await ipIn(sw, "link", "add", br, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0");
    await ipIn(sw, "link", "set", br, "up");
}

/**
 * Host `h`'s network namespace, its NIC on the management bridge (switch port `h<n>-mgmt`) with
 * its address, and, where VLANs are emulated, a link per VLAN of `state.topology` it is a member of.
 */
export async function addHostNetwork(state: LabState, h: HostState, log: (l: string) => void): Promise<void> {
    const sw = state.switchNetns;
    const port = switchPort(switchIndexOf(state, h));
    await runOk(["ip", "netns", "add", h.netns]);
    await ipIn(h.netns, "link", "set", "lo", "up");
    await ipIn(sw, "link", "add", port, "type", "veth", "peer", "name", h.nic, "netns", h.netns);
    await ipIn(sw, "link", "set", port, "master", SWITCH_MGMT_BRIDGE, "up");
    await ipIn(h.netns, "addr", "add", `${h.address}/${h.prefixLength}`, "dev", h.nic);
    await ipIn(h.netns, "link", "set", h.nic, "up");
    log(`[${h.name}] netns ${h.netns}: ${h.nic} ${h.address}/${h.prefixLength} (switch port ${port}), no default route`);
    if (state.vlanMode !== "emulated") return;
    for (const v of state.topology.vlans.filter((x) => x.hosts.includes(h.name))) await addVlanLink(state, h, v, log);
}

/** The emulated link of VLAN `v` in host `h` (named `v.interfaceName`, down, no address), on the VLAN's bridge. */
export async function addVlanLink(state: LabState, h: HostState, v: Pick<LabVlanSpec, "id" | "interfaceName" | "parent">, log: (l: string) => void): Promise<void> {
    const sw = state.switchNetns;
    const vport = switchPort(switchIndexOf(state, h), v.id);
    await ipIn(sw, "link", "add", vport, "type", "veth", "peer", "name", v.interfaceName, "netns", h.netns);
    await ipIn(sw, "link", "set", vport, "master", switchVlanBridge(v.id), "up");
    await ipIn(h.netns, "link", "set", "dev", v.interfaceName, "alias", emulatedVlanAlias(v.id, v.parent));
    log(`[${h.name}] ${v.interfaceName}: emulated VLAN ${v.id} link (down, no address) on switch bridge ${switchVlanBridge(v.id)}`);
}

/**
 * Removes host `h`'s emulated link `interfaceName` (its switch port goes with it; so do macvlan
 * links on top of it, in containers too).
 */
export async function removeVlanLink(h: HostState, interfaceName: string): Promise<void> {
    await ipIn(h.netns, "link", "del", "dev", interfaceName);
}

/**
 * Removes what is left of the switch ports of host number `index` (`h<n>-mgmt`, `h<n>-v<id>`: a
 * deleted host namespace takes its veths, and their switch ends, with it, but not at once) and
 * waits, at most `timeoutMs`, until none is left.
 */
export async function removeSwitchPorts(state: LabState, index: number, timeoutMs = 10_000): Promise<void> {
    const mine = new RegExp(`^h${index}-(mgmt|v\\d+)$`);
    const ports = async () => {
        const r = await run(["ip", "-n", state.switchNetns, "-o", "link", "show"], { timeoutMs: 15_000 });
        return r.stdout
            .split("\n")
            .map((l) => (l.split(": ")[1] ?? "").split("@")[0])
            .filter((n) => mine.test(n));
    };
    const deadline = Date.now() + timeoutMs;
    for (let left = await ports(); left.length > 0; left = await ports()) {
        if (Date.now() > deadline) throw new Error(`switch ports ${left.join(", ")} of host number ${index} are still in ${state.switchNetns} after ${timeoutMs} ms`);
        for (const p of left) await run(["ip", "-n", state.switchNetns, "link", "del", p], { timeoutMs: 15_000 });
        await sleep(100);
    }
}
