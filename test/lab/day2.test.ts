/**
 * Day 2 with the real Pulumi engine on a lab (issue 20): the multi-VLAN stack is applied, then each
 * ordinary edit of README.md's "What a change does" table in turn, on top of the one before. For
 * each edit:
 * - the engine's own plan, `pulumi preview --json`: the exact sets of resources it replaces,
 *   updates, creates and deletes (by resource name; the URNs differ only in their prefix), as the
 *   table says;
 * - `pulumi up`, with every check passing (the checks are in the apply);
 * - from outside, on the hosts: every container the edit does not touch keeps its Docker id and its
 *   start time (it was neither replaced nor restarted).
 * The lab's hosts follow the stack (lab/hosts reconcileHosts): adding docker03 brings up only that
 * host, removing it removes only it. Root only; the lab is named `mvllt-<pid>-d2` and torn down in
 * after(), on failure too. `DAY2_RECORD=1` prints each edit's sets in the table's form instead of
 * failing on the first difference (to write the table after a deliberate change).
 */
import { strict as assert } from "assert";
import { LabHosts, hostsUp, reconcileHosts } from "../../lab/hosts";
import { EngineOutcome, applyOnLab, previewOnLab } from "../../lab/run/engine";
import { downLab } from "../../lab/run/down";
import { LoadedStack, loadStack, topologyOf } from "../../lab/topology";
import { DAY2_EDITS, PreviewSteps, StackConfig, stepsOfPreview } from "../../lab/day2";
import { loadLab, RawLabConfig } from "../../components/model/validate";
import { rawLabConfig } from "../../lab/stackFile";
import { labUnavailable, skipIf } from "../helpers/labSuite";
import { assertApplied } from "../helpers/labAssert";

const LAB = `mvllt-${process.pid}-d2`;
const RECORD = process.env.DAY2_RECORD === "1";

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

type Config = StackConfig;
const j = (c: Config, key: string): any => JSON.parse(c[`macvlan-lab:${key}`]); // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the engine must do about one edit of DAY2_EDITS, and which containers it may touch. */
interface Expected {
    title: string;
    expect: PreviewSteps;
    /**
     * `<host>/<container>` whose Docker id may change (replaced or deleted by the edit); every other
     * container of the stack, the registry's too, keeps its id and start time.
     */
    touches: string[];
}

/** Resources a host brings with it (its preflight, library, networking, trust, provider), by name. */
function hostResources(h: string, vlans: number[]): string[] {
    return [
        `lab-${h}-preflight`,
        `lab-${h}-preflight-check`,
        `lab-${h}-lib`,
        `lab-${h}-lib-install`,
        `lab-${h}`,
        `lab-${h}-parent`,
        `lab-${h}-parent-promisc`,
        `lab-${h}-8021q`,
        `lab-${h}-8021q-load`,
        ...vlans.flatMap((v) => [`lab-${h}-ens33.${v}`, `lab-${h}-ens33.${v}-config`]),
        `lab-${h}-trust`,
        `lab-${h}-trust-inspect`,
        `lab-${h}-trust-daemon-json`,
        `lab-${h}-docker`,
    ];
}

const containerResources = (h: string, c: string): string[] => [`lab-${h}-${c}`, `lab-${h}-${c}-container`];
const sorted = (xs: string[]): string[] => [...xs].sort();
const steps = (s: Partial<PreviewSteps>): PreviewSteps => ({ replace: sorted(s.replace ?? []), update: sorted(s.update ?? []), create: sorted(s.create ?? []), delete: sorted(s.delete ?? []) });
const BOTH_CHECKS = ["lab-checks-docker01", "lab-checks-docker02"];
const docker03 = [
    ...hostResources("docker03", [10, 20]),
    "lab-mac_net10-docker03",
    "lab-mac_net20-docker03",
    "lab-docker03-pull-192-168-1-11-5000-busybox-v1",
    ...containerResources("docker03", "bbox10"),
    ...containerResources("docker03", "bbox20"),
    "lab-checks-docker03",
];

/** The preflights of these hosts run again (read-only): the stack's objects on them changed. */
const preflights = (...hosts: string[]): string[] => hosts.map((h) => `lab-${h}-preflight-check`);

