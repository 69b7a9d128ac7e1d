import { LabTopology } from "../../lab/hosts";

/** The tutorial's two hosts (docker01, docker02 on ens33) with VLANs 10 and 20, as lab `name`. */
export function twoHostTopology(name: string): LabTopology {
    return {
        name,
        hosts: [
            { name: "docker01", address: "192.168.1.11", prefixLength: 24, nic: "ens33", sshPort: 22 },
            { name: "docker02", address: "192.168.1.13", prefixLength: 24, nic: "ens33", sshPort: 22 },
        ],
        vlans: [
            { id: 10, parent: "ens33", interfaceName: "ens33.10", hosts: ["docker01", "docker02"] },
            { id: 20, parent: "ens33", interfaceName: "ens33.20", hosts: ["docker01", "docker02"] },
        ],
    };
}
