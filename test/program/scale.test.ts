/**
 * Program tests of how the program grows with the hosts: under the mocks, generated labs of 2, 4 and
 * 8 hosts (tools/generate.ts, the labs bench:program runs at 100 and more) declare what each host
 * needs, and the dependencies between them, in amounts linear in the hosts. A term in the square of
 * the hosts costs little at 2 hosts and is what a lab of hundreds pays in every state write: before
 * the preflights' gate, the first steps of every host listed every host's preflight.
 */
import * as assert from "assert";
import { ProgramRun, runProgram } from "../helpers/runProgram";
import { generateLab, withOneIsolationCheck } from "../../tools/generate";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nscale-test-key-material\n-----END OPENSSH PRIVATE KEY-----";

/** A generated lab as the stack's config; one isolation check as in bench:program (connectivity is a matrix by definition). */
function generatedConfig(hosts: number): Record<string, string> {
    const lab = withOneIsolationCheck(generateLab({ hosts, networks: 3, containersPerHost: 4, seed: 20240611 }));
    return Object.fromEntries(Object.entries(lab).map(([k, v]) => [`macvlan-lab:${k}`, JSON.stringify(v)]));
}

interface Counts {
    registrations: number;
    dependencies: number;
    /** The inputs of every registration as sent, in JSON characters. */
    inputBytes: number;
    /** The registration with the most dependencies besides the gate of the preflights, and how many. */
    widest: { name: string; dependencies: number };
    /** The gate's dependencies (0 without a gate). */
    gate: number;
}

const GATE = "lab-preflights-passed";

function counts(run: ProgramRun): Counts {
    const rs = run.state.resources;
    const widest = rs
        .filter((r) => r.name !== GATE)
        .reduce((w, r) => (r.dependencies.length > w.dependencies ? { name: r.name, dependencies: r.dependencies.length } : w), { name: "", dependencies: -1 });
    return {
        registrations: rs.length,
        dependencies: rs.reduce((n, r) => n + r.dependencies.length, 0),
        inputBytes: rs.reduce((n, r) => n + JSON.stringify(r.wire).length, 0),
        widest,
        gate: rs.find((r) => r.name === GATE)?.dependencies.length ?? 0,
    };
}

describe("program: what a host adds does not grow with the number of hosts", function () {
    this.timeout(120_000);
    const sizes = [2, 4, 8] as const;
    const at = new Map<number, Counts>();
    before(async () => {
        for (const hosts of sizes) {
            at.set(hosts, counts(await runProgram({ stack: `scale-${hosts}`, config: generatedConfig(hosts), key: KEY, knownHosts: false })));
        }
    });

    /** `f` at 8 hosts minus at 4 is twice `f` at 4 minus at 2 exactly when `f` is a + b * hosts. */
    function assertLinear(what: string, f: (c: Counts) => number): void {
        const [two, four, eight] = sizes.map((h) => f(at.get(h)!));
        assert.strictEqual(eight - four, 2 * (four - two), `${what}: ${two}, ${four}, ${eight} at 2, 4, 8 hosts; linear in the hosts would add the same for each host`);
    }

    it("registers the same resources for each host, whatever the number of hosts", () => {
        assertLinear("registrations", (c) => c.registrations);
    });

    it("gives each host's resources the same dependencies, whatever the number of hosts (the preflights' gate, not every preflight)", () => {
        assertLinear("dependencies", (c) => c.dependencies);
    });

    it("sends each host's inputs in the same number of bytes, whatever the number of hosts (to 0.2%: host names and addresses differ in length)", () => {
        const [two, four, eight] = sizes.map((h) => at.get(h)!.inputBytes);
        const step = eight - four;
        assert.ok(Math.abs(step - 2 * (four - two)) <= step / 500, `input bytes ${two}, ${four}, ${eight} at 2, 4, 8 hosts; linear in the hosts would add the same for each host`);
    });

    it("has one registration only that waits for a step of every host: the gate of the preflights", () => {
        for (const hosts of sizes) {
            assert.strictEqual(at.get(hosts)!.gate, hosts, `the gate waits for the ${hosts} preflights`);
        }
        const widest = sizes.map((h) => at.get(h)!.widest);
        assert.ok(
            widest.every((w) => w.dependencies === widest[0].dependencies),
            `besides the gate, the most dependencies of one registration grow with the hosts: ${widest.map((w, i) => `${w.name} ${w.dependencies} at ${sizes[i]} hosts`).join(", ")}`,
        );
    });
});