/** README.md's "What a change does", edit by edit (the same order as DAY2_EDITS). */
const EXPECTED: Expected[] = [
    { title: "add a host (docker03) with a container on each network", expect: steps({ create: docker03, update: BOTH_CHECKS }), touches: [] },
    { title: "remove that host", expect: steps({ delete: docker03, update: BOTH_CHECKS }), touches: ["docker03/bbox10", "docker03/bbox20"] },
    { title: "reorder the hosts", expect: steps({}), touches: [] },
    {
        title: "add a VLAN (30) and a network on it (mac_net30)",
        expect: steps({
            create: ["lab-docker01-ens33.30", "lab-docker01-ens33.30-config", "lab-docker02-ens33.30", "lab-docker02-ens33.30-config", "lab-mac_net30", "lab-mac_net30-docker01", "lab-mac_net30-docker02"],
            update: preflights("docker01", "docker02"),
        }),
        touches: [],
    },
    {
        title: "add a container with a static address",
        expect: steps({ create: containerResources("docker01", "bbox11"), update: [...BOTH_CHECKS, ...preflights("docker01")] }),
        touches: [],
    },
    {
        title: "remove the container with a static address",
        expect: steps({ delete: containerResources("docker01", "bbox11"), update: [...BOTH_CHECKS, ...preflights("docker01")] }),
        touches: ["docker01/bbox11"],
    },
    {
        title: "add a container with an address from its host's range",
        expect: steps({ create: containerResources("docker02", "dyn20"), update: [...BOTH_CHECKS, ...preflights("docker02")] }),
        touches: [],
    },
    {
        title: "remove the container with an address from its host's range",
        expect: steps({ delete: containerResources("docker02", "dyn20"), update: [...BOTH_CHECKS, ...preflights("docker02")] }),
        touches: ["docker02/dyn20"],
    },
    {
        title: "bump the mirror's tag (v1 to v2) and the containers' images",
        expect: steps({
            create: ["lab-registry-busybox-v2-source", "lab-registry-busybox-v2-tag", "lab-registry-busybox-v2-push", "lab-docker01-pull-192-168-1-11-5000-busybox-v2", "lab-docker02-pull-192-168-1-11-5000-busybox-v2"],
            delete: ["lab-registry-busybox-v1-source", "lab-registry-busybox-v1-tag", "lab-registry-busybox-v1-push", "lab-docker01-pull-192-168-1-11-5000-busybox-v1", "lab-docker02-pull-192-168-1-11-5000-busybox-v1"],
            // a container's image is ForceNew; the new pull's id is unknown until it runs, so the
            // plan replaces them; the apply leaves them when the image is the same (it is here)
            replace: ["bbox10", "bbox20"].flatMap((x) => [`lab-docker01-${x}-container`, `lab-docker02-${x}-container`]),
            update: [...BOTH_CHECKS, ...preflights("docker01", "docker02")],
        }),
        touches: ["docker01/bbox10", "docker01/bbox20", "docker02/bbox10", "docker02/bbox20"],
    },
    {
        title: "switch the registry from insecure to tls",
        expect: steps({
            // the trust reads the files again and writes daemon.json without the insecure entry; the
            // registry gets its certificate; the providers their registry auth (an update)
            replace: ["lab-docker01-trust-daemon-json", "lab-docker01-trust-inspect", "lab-docker02-trust-daemon-json", "lab-docker02-trust-inspect", "lab-registry-container", "lab-registry-ready"],
            update: ["lab-docker01-docker", "lab-docker02-docker", ...preflights("docker01", "docker02")],
            create: ["lab-controller-ca", "lab-controller-ca-file", "lab-docker01-trust-ca", "lab-docker02-trust-ca", "lab-registry-tls", "lab-registry-tls-certs"],
        }),
        touches: ["docker01/registry"],
    },
    {
        title: "a new version of the package with a changed shell library",
        expect: steps({
            // a new library directory on each host; every command that sources it runs its create again
            replace: [
                "lab-docker01-lib-install",
                "lab-docker02-lib-install",
                // in the plan only: their inputs come from the certificate command's output, unknown
                // until it runs again; it keeps the certificates, and the apply replaces none of them
                // (the registry container keeps its id: checked below)
                "lab-controller-ca-file",
                "lab-docker01-trust-ca",
                "lab-docker02-trust-ca",
                "lab-registry-container",
                "lab-registry-ready",
            ],
            update: [
                ...BOTH_CHECKS,
                ...["docker01", "docker02"].flatMap((h) => [
                    `lab-${h}-8021q-load`,
                    `lab-${h}-ens33.10-config`,
                    `lab-${h}-ens33.20-config`,
                    `lab-${h}-ens33.30-config`,
                    `lab-${h}-parent-promisc`,
                    `lab-${h}-trust-daemon-json`,
                ]),
                "lab-registry-tls-certs",
            ],
        }),
        touches: [],
    },
];

