/**
 * The shared mocks' settle() (test/helpers/mocks.ts): it returns when the program is done, not at a
 * quiet moment, and a program that logs an error or leaves a rejection fails unless the test
 * expects it. (That a problem arriving after settle() fails the test it arrives in is checked by
 * test/exec/ci-pending.test.ts, which needs a mocha run of its own to see a test fail.)
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockState, settle } from "../helpers/mocks";

class Thing extends pulumi.CustomResource {
    declare readonly value: pulumi.Output<string>;
    constructor(name: string, args: { value: pulumi.Input<string> }) {
        super("test:index:Thing", name, { value: args.value });
    }
}

/** Makes the mock engine answer each registration `ms` later, as a busy engine does. */
function slowEngine(ms: number): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: unknown, cb: (err: unknown, resp: unknown) => void): void };
    const answer = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => answer(req, (err, resp) => setTimeout(() => cb(err, resp), ms));
}

/** A chain of `n` things, each declared in an apply of the one before (as the lab's checks wait for containers). */
function chain(n: number): void {
    const next = (i: number, value: pulumi.Input<string>): void => {
        const t = new Thing(`thing-${i}`, { value });
        if (i + 1 < n) t.value.apply((v) => next(i + 1, `${v}+`));
    };
    next(0, "v");
}

describe("mocks: settle()", function () {
    this.timeout(60_000);

    it("returns when the program is done: a chain of 6 registrations, each answered 300 ms later (no quiet moment decides it)", async () => {
        const state: MockState = installMocks("settle", {});
        slowEngine(300);
        chain(6);
        assert.strictEqual(state.resources.length, 0, "nothing is registered before the engine answers");
        await settle(state);
        assert.deepStrictEqual(
            state.resources.map((r) => [r.name, r.inputs.value]),
            [0, 1, 2, 3, 4, 5].map((i) => [`thing-${i}`, `v${"+".repeat(i)}`]),
        );
    });

    it("throws on an unhandled rejection: a registration whose input failed", async () => {
        const state = installMocks("settle", {});
        new Thing("broken", { value: pulumi.output(Promise.reject(new Error("no value for broken"))) });
        await assert.rejects(settle(state), (e: Error) => {
            assert.match(e.message, /^the program reported 1 problem\(s\) this test does not expect \(settle's expect\):\n  unhandled rejection: Error: error serializing property "value": no value for broken$/);
            return true;
        });
        assert.deepStrictEqual(state.problems, [], "settle took the problems it reported");
    });

    it("throws on pulumi.log.error, passes where the test expects it, and throws when an expected one does not come", async () => {
        const state = installMocks("settle", {});
        new Thing("ok", { value: "x" });
        void pulumi.log.error("registry: the CA is missing");
        await assert.rejects(settle(state), /\n {2}log\.error: registry: the CA is missing$/);

        const expected = installMocks("settle", {});
        void pulumi.log.error("registry: the CA is missing");
        assert.deepStrictEqual(await settle(expected, { expect: [/the CA is missing/] }), ["log.error: registry: the CA is missing"]);

        const quiet = installMocks("settle", {});
        new Thing("ok", { value: "x" });
        await assert.rejects(settle(quiet, { expect: [/the CA is missing/] }), /^Error: the program did not report what this test expects: \/the CA is missing\/$/);
        assert.strictEqual(quiet.resources.length, 1);
    });

    it("throws when the program does not finish within maxMs", async () => {
        const state = installMocks("settle", {});
        slowEngine(2_000); // the mock records the registration at once, the SDK hears back 2 s later
        new Thing("slow", { value: "x" });
        await assert.rejects(settle(state, { maxMs: 200 }), /^Error: the program did not finish within 200 ms \(1 resources registered so far\)$/);
        await settle(state); // and then it does
        assert.strictEqual(state.resources.length, 1);
    });
});
