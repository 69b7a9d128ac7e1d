/**
 * A Pulumi program of its own that uses the macvlan-lab components directly, without a lab spec
 * or a stack file of macvlan-lab: two Docker hosts, one macvlan network `lan` on their `eth0`, and
 * an nginx container on each with a static address.
 *
 *   npm install && pulumi stack init dev
 *   pulumi config set --secret sshPrivateKey -- < ~/.ssh/id_ed25519
 *   pulumi up
 *
 * Every connection verifies the host's key: the one your known_hosts lists for it (`ssh-keyscan -t
 * ed25519 <address>`, its fingerprint checked, then added there), or `knownHostsFile` for another file.
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import {
    ContainerSpec,
    DEFAULT_CONFIG_DIRS,
    HostSpec,
    LabConfigError,
    LabContainer,
    MacvlanNetwork,
    NetworkHostTarget,
    NetworkSpec,
    ParentInterface,
    dockerProvider,
    defaultKnownHostsFile,
    planLab,
    readKnownHostsFile,
    resolveHostKeys,
    topologyMermaid,
} from "macvlan-lab";

const config = new pulumi.Config();
const privateKey = config.requireSecret("sshPrivateKey");

/** A host reached as root over SSH whose `eth0` carries the macvlan traffic (and its own address). */
function host(name: string, address: string): HostSpec {
    return {
        name,
        ssh: { address, port: 22, user: "root", dialErrorLimit: 5, perDialTimeout: 10 },
        nic: "eth0",
        nicIsManagement: true,
        backend: "iproute2",
        configDir: DEFAULT_CONFIG_DIRS.iproute2,
    };
}

// each host's key from known_hosts (both the remote commands and the Docker provider's ssh check it)
const keys = resolveHostKeys([host("app01", "10.0.0.21"), host("app02", "10.0.0.22")], readKnownHostsFile(config.get("knownHostsFile") || defaultKnownHostsFile()));
if (keys.errors.length > 0) {
    throw new pulumi.RunError(new LabConfigError(keys.errors).message);
}
const hosts = keys.hosts;

const lan: NetworkSpec = {
    name: "lan",
    driver: "macvlan",
    mode: "bridge",
    subnet: "10.0.50.0/24",
    gateway: "10.0.50.1",
    parents: { app01: "eth0", app02: "eth0" },
    hosts: hosts.map((h) => h.name),
    reserved: {},
};

/** The nginx image's own command, in the foreground. */
const NGINX = ["nginx", "-g", "daemon off;"];
const containers: ContainerSpec[] = [
    { name: "web1", host: "app01", network: "lan", ip: "10.0.50.10", image: "nginx:1.27", command: NGINX, restart: "always" },
    { name: "web2", host: "app02", network: "lan", ip: "10.0.50.20", image: "nginx:1.27", command: NGINX, restart: "always" },
];

// The address plan: each host's Docker gets its own dynamic range, disjoint from the other host's
// and from every static address, so two daemons never hand out the same address.
const { plan, errors } = planLab({ hosts, vlans: [], networks: [lan], containers });
if (errors.length > 0) {
    throw new pulumi.RunError(new LabConfigError(errors).message);
}

// Per host: the parent NIC promiscuous (required for macvlan), and a Docker provider over ssh://.
const targets: Record<string, NetworkHostTarget> = {};
const providers: Record<string, docker.Provider> = {};
for (const h of hosts) {
    const nic = new ParentInterface(`${h.name}-nic`, { host: h, privateKey });
    providers[h.name] = dockerProvider(`${h.name}-docker`, h, {}, {});
    targets[h.name] = { provider: providers[h.name], dependsOn: nic.ready };
}

const network = new MacvlanNetwork("lan", { network: lan, plan, hosts: targets });

export const addresses: Record<string, pulumi.Output<string>> = {};
for (const c of containers) {
    const image = new docker.RemoteImage(`${c.host}-${c.name}-image`, { name: c.image, keepLocally: true }, { provider: providers[c.host] });
    const container = new LabContainer(`${c.host}-${c.name}`, {
        container: c,
        provider: providers[c.host],
        image: image.imageId,
        networkId: network.networks[c.host].id,
    });
    addresses[`${c.host}/${c.name}`] = container.address;
}

/** Each host's dynamic range on `lan`. */
export const ranges = network.ranges;
/** The picture of it all (paste into Markdown as a ```mermaid block). */
export const topology = topologyMermaid({ hosts, vlans: [], networks: [lan], containers }, plan);
