/**
 * Program tests: index.ts under Pulumi's mocks, for every stack file, loaded the way the CLI loads
 * it. Asserts what the engine would receive: resources per host, their inputs, providers,
 * dependencies, deleteBeforeReplace, and that secrets stay secret.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockState, Registered, promiseOf, withoutSecrets } from "../helpers/mocks";
import { lastProgramMocks, ProgramRun, runProgram } from "../helpers/runProgram";
import { fixtureHostKeys } from "../fixtures/hostKeys";
import { listStacks, loadStackConfig } from "../../lab/stackFile";
import { PARENT_REVISION_LABEL } from "../../components/docker/macvlanNetwork";
import { preflightScriptBody } from "../../components/preflight";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nprogram-test-key-material\n-----END OPENSSH PRIVATE KEY-----";

/** The checks' command answers with one reachable row, so the program's checks output has one. */
const checksAnswer = (args: pulumi.runtime.MockResourceArgs): Record<string, unknown> =>
    args.type === "command:remote:Command" && args.name.startsWith("lab-checks-")
        ? { stdout: `CHECK\tfrom/${args.name}\tto/x\tnet\treachable\treachable\t10.0.0.1\n` }
        : {};

/** The program on `stack` with `config` (the test key unless `withKey` is false). */
const runStack = (stack: string, config: Record<string, string>, withKey = true): Promise<ProgramRun> =>
    runProgram({ stack, config, key: withKey ? KEY : null, outputs: checksAnswer });

