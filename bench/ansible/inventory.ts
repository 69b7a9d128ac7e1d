/**
 * The Ansible peer's inventory (bench/ansible/multi-vlan.yml): the stack's hosts, VLANs, networks (with
 * the plan's per-host ranges), registry, mirrors, containers and pings, as host and group variables,
 * made from the same validated spec and plan the program uses, so both sides build the same lab.
 * An Ansible user keeps such variables in host_vars/group_vars by hand; here they are generated so
 * they cannot drift from the stack. The file is JSON (Ansible's yaml inventory plugin reads it). Pure.
 */
import { checkCases } from "../../components/docker/checks";
import { LabPlan } from "../../components/model/plan";
import { LabSpec } from "../../components/model/types";

export interface AnsibleInventoryOptions {
    /** `emulated`: the lab pre-made a link per VLAN (no 802.1Q in this kernel); `8021q`: the playbook makes VLAN devices. */
    vlanMode: "emulated" | "8021q";
    /** ssh_config naming every host (the lab's), passed to ssh with -F. */
    sshConfig: string;
    /** The Python on the hosts (`ansible_python_interpreter`). Defaults to /usr/bin/python3. */
    python?: string;
}

/** The inventory of `spec` for the playbook. Pure. */
export function ansibleInventory(spec: LabSpec, plan: LabPlan, opts: AnsibleInventoryOptions): Record<string, unknown> {
    const reg = spec.registry;
    const cases = checkCases(
        spec.containers.map((c) => ({ name: c.name, host: c.host, network: c.network, ...(c.ip !== undefined ? { ip: c.ip } : {}) })),
        spec.checks.isolation,
        { connectivity: spec.checks.connectivity },
    );
    const hosts: Record<string, unknown> = {};
    for (const h of spec.hosts) {
        const containers = spec.containers.filter((c) => c.host === h.name);
        hosts[h.name] = {
            ansible_host: h.ssh.address,
            ansible_port: h.ssh.port,
            ansible_user: h.ssh.user,
            nic: h.nic,
            vlan_links: spec.vlans.flatMap((v) =>
                v.members
                    .filter((m) => m.host === h.name)
                    .map((m) => {
                        const [address, prefix] = m.address.split("/");
                        return { id: v.id, device: v.interfaceName, parent: v.parent, address, prefix: Number(prefix) };
                    }),
            ),
            networks: spec.networks
                .filter((n) => n.hosts.includes(h.name))
                .map((n) => ({ name: n.name, driver: n.driver, subnet: n.subnet, gateway: n.gateway, parent: n.parents[h.name], ip_range: plan.networks[n.name].ranges[h.name] })),
            images: [...new Set(containers.map((c) => c.image))],
            containers: containers.map((c) => ({ name: c.name, network: c.network, ip: c.ip ?? "", image: c.image, command: c.command, restart: c.restart })),
            pings: cases
                .filter((p) => p.sourceHost === h.name && p.targetIp !== undefined)
                .map((p) => ({ source: p.source, target: `${p.targetHost}/${p.target}`, ip: p.targetIp, expect: p.expect })),
        };
    }
    return {
        docker_hosts: {
            hosts,
            vars: {
                ansible_python_interpreter: opts.python ?? "/usr/bin/python3",
                ansible_ssh_common_args: `-F ${opts.sshConfig}`,
                vlan_mode: opts.vlanMode,
                ping_count: spec.checks.count,
                ping_timeout: spec.checks.timeoutSeconds,
                registry_host: reg?.host ?? "",
                registry_endpoint: reg?.endpoint ?? "",
                registry_port: reg?.port ?? 0,
                registry_image: reg?.image ?? "",
                registry_volume: reg?.volume ?? "",
                mirrors: (reg?.mirrors ?? []).map((m) => ({ source: m.source, repository: `${reg?.endpoint}/${m.name}`, tag: m.tag })),
            },
        },
    };
}
