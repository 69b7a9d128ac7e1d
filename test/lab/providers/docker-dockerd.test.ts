/**
 * The Docker provider stand-in against a real dockerd over ssh, on a lab host of its own
 * (root and the Debian packages of lab/packages.txt; skipped with the reason elsewhere).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { DockerStandInProvider } from "../../../lab/providers/docker/provider";
import { TOKENS, diffProperties } from "../../../lab/providers/docker/resources";
import { JsonObject } from "../../../lab/providers/docker/values";
import { LabHosts, hostsDown, hostsUp } from "../../../lab/hosts";
import { hostsUnavailable, sh as shOn, skipIf } from "../../helpers/labSuite";

describe("lab: docker stand-in against a real dockerd over ssh", function () {
    this.timeout(120_000);
    const LAB = "dstand";
    let lab: LabHosts | undefined;
    let p: DockerStandInProvider;
    const urn = (t: string, n: string) => `urn:pulumi:s::p::${t}::${n}`;
    const up = () => {
        if (lab === undefined) throw new Error("no lab");
        return lab;
    };
    const sh = async (cmd: string) => (await shOn(up(), "docker01", cmd, 60_000)).stdout.trim();

    before(async function () {
        skipIf(this, hostsUnavailable());
        lab = await hostsUp({ name: LAB, hosts: [{ name: "docker01", address: "192.168.1.11", prefixLength: 24, nic: "ens33", sshPort: 22 }], vlans: [] });
        const l = lab;
        p = new DockerStandInProvider(() => undefined, (argv) => l.controllerArgv(argv));
        p.configure({
            host: "ssh://root@192.168.1.11:22",
            sshOpts: ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", `UserKnownHostsFile=${l.knownHostsPath}`, "-o", "StrictHostKeyChecking=yes", "-i", l.privateKeyPath],
            registryAuth: [],
        });
    });

    after(async function () {
        this.timeout(120_000);
        if (lab !== undefined) await hostsDown(LAB);
    });

    it("creates, updates in place, refuses taken names, and deletes as upstream", async () => {
        const netIn = (await p.check(urn(TOKENS.network, "n"), {}, { name: "mv", driver: "macvlan", options: { parent: "ens33" }, ipamConfigs: [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1" }] })).inputs as JsonObject;
        const net = await p.create(urn(TOKENS.network, "n"), netIn);
        assert.equal(diffProperties(TOKENS.network, net.outs as JsonObject, netIn).changes, false, "state read back equals the inputs");
        await assert.rejects(p.create(urn(TOKENS.network, "n2"), netIn), /Unable to create network: Error response from daemon: network with name mv already exists/);

        const img = await p.create(urn(TOKENS.remoteImage, "bb"), { name: "busybox:latest", keepLocally: true });
        const imageId = (img.outs as JsonObject).imageId as string;
        assert.match(imageId, /^sha256:/, "present locally: used, not pulled");

        const cIn = (await p.check(urn(TOKENS.container, "c"), {}, { name: "bbox1", image: imageId, command: ["sleep", "600"], restart: "always", networksAdvanced: [{ name: net.id, ipv4Address: "172.16.10.10" }] })).inputs as JsonObject;
        const c = await p.create(urn(TOKENS.container, "c"), cIn);
        const cOuts = c.outs as JsonObject;
        assert.equal((cOuts.networkDatas as JsonObject[])[0].ipAddress, "172.16.10.10");
        assert.equal(diffProperties(TOKENS.container, cOuts, cIn).changes, false, "no diff right after create");
        await assert.rejects(p.create(urn(TOKENS.container, "c2"), cIn), /Unable to create container: .*already in use/);

        const newIn = { ...cIn, restart: "unless-stopped" };
        assert.deepEqual(diffProperties(TOKENS.container, cOuts, newIn).replaces, []);
        await p.update(c.id, urn(TOKENS.container, "c"), cOuts, newIn);
        assert.equal(await sh(`docker inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.Id}}' bbox1`), `unless-stopped ${c.id}`);

        const tag = await p.create(urn(TOKENS.tag, "t"), { sourceImage: imageId, targetImage: "192.168.1.11:5000/busybox:v1" });
        await p.delete(tag.id, urn(TOKENS.tag, "t"), tag.outs);
        assert.equal(await sh("docker images -q 192.168.1.11:5000/busybox:v1"), imageId.slice(7, 19), "Tag delete leaves the tag");

        const vol = await p.create(urn(TOKENS.volume, "v"), { name: "regdata" });
        await p.delete(c.id, urn(TOKENS.container, "c"), cOuts);
        await p.delete(vol.id, urn(TOKENS.volume, "v"), vol.outs);
        await p.delete(net.id, urn(TOKENS.network, "n"), net.outs);
        await p.delete(img.id, urn(TOKENS.remoteImage, "bb"), img.outs);
        assert.equal(await sh("docker ps -aq; docker volume ls -q; docker network ls -q -f name=mv"), "");
        assert.notEqual(await sh("docker images -q busybox:latest"), "", "keepLocally keeps the image");
    });

    it("takes the key and the host key only as the system ssh takes them from sshOpts (what the real provider passes on)", async () => {
        const l = up();
        const { dockerSshOpts } = await import("../../../components/docker/provider");
        const host = (hostKey?: string) => ({
            name: "docker01", nic: "ens33", nicIsManagement: true, backend: "iproute2" as const, configDir: "/etc/macvlan-lab",
            ssh: { address: "192.168.1.11", port: 22, user: "root", dialErrorLimit: 1, perDialTimeout: 5, ...(hostKey !== undefined ? { hostKey } : {}) },
        });
        // a RemoteImage of an image the host has: one API call over ssh, its errors not swallowed
        const listNetworks = async (sshOpts: string[]) => {
            const q = new DockerStandInProvider(() => undefined, (argv) => l.controllerArgv(argv));
            q.configure({ host: "ssh://root@192.168.1.11:22", sshOpts, registryAuth: [] });
            return q.create(urn(TOKENS.remoteImage, "probe"), { name: "busybox:latest", keepLocally: true });
        };
        const pinned = l.hostKeys.docker01;
        assert.match(pinned, /^ssh-ed25519 /);
        // the program's options: the key file, the pinned key through KnownHostsCommand, no known_hosts file
        const ok = await listNetworks(dockerSshOpts(host(pinned), { keyFile: l.privateKeyPath }));
        assert.match(String((ok.outs as JsonObject).imageId), /^sha256:/);
        // another pinned key: ssh refuses the host
        const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv4Tq5d7Zk1cJb2QwYtq0mHbJ9o0Cq3m0m0Tn3nKk0f";
        await assert.rejects(listNetworks(dockerSshOpts(host(other), { keyFile: l.privateKeyPath })), /has exited with exit status 255, .*stderr=.*Host key verification failed/s);
        // a key the host does not authorize: refused (-F /dev/null: the lab controller's ~/.ssh/config
        // names the lab's key for every host, which ssh would offer too). A key file that is not there
        // is dropped by ssh with a warning, and ssh then offers the default ~/.ssh/id_* keys (the
        // controller's is the lab's key), so that case is no refusal here.
        const stranger = `${l.privateKeyPath}.stranger-${process.pid}`;
        const gen = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger], { encoding: "utf8" });
        assert.equal(gen.status, 0, gen.stderr);
        try {
            await assert.rejects(
                listNetworks(["-F", "/dev/null", ...dockerSshOpts(host(pinned), { keyFile: stranger })]),
                /has exited with exit status 255, make sure the URL is valid.*stderr=.*Permission denied \(publickey\)/s,
            );
        } finally {
            fs.rmSync(stranger, { force: true });
            fs.rmSync(`${stranger}.pub`, { force: true });
        }
    });
});