const custom = (s: MockState): string[] =>
    s.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`).sort();

function urnOf(s: MockState, name: string): string {
    return s.byName(name).urn;
}

function dependsOn(s: MockState, name: string, ...on: string[]): void {
    const r = s.byName(name);
    for (const o of on) {
        assert.ok(r.dependencies.includes(urnOf(s, o)), `${name} should depend on ${o}; it depends on ${r.dependencies.map((u) => u.split("::").pop()).join(", ")}`);
    }
}

function providerOf(r: Registered): string {
    return r.provider ?? "(none)";
}

describe("program: every stack file loads and declares resources", function () {
    // the first run compiles the program with ts-node: over 20 s on a busy 2-core machine
    this.timeout(120_000);
    for (const stack of listStacks()) {
        it(`stacks/Pulumi.${stack}.yaml runs without error and exports hosts, registry, checks, topology, addressPlan, verification and repair`, async () => {
            const { state, program } = await runStack(stack, loadStackConfig(stack));
            assert.ok(state.resources.length > 10);
            assert.deepStrictEqual(Object.keys(program).sort(), ["addressPlan", "checks", "hosts", "registry", "repair", "topology", "verification"]);
        });
    }
});

describe("program: single-network stack", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("single-network", loadStackConfig("single-network"));
    });

    it("declares exactly the tutorial's section 4.1 per host", () => {
        assert.deepStrictEqual(custom(run.state), [
            "command:remote:Command lab-checks-docker01",
            "command:remote:Command lab-checks-docker02",
            "command:remote:Command lab-docker01-lib-install",
            "command:remote:Command lab-docker01-parent-promisc",
            "command:remote:Command lab-docker01-preflight-check",
            "command:remote:Command lab-docker02-lib-install",
            "command:remote:Command lab-docker02-parent-promisc",
            "command:remote:Command lab-docker02-preflight-check",
            "docker:index/container:Container lab-docker01-bbox1-container",
            "docker:index/container:Container lab-docker02-bbox2-container",
            "docker:index/network:Network lab-mac_net1-docker01",
            "docker:index/network:Network lab-mac_net1-docker02",
            "docker:index/remoteImage:RemoteImage lab-docker01-pull-busybox-latest",
            "docker:index/remoteImage:RemoteImage lab-docker02-pull-busybox-latest",
            "pulumi:index:Stash lab-preflights-passed",
            "pulumi:providers:docker lab-docker01-docker",
            "pulumi:providers:docker lab-docker02-docker",
        ]);
    });

    it("gives the Docker providers no registry auth: the stack has no registry", () => {
        assert.strictEqual(run.state.byName("lab-docker01-docker").inputs.registryAuth, undefined);
    });

    it("puts mac_net1 on ens33 of both hosts with the same subnet and gateway and disjoint ranges", () => {
        const n1 = run.state.byName("lab-mac_net1-docker01").inputs;
        const n2 = run.state.byName("lab-mac_net1-docker02").inputs;
        assert.deepStrictEqual(n1, {
            name: "mac_net1",
            driver: "macvlan",
            options: { parent: "ens33", macvlan_mode: "bridge" },
            ipamConfigs: [{ subnet: "172.22.16.0/24", gateway: "172.22.16.1", ipRange: "172.22.16.64/26" }],
            labels: [{ label: "dev.macvlan-lab.stack", value: "macvlan-lab/single-network" }],
        });
        assert.deepStrictEqual(n2.ipamConfigs, [{ subnet: "172.22.16.0/24", gateway: "172.22.16.1", ipRange: "172.22.16.128/26" }]);
        assert.strictEqual(n2.name, n1.name);
    });

    it("orders promisc before the network, the network and pull before the container, containers before checks", () => {
        const s = run.state;
        dependsOn(s, "lab-mac_net1-docker01", "lab-docker01-parent-promisc");
        dependsOn(s, "lab-docker01-bbox1-container", "lab-mac_net1-docker01", "lab-docker01-pull-busybox-latest");
        dependsOn(s, "lab-checks-docker01", "lab-docker01-bbox1-container", "lab-docker02-bbox2-container");
        dependsOn(s, "lab-checks-docker02", "lab-docker01-bbox1-container", "lab-docker02-bbox2-container");
    });

    it("runs bbox1 and bbox2 with their static addresses, busybox kept running, restart always", () => {
        const c = run.state.byName("lab-docker02-bbox2-container").inputs;
        assert.strictEqual(c.name, "bbox2");
        assert.deepStrictEqual(c.command, ["sleep", "infinity"]);
        assert.strictEqual(c.restart, "always");
        assert.strictEqual(c.mustRun, true);
        // attached by network id (replaced with the network), image by the id of the pull on its host
        assert.deepStrictEqual(c.networksAdvanced, [{ name: run.state.byName("lab-mac_net1-docker02").id, ipv4Address: "172.22.16.20" }]);
        const pull = run.state.byName("lab-docker02-pull-busybox-latest");
        assert.strictEqual(pull.inputs.name, "busybox:latest");
        assert.strictEqual(pull.inputs.keepLocally, true);
        assert.strictEqual(c.image, pull.outputs.imageId);
    });

    it("exports per host its networks with planned ranges and containers with addresses", async () => {
        const hosts = await promiseOf(pulumi.output(run.program.hosts));
        assert.deepStrictEqual(JSON.parse(JSON.stringify(hosts)), {
            docker01: {
                networks: { mac_net1: { subnet: "172.22.16.0/24", gateway: "172.22.16.1", parent: "ens33", ipRange: "172.22.16.64/26" } },
                containers: { bbox1: { network: "mac_net1", address: "172.22.16.10" } },
            },
            docker02: {
                networks: { mac_net1: { subnet: "172.22.16.0/24", gateway: "172.22.16.1", parent: "ens33", ipRange: "172.22.16.128/26" } },
                containers: { bbox2: { network: "mac_net1", address: "172.22.16.20" } },
            },
        });
    });
});

describe("program: lan stack (containers on the hosts' LAN, no VLAN)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("lan", loadStackConfig("lan"));
    });

    it("puts lan_net on the management NIC of both hosts with the planned ranges and the printer as the only aux address", () => {
        for (const [h, range] of [["docker01", "192.168.1.64/26"], ["docker02", "192.168.1.128/26"]]) {
            const n = run.state.byName(`lab-lan_net-${h}`).inputs;
            assert.deepStrictEqual([n.name, n.driver, n.options], ["lan_net", "macvlan", { parent: "ens33", macvlan_mode: "bridge" }]);
            assert.deepStrictEqual(n.ipamConfigs, [{ subnet: "192.168.1.0/24", gateway: "192.168.1.1", ipRange: range, auxAddress: { printer: "192.168.1.5" } }]);
            dependsOn(run.state, `lab-lan_net-${h}`, `lab-${h}-parent-promisc`);
        }
        assert.deepStrictEqual(custom(run.state).filter((r) => /VlanInterface|8021q|vlan/i.test(r)), [], "no VLAN and no 8021q on the LAN");
    });

    it("runs bbox1 and bbox2 with their LAN addresses, and checks them from each other's host", () => {
        assert.deepStrictEqual(run.state.byName("lab-docker01-bbox1-container").inputs.networksAdvanced, [{ name: run.state.byName("lab-lan_net-docker01").id, ipv4Address: "192.168.1.21" }]);
        assert.deepStrictEqual(run.state.byName("lab-docker02-bbox2-container").inputs.networksAdvanced, [{ name: run.state.byName("lab-lan_net-docker02").id, ipv4Address: "192.168.1.23" }]);
        dependsOn(run.state, "lab-checks-docker01", "lab-docker01-bbox1-container", "lab-docker02-bbox2-container");
    });
});

describe("program: multi-vlan stack with registry.migrateUnitFlag (dockerd restarts)", function () {
    this.timeout(120_000);
    it("makes every host's Docker provider, and so every Docker resource there, wait for the trust: no Docker call may overlap the restart", async () => {
        const config = loadStackConfig("multi-vlan");
        const registry = JSON.parse(config["macvlan-lab:registry"]);
        const { state } = await runStack("multi-vlan", { ...config, "macvlan-lab:registry": JSON.stringify({ ...registry, migrateUnitFlag: true }) });
        for (const h of ["docker01", "docker02"]) dependsOn(state, `lab-${h}-docker`, `lab-${h}-trust-daemon-json`);
    });
});

describe("program: multi-vlan stack", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("multi-vlan", loadStackConfig("multi-vlan"));
    });

    it("declares exactly the tutorial's section 4.2 per host", () => {
        const perHost = (h: string): string[] => [
            `command:remote:Command lab-${h}-8021q-load`,
            `command:remote:Command lab-${h}-ens33.10-config`,
            `command:remote:Command lab-${h}-ens33.20-config`,
            `command:remote:Command lab-${h}-lib-install`,
            `command:remote:Command lab-${h}-parent-promisc`,
            `command:remote:Command lab-${h}-preflight-check`,
            `command:remote:Command lab-${h}-trust-daemon-json`,
            `command:remote:Command lab-${h}-trust-inspect`,
            `command:remote:Command lab-checks-${h}`,
            `docker:index/container:Container lab-${h}-bbox10-container`,
            `docker:index/container:Container lab-${h}-bbox20-container`,
            `docker:index/network:Network lab-mac_net10-${h}`,
            `docker:index/network:Network lab-mac_net20-${h}`,
            `docker:index/remoteImage:RemoteImage lab-${h}-pull-192-168-1-11-5000-busybox-v1`,
            `pulumi:providers:docker lab-${h}-docker`,
        ];
        assert.deepStrictEqual(
            custom(run.state),
            [
                ...perHost("docker01"),
                ...perHost("docker02"),
                "command:remote:Command lab-registry-ready",
                "docker:index/container:Container lab-registry-container",
                "docker:index/registryImage:RegistryImage lab-registry-busybox-v1-push",
                "docker:index/remoteImage:RemoteImage lab-registry-busybox-v1-source",
                "docker:index/remoteImage:RemoteImage lab-registry-image",
                "docker:index/tag:Tag lab-registry-busybox-v1-tag",
                "docker:index/volume:Volume lab-registry-data",
                "pulumi:index:Stash lab-preflights-passed",
            ].sort(),
        );
    });

    it("declares one Docker provider per host over ssh:// with strict host key checking", () => {
        const p = run.state.byName("lab-docker02-docker").inputs;
        assert.strictEqual(p.host, "ssh://root@192.168.1.13:22");
        const opts = JSON.parse(p.sshOpts) as string[];
        // the stack pins no key: docker02's comes from sshKnownHostsFile (the fixture), given to ssh
        // as the only key it accepts
        const key = fixtureHostKeys()["192.168.1.13"];
        assert.match(key, /^ssh-ed25519 AAAA/);
        // no sshKeyFile in the stack: the sshPrivateKey secret as the run's key file (test/program/docker-ssh.test.ts)
        assert.deepStrictEqual(opts.slice(0, 16), [
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ConnectionAttempts=5",
            "-o", "ServerAliveInterval=15", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o", `KnownHostsCommand=/bin/echo 192.168.1.13 ${key}`,
        ]);
        // one shared connection per host (test/program/docker-ssh.test.ts), then the run's key file
        assert.deepStrictEqual([opts[16], opts[17], opts[18], opts[20], opts[21]], ["-o", "ControlMaster=auto", "-o", "-o", "ControlPersist=60"]);
        assert.match(opts[19], /^ControlPath=\//);
        assert.deepStrictEqual([opts[22], opts[24], opts[25]], ["-i", "-o", "IdentitiesOnly=yes"]);
        assert.strictEqual(opts.length, 26);
        for (const r of run.state.resources.filter((x) => x.type.startsWith("docker:index/"))) {
            const host = r.name.includes("docker02") ? "docker02" : "docker01";
            assert.ok(r.provider?.includes(`lab-${host}-docker`), `${r.name} should use ${host}'s provider, not ${providerOf(r)}`);
        }
    });

    it("verifies the same host key in every remote command as in the Docker provider (issue 27): the known_hosts key of each host", async () => {
        const keys = fixtureHostKeys();
        const commands = run.state.resources.filter((r) => r.type === "command:remote:Command");
        assert.ok(commands.length > 10, `${commands.length} commands`);
        for (const r of commands) {
            const conn = (await promiseOf(pulumi.output(r.inputs.connection as pulumi.Input<{ host: string; hostKey?: string }>))) as { host: string; hostKey?: string };
            assert.strictEqual(conn.hostKey, keys[conn.host], `${r.name} (${conn.host})`);
        }
        for (const h of ["docker01", "docker02"]) {
            const opts = JSON.parse(run.state.byName(`lab-${h}-docker`).inputs.sshOpts) as string[];
            const address = h === "docker01" ? "192.168.1.11" : "192.168.1.13";
            assert.ok(opts.includes(`KnownHostsCommand=/bin/echo ${address} ${keys[address]}`), `${h}: ${opts.join(" ")}`);
        }
    });

    it("gives every Docker provider an auth config for the insecure registry: http:// (so the digest check uses plain HTTP) and authDisabled", () => {
        for (const h of ["docker01", "docker02"]) {
            const auth = JSON.parse(run.state.byName(`lab-${h}-docker`).inputs.registryAuth) as unknown;
            assert.deepStrictEqual(auth, [{ address: "http://192.168.1.11:5000", authDisabled: true }], h);
        }
    });

    it("puts mac_net10 and mac_net20 on the VLAN interfaces with IPAM from the plan, per host", () => {
        const n = (name: string): Record<string, unknown> => run.state.byName(name).inputs;
        assert.deepStrictEqual(n("lab-mac_net10-docker01").options, { parent: "ens33.10", macvlan_mode: "bridge" });
        assert.deepStrictEqual(n("lab-mac_net20-docker02").options, { parent: "ens33.20", macvlan_mode: "bridge" });
        assert.deepStrictEqual(n("lab-mac_net10-docker01").ipamConfigs, [
            { subnet: "172.16.10.0/24", gateway: "172.16.10.1", ipRange: "172.16.10.64/26" },
        ]);
        assert.deepStrictEqual(n("lab-mac_net10-docker02").ipamConfigs, [
            { subnet: "172.16.10.0/24", gateway: "172.16.10.1", ipRange: "172.16.10.128/26" },
        ]);
        assert.deepStrictEqual(n("lab-mac_net20-docker01").ipamConfigs, [
            { subnet: "172.16.20.0/24", gateway: "172.16.20.1", ipRange: "172.16.20.64/26" },
        ]);
    });

    it("orders host networking: promisc, then 8021q, then the VLANs, then the networks on them", () => {
        const s = run.state;
        for (const h of ["docker01", "docker02"]) {
            dependsOn(s, `lab-${h}-8021q-load`, `lab-${h}-parent-promisc`);
            dependsOn(s, `lab-${h}-ens33.10-config`, `lab-${h}-8021q-load`, `lab-${h}-parent-promisc`);
            dependsOn(s, `lab-${h}-ens33.20-config`, `lab-${h}-8021q-load`);
            dependsOn(s, `lab-mac_net10-${h}`, `lab-${h}-ens33.10-config`);
            dependsOn(s, `lab-mac_net20-${h}`, `lab-${h}-ens33.20-config`);
        }
    });

    it("orders the registry: trust and the registry container before the push, the push and trust before each pull", () => {
        const s = run.state;
        dependsOn(s, "lab-registry-busybox-v1-push", "lab-registry-container", "lab-docker01-trust-daemon-json", "lab-registry-busybox-v1-tag");
        for (const h of ["docker01", "docker02"]) {
            dependsOn(s, `lab-${h}-pull-192-168-1-11-5000-busybox-v1`, "lab-registry-busybox-v1-push", `lab-${h}-trust-daemon-json`);
            dependsOn(s, `lab-${h}-bbox10-container`, `lab-${h}-pull-192-168-1-11-5000-busybox-v1`, `lab-mac_net10-${h}`);
            dependsOn(s, `lab-${h}-bbox20-container`, `lab-mac_net20-${h}`);
            // dockerd only reloads daemon.json (no migrateUnitFlag): the provider, and so the networks
            // and containers, do not wait for the trust; the preflights, yes
            const provider = s.byName(`lab-${h}-docker`);
            assert.ok(!provider.dependencies.includes(s.byName(`lab-${h}-trust-daemon-json`).urn), `lab-${h}-docker waits for the trust`);
            dependsOn(s, `lab-${h}-docker`, "lab-preflights-passed");
        }
    });

    it("gives every host command a delete script and triggers", () => {
        const commands = run.state.byType("command:remote:Command");
        // per host: preflight, library, trust inspect and daemon.json, promisc, 8021q, two VLANs, checks; and the registry's readiness wait
        assert.strictEqual(commands.length, 2 * 9 + 1, commands.map((c) => c.name).join(", "));
        for (const c of commands) {
            if (c.name.endsWith("-preflight-check")) {
                assert.strictEqual(c.inputs.delete, undefined, `${c.name}: the preflight only reads, so has nothing to delete`);
                continue;
            }
            if (c.name.startsWith("lab-checks-")) {
                assert.strictEqual(c.inputs.delete, undefined, `${c.name}: a check changes nothing, so has nothing to delete`);
                // never replaced: a container made anew changes the script (the ids' digest), and the update pings again
                assert.strictEqual(c.inputs.triggers, undefined, `${c.name} has triggers`);
                assert.match(String(c.inputs.create), /\nchecked='[0-9a-f]{16}'\n/, `${c.name}: the containers' digest`);
                continue;
            }
            assert.ok(Array.isArray(c.inputs.triggers) && c.inputs.triggers.length > 0, `${c.name} has no triggers`);
            if (c.name.endsWith("-trust-inspect")) {
                assert.strictEqual(c.inputs.delete, undefined, `${c.name}: a read changes nothing, so has nothing to delete`);
            } else if (c.name === "lab-registry-ready") {
                assert.strictEqual(c.inputs.delete, undefined, `${c.name}: a wait changes nothing, so has nothing to delete`);
                // made again with the registry container: it waits for that container's registry
                assert.deepStrictEqual(c.inputs.triggers, [run.state.byName("lab-registry-container").id]);
                assert.match(String(c.inputs.create), /\nregistry_ready\n$/);
            } else {
                assert.match(c.inputs.delete, /^set -eu$/m, `${c.name} has no delete script`);
                assert.match(c.inputs.create, /^set -eu$/m);
            }
        }
    });

    it("runs the checks last, after every container", () => {
        for (const h of ["docker01", "docker02"]) {
            dependsOn(run.state, `lab-checks-${h}`, ...["docker01", "docker02"].flatMap((x) => [`lab-${x}-bbox10-container`, `lab-${x}-bbox20-container`]));
        }
    });

    it("renders the check script with the tutorial's pings and the isolation check", () => {
        const create = run.state.byName("lab-checks-docker01").inputs.create as string;
        assert.match(create, /'bbox10' 'docker02' 'bbox10' '172\.16\.10\.11' 'mac_net10' 'reachable'/);
        assert.match(create, /'bbox20' 'docker02' 'bbox20' '172\.16\.20\.21' 'mac_net20' 'reachable'/);
        assert.match(create, /'bbox10' 'docker02' 'bbox20' '172\.16\.20\.21' 'mac_net10->mac_net20' 'unreachable'/);
    });

    it("deletes fixed-name resources before replacing them", () => {
        const fixedNames = run.state.resources.filter((x) => /network:Network|container:Container|volume:Volume/.test(x.type));
        // mac_net10 and mac_net20 on each host, bbox10 and bbox20 on each host, the registry and its volume
        assert.strictEqual(fixedNames.length, 4 + 4 + 2, fixedNames.map((r) => r.name).join(", "));
        for (const r of fixedNames) {
            assert.strictEqual(r.deleteBeforeReplace, true, `${r.name} has a fixed name`);
        }
    });

    it("runs the registry as the tutorial does: port 5000 (on the registry's address alone, issue 27), restart always, a named volume", () => {
        const c = run.state.byName("lab-registry-container").inputs;
        assert.strictEqual(c.name, "registry");
        assert.deepStrictEqual(c.ports, [{ internal: 5000, external: 5000, ip: "192.168.1.11" }]);
        assert.strictEqual(c.restart, "always");
        assert.deepStrictEqual(c.volumes, [{ volumeName: "registry-data", containerPath: "/var/lib/registry" }]);
        // labelled with the stack, so the preflight tells it from another volume of that name (issue 27)
        assert.deepStrictEqual(run.state.byName("lab-registry-data").inputs.labels, [{ label: "dev.macvlan-lab.stack", value: "macvlan-lab/multi-vlan" }]);
        assert.strictEqual(run.state.byName("lab-registry-busybox-v1-tag").inputs.targetImage, "192.168.1.11:5000/busybox:v1");
        assert.strictEqual(run.state.byName("lab-registry-busybox-v1-push").inputs.name, "192.168.1.11:5000/busybox:v1");
        assert.strictEqual(run.state.byName("lab-docker02-pull-192-168-1-11-5000-busybox-v1").inputs.name, "192.168.1.11:5000/busybox:v1");
    });

    it("keeps the SSH key a secret: in every connection, and nowhere in plain inputs", () => {
        const commands = run.state.byType("command:remote:Command");
        assert.strictEqual(commands.length, 19);
        for (const c of commands) {
            assert.ok(run.state.isSecret(c, "connection.privateKey"), `${c.name}: connection.privateKey is not secret`);
            assert.strictEqual(c.inputs.connection.privateKey, KEY);
        }
        for (const r of run.state.resources) {
            assert.ok(!JSON.stringify(withoutSecrets(r.wire)).includes("program-test-key-material"), `${r.name} has the key in plain inputs`);
        }
    });

    it("exports the registry endpoint and the check matrix", async () => {
        assert.strictEqual(await promiseOf(pulumi.output(run.program.registry)), "192.168.1.11:5000");
        const checks = await promiseOf(run.program.checks as never);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(checks)).map((r: { source: string }) => r.source), [
            "from/lab-checks-docker01",
            "from/lab-checks-docker02",
        ]);
    });
});

