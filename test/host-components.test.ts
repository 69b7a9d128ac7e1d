/**
 * Program tests of the host networking components under Pulumi's mocks: which remote commands a
 * host gets, their names and parents, their connection (the private key a secret, and nowhere
 * else), create/delete/triggers, and their order, read from what the engine would receive (the
 * mock monitor's RegisterResource requests, whose `dependencies` carry every dependsOn).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as HostModule from "../components/host";
import { loadLab, RawLabConfig } from "../components/spec/validate";
import { HostSpec, LabSpec } from "../components/spec/types";
import { loadStackConfig, rawLabConfig } from "../lab/stackFile";

/** The wire marker of a secret value (the SDK's `specialSigKey` / `specialSecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nmvl-test-key-b3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

/** One RegisterResource request as the engine would get it, and what the mock's newResource saw. */
interface Registered {
    type: string;
    name: string;
    urn: string;
    parent: string;
    dependencies: string[];
    deleteBeforeReplace: boolean;
    /** The inputs on the wire: secrets still wrapped. */
    wire: Record<string, unknown>;
    /** The inputs newResource received. */
    mockInputs: Record<string, unknown>;
}

function isSecret(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The wire inputs with every secret's value replaced by a placeholder. */
function withoutSecrets(v: unknown): unknown {
    if (isSecret(v)) {
        return "[secret]";
    }
    if (Array.isArray(v)) {
        return v.map(withoutSecrets);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
    }
    return v;
}

/** Whether the value at `path` (`connection.privateKey`) is a secret or inside one. */
function secretAlong(inputs: Record<string, unknown>, path: string): boolean {
    let v: unknown = inputs;
    for (const part of path.split(".")) {
        if (isSecret(v)) {
            return true;
        }
        v = (v as Record<string, unknown> | undefined)?.[part];
    }
    return isSecret(v);
}

function unwrapSecrets(v: unknown): unknown {
    if (isSecret(v)) {
        return unwrapSecrets((v as { value: unknown }).value);
    }
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

function installMocks(): Registered[] {
    const registered: Registered[] = [];
    const mockInputs = new Map<string, Record<string, unknown>>();
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                mockInputs.set(`${args.type}::${args.name}`, args.inputs);
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "command:remote:Command") {
                    state.stdout = `stdout of ${args.name}`;
                    state.stderr = "";
                }
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                return args.inputs;
            },
        },
        "macvlan-lab",
        "test",
        false,
    );
    // the mock monitor answers RegisterResource; wrap it to keep the whole request
    /* eslint-disable @typescript-eslint/no-explicit-any */
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: (err: unknown, resp: any) => void): void };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        original(req, (err, resp) => {
            if (!err && resp) {
                registered.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: resp.getUrn(),
                    parent: req.getParent(),
                    dependencies: req.getDependenciesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    wire: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
                    mockInputs: mockInputs.get(`${req.getType()}::${req.getName()}`) ?? {},
                });
            }
            cb(err, resp);
        });
    };
    /* eslint-enable @typescript-eslint/no-explicit-any */
    return registered;
}

/** Waits until no resource has been registered for a few ticks (bounded). */
async function settle(registered: Registered[], quietMs = 50, maxMs = 10_000): Promise<void> {
    const start = Date.now();
    let count = -1;
    while (Date.now() - start < maxMs) {
        if (count === registered.length) {
            return;
        }
        count = registered.length;
        await new Promise((r) => setTimeout(r, quietMs));
    }
    throw new Error("registrations did not settle");
}

