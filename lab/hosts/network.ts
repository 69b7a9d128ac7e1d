/**
 * The lab's network: the switch namespace with its bridges, the controller's namespace and link,
 * each host's namespace with its NIC and, where VLANs are emulated, one link per VLAN.
 */
import { runOk } from "./proc";
import { HOST_ENV, LabState } from "./state";
import { CONTROLLER_LINK, SWITCH_MGMT_BRIDGE, emulatedVlanAlias, switchPort, switchVlanBridge } from "./topology";

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
    const bridge = async (br: string) => {
        await ipIn(sw, "link", "add", br, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0");
        await ipIn(sw, "link", "set", br, "up");
    };
    await bridge(SWITCH_MGMT_BRIDGE);
    log(`switch: netns ${sw}, bridge ${SWITCH_MGMT_BRIDGE} (management ${state.hosts[0].address}/${prefix}), bridge-nf-call-* off`);

    await runOk(["ip", "netns", "add", ctl]);
    await ipIn(ctl, "link", "set", "lo", "up");
    await ipIn(sw, "link", "add", "ctl", "type", "veth", "peer", "name", CONTROLLER_LINK, "netns", ctl);
    await ipIn(sw, "link", "set", "ctl", "master", SWITCH_MGMT_BRIDGE, "up");
    await ipIn(ctl, "addr", "add", `${state.controllerAddress}/${prefix}`, "dev", CONTROLLER_LINK);
    await ipIn(ctl, "link", "set", CONTROLLER_LINK, "up");
    log(`controller: netns ${ctl}, ${CONTROLLER_LINK} ${state.controllerAddress}/${prefix}, no default route`);

    if (state.vlanMode === "emulated") {
        for (const v of state.topology.vlans) await bridge(switchVlanBridge(v.id));
    }
    for (const [i, h] of state.hosts.entries()) {
        const port = switchPort(i + 1);
        await runOk(["ip", "netns", "add", h.netns]);
        await ipIn(h.netns, "link", "set", "lo", "up");
        await ipIn(sw, "link", "add", port, "type", "veth", "peer", "name", h.nic, "netns", h.netns);
        await ipIn(sw, "link", "set", port, "master", SWITCH_MGMT_BRIDGE, "up");
        await ipIn(h.netns, "addr", "add", `${h.address}/${h.prefixLength}`, "dev", h.nic);
        await ipIn(h.netns, "link", "set", h.nic, "up");
        log(`[${h.name}] netns ${h.netns}: ${h.nic} ${h.address}/${h.prefixLength} (switch port ${port}), no default route`);
        if (state.vlanMode !== "emulated") continue;
        for (const v of state.topology.vlans.filter((x) => x.hosts.includes(h.name))) {
            const vport = switchPort(i + 1, v.id);
            await ipIn(sw, "link", "add", vport, "type", "veth", "peer", "name", v.interfaceName, "netns", h.netns);
            await ipIn(sw, "link", "set", vport, "master", switchVlanBridge(v.id), "up");
            await ipIn(h.netns, "link", "set", "dev", v.interfaceName, "alias", emulatedVlanAlias(v.id, v.parent));
            log(`[${h.name}] ${v.interfaceName}: emulated VLAN ${v.id} link (down, no address) on switch bridge ${switchVlanBridge(v.id)}`);
        }
    }
}