describe("program: invalid config fails before any resource is declared", () => {
    it("names every problem and declares nothing", async () => {
        const config = loadStackConfig("multi-vlan");
        const containers = JSON.parse(config["macvlan-lab:containers"]);
        containers[2].ip = "172.16.10.10"; // the tutorial's step 6
        containers[3].image = "192.168.1.11/busybox:v1"; // the tutorial's pull without the port
        const bad = { ...config, "macvlan-lab:containers": JSON.stringify(containers) };
        await assert.rejects(runStack("multi-vlan", bad, false), (e: Error) => {
            assert.strictEqual(
                e.message,
                "the stack's config has 3 problems:\n" +
                    '  - containers[2].ip "172.16.10.10" of bbox10 on docker02 is already used by bbox10 on docker01 (containers[0]): docker01 and docker02 share the L2 segment of mac_net10, so the address would be duplicated; pick a free address in 172.16.10.0/24\n' +
                    "  - containers[3].image \"192.168.1.11/busybox:v1\" names the stack's registry host 192.168.1.11 without its port, but the registry listens on 192.168.1.11:5000; write 192.168.1.11:5000/busybox:v1\n" +
                    "  - sshPrivateKey is not set; set the key the controller logs in with: pulumi config set --secret sshPrivateKey -- < ~/.ssh/id_ed25519",
            );
            return true;
        });
        assert.deepStrictEqual(lastProgramMocks()?.resources, []);
    });

    it("names a misspelt key of the stack's config, and one in a misspelt namespace, and declares nothing", async () => {
        const config = loadStackConfig("single-network");
        const bad: Record<string, string> = { ...config, "macvlan-lab:check": config["macvlan-lab:checks"], "macvlan_lab:vlans": "[]", "macvlan-lab:sshPrivateKy": "a secret" };
        delete bad["macvlan-lab:checks"];
        await assert.rejects(runStack("single-network", bad), (e: Error) => {
            assert.strictEqual(
                e.message,
                "the stack's config has 3 problems:\n" +
                    "  - check is not a config key of macvlan-lab; did you mean checks? the keys are hosts, ssh, vlans, networks, registry, containers, checks, shims, router, sshPrivateKey, sshKeyFile, sshKnownHostsFile, controllerCaDir, verify, repair\n" +
                    '  - macvlan_lab:vlans is in the namespace "macvlan_lab", not macvlan-lab, so the program never reads it; write it as macvlan-lab:vlans\n' +
                    "  - sshPrivateKy is not a config key of macvlan-lab; did you mean sshPrivateKey? the keys are hosts, ssh, vlans, networks, registry, containers, checks, shims, router, sshPrivateKey, sshKeyFile, sshKnownHostsFile, controllerCaDir, verify, repair",
            );
            return true;
        });
        assert.deepStrictEqual(lastProgramMocks()?.resources, []);
    });
});