function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("host components under Pulumi mocks", () => {
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
        registered = installMocks();
        host = await import("../components/host");
        spec = loadLab(rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig);
        docker01 = spec.hosts[0];
        net = new host.HostNetworking("lab-docker01", {
            host: docker01,
            vlans: spec.vlans.filter((v) => v.members.some((m) => m.host === docker01.name)),
            privateKey: PRIVATE_KEY,
        });
        await settle(registered);
    });

    it("declares the parent NIC, 8021q and both VLAN interfaces, each one remote command named ${name}-<role>", () => {
        assert.deepStrictEqual(
            registered.filter((r) => r.name.startsWith("lab-docker01")).map((r) => [r.type, r.name]).sort(),
            [
                ["command:remote:Command", "lab-docker01-8021q-load"],
                ["command:remote:Command", "lab-docker01-ens33.10-config"],
                ["command:remote:Command", "lab-docker01-ens33.20-config"],
                ["command:remote:Command", "lab-docker01-parent-promisc"],
                ["macvlan-lab:host:HostNetworking", "lab-docker01"],
                ["macvlan-lab:host:KernelModule", "lab-docker01-8021q"],
                ["macvlan-lab:host:ParentInterface", "lab-docker01-parent"],
                ["macvlan-lab:host:VlanInterface", "lab-docker01-ens33.10"],
                ["macvlan-lab:host:VlanInterface", "lab-docker01-ens33.20"],
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
        for (const name of commandsUnder("lab-docker01")) {
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
            });
            // the key appears nowhere but inside its secret
            assert.ok(!JSON.stringify(withoutSecrets(r.wire)).includes("mvl-test-key"), `${name} leaks the key`);
            assert.strictEqual(r.wire.logging, "stdoutAndStderr");
        }
    });

    it("runs the rendered scripts: create, delete, and triggers from their digest and the SSH endpoint", () => {
        const vlans = spec.vlans.filter((v) => v.members.some((m) => m.host === "docker01"));
        const expected: Array<[string, HostModule.HostScripts]> = [
            ["lab-docker01-parent-promisc", host.renderParentInterface(docker01)],
            ["lab-docker01-8021q-load", host.renderKernelModule(docker01)],
            ...vlans.map((v): [string, HostModule.HostScripts] => [`lab-docker01-${v.interfaceName}-config`, host.renderVlanInterface(docker01, v)]),
        ];
        for (const [name, scripts] of expected) {
            const r = byName(name);
            assert.strictEqual(r.wire.create, scripts.create, `${name} create`);
            assert.strictEqual(r.wire.delete, scripts.delete, `${name} delete`);
            assert.deepStrictEqual(r.wire.triggers, [host.scriptsDigest(scripts.create, scripts.delete, scripts.check), "192.168.1.11:22"], `${name} triggers`);
            assert.strictEqual(r.deleteBeforeReplace, true, `${name}: a replacement must delete (undo) before it creates`);
        }
        // the two VLAN interfaces differ, so do their triggers
        assert.notDeepStrictEqual(byName("lab-docker01-ens33.10-config").wire.triggers, byName("lab-docker01-ens33.20-config").wire.triggers);
    });

    it("orders them: the parent NIC before 8021q, both before every VLAN interface", () => {
        const promisc = byName("lab-docker01-parent-promisc").urn;
        const modprobe = byName("lab-docker01-8021q-load").urn;
        assert.deepStrictEqual(byName("lab-docker01-parent-promisc").dependencies, []);
        assert.deepStrictEqual(byName("lab-docker01-8021q-load").dependencies, [promisc]);
        for (const dev of ["ens33.10", "ens33.20"]) {
            assert.deepStrictEqual([...byName(`lab-docker01-${dev}-config`).dependencies].sort(), [promisc, modprobe].sort(), dev);
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
        const urns = await Promise.all(net.ready.map((r) => valueOf(r.urn)));
        assert.deepStrictEqual(
            urns,
            ["lab-docker01-parent-promisc", "lab-docker01-8021q-load", "lab-docker01-ens33.10-config", "lab-docker01-ens33.20-config"].map((n) => byName(n).urn),
        );
        assert.strictEqual(await valueOf(v10.stdout), "stdout of lab-docker01-ens33.10-config");
    });

    it("a host without VLANs gets only the promiscuous parent NIC (no 8021q)", async () => {
        const plain = new host.HostNetworking("solo", { host: { ...docker01, name: "solo", ssh: { ...docker01.ssh, address: "192.168.1.20" } }, privateKey: PRIVATE_KEY });
        await settle(registered);
        assert.deepStrictEqual(commandsUnder("solo"), ["solo-parent-promisc"]);
        assert.strictEqual(plain.kernelModule, undefined);
        assert.deepStrictEqual(plain.vlanInterfaces, {});
        assert.deepStrictEqual(plain.ready, [plain.parentInterface.command]);
    });

    it("render options and the backend reach the scripts", async () => {
        const nm: HostSpec = { ...docker01, name: "nmhost", backend: "nmcli", configDir: "/etc/NetworkManager/system-connections" };
        const vlan = { ...spec.vlans[0], members: [{ host: "nmhost", address: "192.168.10.30/24" }] };
        const opts = { stateDir: "/srv/mvl-state", modulesLoadDir: "/srv/modules", emulationMarker: "/srv/marker" };
        new host.HostNetworking("nmhost", { host: nm, vlans: [vlan], privateKey: PRIVATE_KEY, ...opts });
        await settle(registered);
        assert.strictEqual(byName("nmhost-ens33.10-config").wire.create, host.renderVlanInterface(nm, vlan, opts).create);
        assert.strictEqual(byName("nmhost-8021q-load").wire.create, host.renderKernelModule(nm, opts).create);
        assert.ok(String(byName("nmhost-ens33.10-config").wire.create).includes("nm_set add type vlan con-name \"$con\""));
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
            () => new host.ParentInterface("bad-nic", { host: { ...docker01, nic: "ens33;reboot" }, privateKey: PRIVATE_KEY }),
            { message: 'ParentInterface bad-nic: host docker01: nic "ens33;reboot" is not an interface name (at most 15 of [a-zA-Z0-9_.-])' },
        );
    });
});
