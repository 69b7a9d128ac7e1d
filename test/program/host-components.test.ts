/**
 * Program tests of the host networking components under Pulumi's mocks: which remote commands a
 * host gets, their names and parents, their connection (the private key a secret, and nowhere
 * else), create/delete/triggers, and their order, read from what the engine would receive (the
 * mock monitor's RegisterResource requests, whose `dependencies` carry every dependsOn), recorded
 * by the shared mocks in ./helpers/mocks.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as HostModule from "../../components/host";
import { loadLab, RawLabConfig } from "../../components/model/validate";
import { installedLibraryDir, libraryOwner, shellLibrary } from "../../components/scripts";
import { HostSpec, LabSpec } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { installMocks, MockState, promiseOf, Registered, secretAlong, settle, unwrapSecrets, withoutSecrets } from "../helpers/mocks";

const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nmvl-test-key-b3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBScCbp3QM+KChznepOkxKpDarS31Xe0kTgAsTZp4/zV";

describe("host components under Pulumi mocks", () => {
    let mocks: MockState;
    let registered: Registered[];
    let host: typeof HostModule;
    let spec: LabSpec;
    let docker01: HostSpec;
    let net: HostModule.HostNetworking;

    const byName = (name: string): Registered => {
        const found = registered.filter((r) => r.name === name);
        assert.strictEqual(found.length, 1, `${found.length} resources named ${name}; names: ${registered.map((r) => r.name).join(", ")}`);
        return found[0];
    };
    const commandsUnder = (prefix: string) =>
        registered.filter((r) => r.type === "command:remote:Command" && r.name.startsWith(prefix)).map((r) => r.name);

    before(async () => {
        // no stack config: the components take everything from their args
        mocks = installMocks("test", {}, [], (args) =>
            args.type === "command:remote:Command" ? { stdout: `stdout of ${args.name}` } : {},
        );
        registered = mocks.resources;
        host = await import("../../components/host");
        spec = loadLab(rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig);
        // every connection verifies the host's key (issue 27): pinned here, as a stack's hostKey
        docker01 = { ...spec.hosts[0], ssh: { ...spec.hosts[0].ssh, hostKey: HOST_KEY } };
        net = new host.HostNetworking("lab-docker01", {
            host: docker01,
            vlans: spec.vlans.filter((v) => v.members.some((m) => m.host === docker01.name)),
            privateKey: PRIVATE_KEY,
        });
        await settle(mocks);
    });

    it("declares the parent NIC, 8021q and both VLAN interfaces, each one remote command named ${name}-<role>", () => {
        assert.deepStrictEqual(
            registered.filter((r) => r.name.startsWith("lab-docker01")).map((r) => [r.type, r.name]).sort(),
            [
                ["command:remote:Command", "lab-docker01-8021q-load"],
                ["command:remote:Command", "lab-docker01-ens33.10-config"],
                ["command:remote:Command", "lab-docker01-ens33.20-config"],
                ["command:remote:Command", "lab-docker01-lib-install"],
                ["command:remote:Command", "lab-docker01-parent-promisc"],
                ["macvlan-lab:host:HostNetworking", "lab-docker01"],
                ["macvlan-lab:host:KernelModule", "lab-docker01-8021q"],
                ["macvlan-lab:host:ParentInterface", "lab-docker01-parent"],
                ["macvlan-lab:host:VlanInterface", "lab-docker01-ens33.10"],
                ["macvlan-lab:host:VlanInterface", "lab-docker01-ens33.20"],
                ["macvlan-lab:scripts:HostLibrary", "lab-docker01-lib"],
            ],
        );
        // each child is parented to its component, each component to the host's
        const top = byName("lab-docker01").urn;
        for (const [child, parent] of [
            ["lab-docker01-parent", top],
            ["lab-docker01-8021q", top],
            ["lab-docker01-ens33.10", top],
            ["lab-docker01-ens33.20", top],
            ["lab-docker01-parent-promisc", byName("lab-docker01-parent").urn],
            ["lab-docker01-8021q-load", byName("lab-docker01-8021q").urn],
            ["lab-docker01-ens33.10-config", byName("lab-docker01-ens33.10").urn],
            ["lab-docker01-ens33.20-config", byName("lab-docker01-ens33.20").urn],
        ]) {
            assert.strictEqual(byName(child).parent, parent, child);
        }
    });

    it("connects with the spec's SSH settings; the private key is a secret, in the engine's request and in the mock's inputs", () => {
        const names = commandsUnder("lab-docker01");
        assert.deepStrictEqual(names.slice().sort(), ["lab-docker01-8021q-load", "lab-docker01-ens33.10-config", "lab-docker01-ens33.20-config", "lab-docker01-lib-install", "lab-docker01-parent-promisc"]);
        for (const name of names) {
            const r = byName(name);
            assert.ok(secretAlong(r.wire, "connection.privateKey"), `${name}: connection.privateKey is not inside a secret on the wire`);
            assert.ok(secretAlong(r.mockInputs, "connection.privateKey"), `${name}: the mock saw a plain key`);
            assert.deepStrictEqual(unwrapSecrets(r.wire.connection), {
                host: "192.168.1.11",
                port: 22,
                user: "root",
                privateKey: PRIVATE_KEY,
                dialErrorLimit: 5,
                perDialTimeout: 10,
                hostKey: HOST_KEY,
            });
            // the key appears nowhere but inside its secret
            assert.ok(!JSON.stringify(withoutSecrets(r.wire)).includes("mvl-test-key"), `${name} leaks the key`);
            assert.strictEqual(r.wire.logging, "stdoutAndStderr");
        }
    });

    it("refuses a host whose key nothing verifies (no hostKey, no insecureIgnoreHostKey), naming the host and the fix", () => {
        assert.throws(
            () => new host.ParentInterface("nokey", { host: spec.hosts[1], privateKey: PRIVATE_KEY }),
            /^Error: the host at root@192\.168\.1\.13:22 has no host key to verify its SSH connections with: pin it as hostKey \(get it with ssh-keyscan -t ed25519 192\.168\.1\.13 /,
        );
    });

    it("runs the rendered scripts: create, delete, and triggers from their digest and the SSH endpoint", () => {
        const vlans = spec.vlans.filter((v) => v.members.some((m) => m.host === "docker01"));
        // the host's own library directory: its owner is this stack's lab-docker01-lib
        const lib = { libraryDir: installedLibraryDir("/var/lib/macvlan-lab", libraryOwner("macvlan-lab", "test", "lab-docker01-lib")) };
        assert.strictEqual(lib.libraryDir, `/var/lib/macvlan-lab/lib/macvlan-lab.test.lab-docker01-lib/${shellLibrary().id}`);
        const expected: Array<[string, HostModule.HostScripts]> = [
            ["lab-docker01-parent-promisc", host.renderParentInterface(docker01, lib)],
            ["lab-docker01-8021q-load", host.renderKernelModule(docker01, lib)],
            ...vlans.map((v): [string, HostModule.HostScripts] => [`lab-docker01-${v.interfaceName}-config`, host.renderVlanInterface(docker01, v, lib)]),
        ];
        for (const [name, scripts] of expected) {
            const r = byName(name);
            assert.strictEqual(r.wire.create, scripts.create, `${name} create`);
            assert.strictEqual(r.wire.delete, scripts.delete, `${name} delete`);
            assert.deepStrictEqual(r.wire.triggers, [scripts.identity, "192.168.1.11:22"], `${name} triggers`);
            assert.strictEqual(r.deleteBeforeReplace, true, `${name}: a replacement must delete (undo) before it creates`);
        }
        // the two VLAN interfaces differ, so do their triggers
        assert.notDeepStrictEqual(byName("lab-docker01-ens33.10-config").wire.triggers, byName("lab-docker01-ens33.20-config").wire.triggers);
    });

    it("orders them: the shell library first, the parent NIC before 8021q, both before every VLAN interface", () => {
        const lib = byName("lab-docker01-lib-install").urn;
        const promisc = byName("lab-docker01-parent-promisc").urn;
        const modprobe = byName("lab-docker01-8021q-load").urn;
        assert.deepStrictEqual(byName("lab-docker01-lib-install").dependencies, []);
        assert.deepStrictEqual(byName("lab-docker01-parent-promisc").dependencies, [lib]);
        assert.deepStrictEqual([...byName("lab-docker01-8021q-load").dependencies].sort(), [lib, promisc].sort());
        for (const dev of ["ens33.10", "ens33.20"]) {
            assert.deepStrictEqual([...byName(`lab-docker01-${dev}-config`).dependencies].sort(), [lib, promisc, modprobe].sort(), dev);
        }
        // and the VLAN interfaces do not wait for each other
        assert.ok(!byName("lab-docker01-ens33.20-config").dependencies.includes(byName("lab-docker01-ens33.10-config").urn));
    });

    it("exposes the VLAN interfaces by name and `ready`: the concrete commands for Docker networks to depend on", async () => {
        assert.deepStrictEqual(Object.keys(net.vlanInterfaces), ["ens33.10", "ens33.20"]);
        const v10 = net.vlanInterfaces["ens33.10"];
        assert.deepStrictEqual([v10.interfaceName, v10.vlanId, v10.address, v10.backend], ["ens33.10", 10, "192.168.10.10/24", "ifcfg"]);
        assert.deepStrictEqual([net.parentInterface.interfaceName, net.parentInterface.backend], ["ens33", "ifcfg"]);
        assert.deepStrictEqual(v10.ready, [v10.command]);
        const kernelModule = net.kernelModule;
        assert.ok(kernelModule);
        assert.deepStrictEqual(net.ready, [
            net.parentInterface.command,
            kernelModule.command,
            net.vlanInterfaces["ens33.10"].command,
            net.vlanInterfaces["ens33.20"].command,
        ]);
        const urns = await Promise.all(net.ready.map((r) => promiseOf(r.urn)));
        assert.deepStrictEqual(
            urns,
            ["lab-docker01-parent-promisc", "lab-docker01-8021q-load", "lab-docker01-ens33.10-config", "lab-docker01-ens33.20-config"].map((n) => byName(n).urn),
        );
        assert.strictEqual(await promiseOf(v10.stdout), "stdout of lab-docker01-ens33.10-config");
    });

    it("a host without VLANs gets only the promiscuous parent NIC (no 8021q)", async () => {
        const plain = new host.HostNetworking("solo", { host: { ...docker01, name: "solo", ssh: { ...docker01.ssh, address: "192.168.1.20" } }, privateKey: PRIVATE_KEY });
        await settle(mocks);
        assert.deepStrictEqual(commandsUnder("solo").sort(), ["solo-lib-install", "solo-parent-promisc"]);
        assert.strictEqual(plain.kernelModule, undefined);
        assert.deepStrictEqual(plain.vlanInterfaces, {});
        assert.deepStrictEqual(plain.ready, [plain.parentInterface.command]);
    });

    it("render options and the backend reach the scripts", async () => {
        const nm: HostSpec = { ...docker01, name: "nmhost", backend: "nmcli", configDir: "/etc/NetworkManager/system-connections" };
        const vlan = { ...spec.vlans[0], members: [{ host: "nmhost", address: "192.168.10.30/24" }] };
        const opts = { stateDir: "/srv/mvl-state", modulesLoadDir: "/srv/modules", emulationMarker: "/srv/marker" };
        new host.HostNetworking("nmhost", { host: nm, vlans: [vlan], privateKey: PRIVATE_KEY, ...opts });
        await settle(mocks);
        const libraryDir = installedLibraryDir("/srv/mvl-state", "macvlan-lab.test.nmhost-lib");
        assert.strictEqual(byName("nmhost-ens33.10-config").wire.create, host.renderVlanInterface(nm, vlan, { ...opts, libraryDir }).create);
        assert.strictEqual(byName("nmhost-8021q-load").wire.create, host.renderKernelModule(nm, { ...opts, libraryDir }).create);
        assert.ok(String(byName("nmhost-ens33.10-config").wire.create).includes('\n. "$lib/host/backends/nmcli.sh"\n'));
        // the host's own library, installed under the same state directory
        assert.ok(String(byName("nmhost-lib-install").wire.create).includes("\nlib_root='/srv/mvl-state/lib'\n"));
        assert.ok(String(byName("nmhost-ens33.10-config").wire.create).includes(`\nlib='/srv/mvl-state/lib/macvlan-lab.test.nmhost-lib/${shellLibrary().id}'\n`));
        assert.ok(String(byName("nmhost-lib-install").wire.delete).includes("\nlib_owner='macvlan-lab.test.nmhost-lib'\n"));
        // its owner is in the triggers: another owner is another directory, so a new command
        assert.deepStrictEqual(byName("nmhost-lib-install").wire.triggers, [`sha256:${shellLibrary().digest}`, "192.168.1.11:22", "macvlan-lab.test.nmhost-lib"]);
    });

    it("refuses a VLAN the host is not a member of, and a bad value, naming the component", () => {
        assert.throws(
            () => new host.HostNetworking("lab-docker03", { host: { ...docker01, name: "docker03" }, vlans: [spec.vlans[0]], privateKey: PRIVATE_KEY }),
            (e: unknown) => {
                assert.ok(e instanceof pulumi.ResourceError);
                assert.strictEqual(
                    (e as Error).message,
                    "HostNetworking lab-docker03: VLAN 10 (ens33.10) does not list docker03 among its members (docker01, docker02); pass only the VLANs the host is a member of",
                );
                return true;
            },
        );
        assert.throws(
            () => new host.ParentInterface("bad-nic", { host: { ...docker01, nic: "ens33;reboot" }, privateKey: PRIVATE_KEY, library: net.library }),
            { message: 'ParentInterface bad-nic: host docker01: nic "ens33;reboot" is not an interface name (at most 15 of [a-zA-Z0-9_.-])' },
        );
    });
});