describe("program: stack traces on large stacks (components/stackTraces.ts)", () => {
    // the program changes Error.stackTraceLimit for its process: each case puts it and the env back
    let limit: number;
    let setting: string | undefined;
    let logged: string[];
    let log: typeof console.log;
    beforeEach(() => {
        limit = Error.stackTraceLimit;
        setting = process.env.MACVLAN_LAB_STACK_TRACES;
        logged = [];
        log = console.log;
        console.log = (...a: unknown[]) => logged.push(a.map(String).join(" "));
    });
    afterEach(() => {
        console.log = log;
        Error.stackTraceLimit = limit;
        if (setting === undefined) delete process.env.MACVLAN_LAB_STACK_TRACES;
        else process.env.MACVLAN_LAB_STACK_TRACES = setting;
    });
    const sayings = (): string[] => logged.filter((l) => l.includes("stack traces off"));

    it("keeps them for the tutorial's stack and says nothing", async () => {
        delete process.env.MACVLAN_LAB_STACK_TRACES;
        Error.stackTraceLimit = 10;
        await runStack("multi-vlan", loadStackConfig("multi-vlan"));
        assert.strictEqual(Error.stackTraceLimit, 10);
        assert.deepStrictEqual(sayings(), []);
    });

    it("turns them off before declaring when told (as it does from 250 Docker resources), in one info line", async () => {
        process.env.MACVLAN_LAB_STACK_TRACES = "lean";
        Error.stackTraceLimit = 10;
        const { state } = await runStack("multi-vlan", loadStackConfig("multi-vlan"));
        assert.strictEqual(Error.stackTraceLimit, 0);
        assert.ok(state.resources.length > 0);
        assert.deepStrictEqual(sayings(), [
            "info: [runtime] stack traces off for this run (MACVLAN_LAB_STACK_TRACES=lean): the Pulumi SDK would record one for every promise it tracks; an unexpected error is printed without its trace; MACVLAN_LAB_STACK_TRACES=full keeps them",
        ]);
    });

    it("refuses another value before declaring anything", async () => {
        process.env.MACVLAN_LAB_STACK_TRACES = "none";
        await assert.rejects(runStack("multi-vlan", loadStackConfig("multi-vlan")), (e: Error) => {
            assert.ok(e instanceof pulumi.RunError, `not a RunError: ${e.stack}`);
            assert.match(e.message, /^MACVLAN_LAB_STACK_TRACES is "none"; use full/);
            return true;
        });
        assert.deepStrictEqual(lastProgramMocks()?.resources, []);
    });
});