/** `<host>/<container>` -> `<id> <started at>` of every container the stack declares, read on the hosts. */
async function containerStates(lab: LabHosts, config: Config): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const registry = j(config, "registry") as { host: string };
    for (const c of [...(j(config, "containers") as Array<{ name: string; host: string }>), { name: "registry", host: registry.host }]) {
        const r = await lab.exec(c.host, ["docker", "inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", c.name]);
        assert.equal(r.code, 0, `docker inspect ${c.name} on ${c.host}: ${r.stderr}`);
        out[`${c.host}/${c.name}`] = r.stdout.trim();
    }
    return out;
}

describe("lab: day 2, each ordinary edit replaces only what it must (real engine, README 'What a change does')", function () {
    this.timeout(1_800_000);
    let lab: LabHosts | undefined;
    let stack: LoadedStack;
    let config: Config;
    const recorded: string[] = [];

    const loaded = (c: Config): LoadedStack => ({ stack: stack.stack, config: c, spec: loadLab(rawLabConfig(c) as RawLabConfig) });

    async function up(c: Config, what: string, programDir?: string): Promise<EngineOutcome> {
        const o = await applyOnLab(lab as LabHosts, loaded(c), { log, programDir, timeoutMs: 900_000 });
        assertApplied(o, `${what}: pulumi up`, 60);
        const rows = o.outputs?.checks ?? [];
        assert.ok(rows.length > 0 && rows.every((r) => r.ok), `${what}: checks ${JSON.stringify(rows)}`);
        return o;
    }

    before(async function () {
        this.timeout(600_000);
        skipIf(this, await labUnavailable());
        const loaded = loadStack("multi-vlan");
        assert.deepEqual(loaded.errors, []);
        stack = loaded.stack as LoadedStack;
        config = stack.config;
        const topo = topologyOf(LAB, stack.spec);
        assert.deepEqual(topo.errors, []);
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        const first = await up(config, "the first apply");
        console.log(`      first apply: ${first.seconds.toFixed(1)} s`);
    });

    after(async function () {
        this.timeout(300_000);
        if (RECORD && recorded.length > 0) console.log(recorded.join("\n"));
        await downLab(LAB, log);
    });

    it("has an expectation for every edit, in the same order", () => {
        assert.deepEqual(EXPECTED.map((e) => e.title), DAY2_EDITS.map((e) => e.title));
    });

    DAY2_EDITS.forEach((edit, k) => {
        const expected = EXPECTED[k];
        it(`${edit.title}: the preview's replace/update/create/delete sets are the table's, and untouched containers keep their ids and start times`, async function () {
            assert.ok(lab, "the lab is up");
            assert.equal(expected.title, edit.title);
            const next = edit.change(config);
            // the lab's hosts follow the stack: only added or removed hosts come or go
            const spec = loadLab(rawLabConfig(next) as RawLabConfig);
            const topo = topologyOf(LAB, spec);
            assert.deepEqual(topo.errors, []);
            // additions now; removals after the apply, whose deletes run over SSH on the hosts that go
            const target = topo.topology as NonNullable<typeof topo.topology>;
            const reconciled = await reconcileHosts(lab, target, { log, deferRemovals: true, rebuild: false });
            lab = reconciled.lab;
            stack = { ...stack, config: next, spec };
            const program = edit.program?.();
            const beforeStates = await containerStates(lab, config);

            const preview = await previewOnLab(lab, loaded(next), { log, programDir: program });
            assert.equal(preview.code, 0, `preview failed (${preview.code}):\n${preview.stderr}`);
            const got = stepsOfPreview(preview.stdout);
            if (RECORD) {
                recorded.push(`${edit.title}:\n${JSON.stringify(got, null, 2)}`);
            } else {
                assert.deepEqual(got, expected.expect, `${edit.title}: the engine's plan differs from the table`);
            }

            const applied = await up(next, edit.title, program);
            config = next;
            console.log(`      ${edit.title}: pulumi up ${applied.seconds.toFixed(1)} s`);
            if (reconciled.pending) lab = (await reconcileHosts(lab, target, { log, rebuild: false })).lab;
            const afterStates = await containerStates(lab, next);
            for (const c of expected.touches) assert.ok(beforeStates[c] !== undefined, `${c}, which the edit touches, ran before it`);
            const untouched = Object.keys(beforeStates).filter((c) => !expected.touches.includes(c));
            assert.equal(untouched.length + expected.touches.length, Object.keys(beforeStates).length);
            for (const c of untouched) assert.equal(afterStates[c], beforeStates[c], `${c} was replaced or restarted`);
            // a container the edit may replace runs after it (or is gone, when the edit removed it)
            for (const c of expected.touches) {
                if (afterStates[c] !== undefined) assert.match(afterStates[c], / true$/, `${c} after the edit: ${afterStates[c]}`);
            }
        });
    });
});