describe("program: the read-only preflight holds every change on every host", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("multi-vlan", loadStackConfig("multi-vlan"));
    });
    const hosts = ["docker01", "docker02"];
    const preflights = hosts.map((h) => `lab-${h}-preflight-check`);

    it("makes the first command of each host, its registry trust and its Docker provider wait for the gate of the preflights of all hosts", () => {
        const gate = run.state.byName("lab-preflights-passed");
        assert.strictEqual(gate.type, "pulumi:index:Stash");
        assert.deepStrictEqual([...gate.dependencies].sort(), preflights.map((p) => urnOf(run.state, p)).sort(), "the gate waits for every preflight");
        assert.deepStrictEqual(gate.inputs, { input: "every host's preflight passed" }, "a value that never changes: a host added changes the gate's dependencies, not its diff");
        for (const h of hosts) {
            for (const first of [`lab-${h}-lib-install`, `lab-${h}-parent-promisc`, `lab-${h}-trust-daemon-json`, `lab-${h}-docker`]) {
                dependsOn(run.state, first, "lab-preflights-passed");
                const direct = preflights.filter((p) => run.state.byName(first).dependencies.includes(urnOf(run.state, p)));
                assert.deepStrictEqual(direct, [], `${first} waits for the gate, not for each preflight`);
            }
        }
        for (const p of preflights) {
            assert.deepStrictEqual(run.state.byName(p).dependencies, [], `${p} waits for nothing`);
        }
    });

    it("labels every network and container with the stack, which the preflight tells the stack's own objects by", () => {
        const labelled = run.state.resources.filter((r) => r.type === "docker:index/network:Network" || r.type === "docker:index/container:Container");
        assert.strictEqual(labelled.length, 4 + 4 + 1);
        for (const r of labelled) {
            // a network on a VLAN interface also carries the interface's revision (a replaced VLAN replaces it)
            const vlan = r.type === "docker:index/network:Network" ? run.state.byName(r.name.replace(/^lab-mac_net(\d+)-(docker\d+)$/, "lab-$2-ens33.$1-config")) : undefined;
            const revision = vlan ? [{ label: PARENT_REVISION_LABEL, value: createHash("sha256").update(JSON.stringify(vlan.inputs.triggers)).digest("hex").slice(0, 16) }] : [];
            assert.deepStrictEqual(r.inputs.labels, [{ label: "dev.macvlan-lab.stack", value: "macvlan-lab/multi-vlan" }, ...revision], r.name);
        }
    });

    it("gives each host's preflight what the stack declares there, with the exact import command for each object", () => {
        const script = run.state.byName("lab-docker02-preflight-check").inputs.create as string;
        const stdin = run.state.byName("lab-docker02-preflight-check").inputs.stdin as string;
        assert.match(script, /^HOST='docker02'$/m);
        assert.match(script, /^HOST_PATH='hosts\[name=docker02\]'$/m);
        assert.match(script, /^VLAN_IDS='10 20'$/m);
        assert.match(script, /^STACK_ID='macvlan-lab\/multi-vlan'$/m);
        assert.match(script, /^REGISTRY_PORT=''$/m, "docker02 is not the registry host");
        assert.match(script, /^TRUST_INSECURE='yes'$/m);
        assert.ok(Buffer.byteLength(script) < 1024, `the create is thin: ${Buffer.byteLength(script)} B`);
        assert.ok(stdin.endsWith(preflightScriptBody()), "preflight.sh travels on stdin");
        const lab = urnOf(run.state, "lab");
        const provider = urnOf(run.state, "lab-docker02-docker");
        const container = urnOf(run.state, "lab-docker02-bbox10");
        const network = urnOf(run.state, "lab-mac_net10");
        assert.ok(lab.length > 0);
        const record = (line: string) => assert.ok(stdin.includes(line), `missing ${line}`);
        record(`bbox10|mac_net10|172.16.10.11|192.168.1.11:5000/busybox:v1|pulumi import docker:index/container:Container lab-docker02-bbox10-container {id} --parent '\\''parent=${container}'\\'' --provider '\\''docker=${provider}'\\''`);
        record(`mac_net10|macvlan|ens33.10|172.16.10.0/24|172.16.10.1|pulumi import docker:index/network:Network lab-mac_net10-docker02 {id} --parent '\\''parent=${network}'\\'' --provider '\\''docker=${provider}'\\''`);
        const registryHost = run.state.byName("lab-docker01-preflight-check").inputs.create as string;
        assert.match(registryHost, /^REGISTRY_PORT='5000'$/m);
    });
});

describe("program: as `pulumi destroy --run-program` runs it after an interrupted apply (commands never made report no outputs)", function () {
    this.timeout(120_000);
    // the engine answers a registration of a resource that is not in the state with no outputs: a
    // command's stdout is undefined, not unknown, and the program must still complete (lab:down
    // destroys a run killed mid-apply this way)
    it("completes with every command's stdout undefined, and the checks are empty", async () => {
        const { state, program } = await runProgram({
            stack: "multi-vlan",
            key: KEY,
            outputs: (args) => (args.type === "command:remote:Command" ? { stdout: undefined, stderr: undefined } : {}),
        });
        const commands = state.byType("command:remote:Command");
        assert.ok(commands.length > 10);
        assert.ok(commands.every((c) => c.outputs.stdout === undefined), "the mocks gave a command a stdout");
        assert.deepStrictEqual(await promiseOf(program.checks as pulumi.Output<unknown[]>), []);
        assert.ok(state.byType("command:remote:Command").some((c) => c.name.endsWith("-trust-daemon-json")), "the registry trust's write is declared");
    });
});
