/**
 * The address plan is made once per program run (issue 25): the program reads the config, plans it
 * with the stack's last deployment, and hands that plan to `MacvlanLab`, which does not plan again.
 * Counted, not assumed: test/helpers/countPlans.ts wraps `planLab` in its module and records each call.
 */
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, settle } from "../helpers/mocks";
import { TEST_KNOWN_HOSTS } from "../fixtures/hostKeys";
import { listStacks, loadStackConfig } from "../../lab/stackFile";
import { countPlans } from "../helpers/countPlans";
import { planMemoryOf } from "../../components/model/planMemory";

const PROGRAM = path.join(__dirname, "..", "..", "index");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nplan-once-test-key\n-----END OPENSSH PRIVATE KEY-----";

describe("program: the address plan is made once per run", function () {
    this.timeout(120_000); // the first import compiles the program
    const stacks = listStacks();
    it("runs over every stack file (four today)", () => {
        assert.deepStrictEqual(stacks, ["lan", "multi-vlan", "multi-vlan-routed", "single-network"]);
    });
    for (const stack of stacks) {
        it(`stacks/Pulumi.${stack}.yaml: planLab runs once, and the addressPlan output is that plan`, async () => {
            let addressPlan: unknown;
            const plans = await countPlans(async () => {
                const state = installMocks(stack, { ...TEST_KNOWN_HOSTS, ...loadStackConfig(stack), "macvlan-lab:sshPrivateKey": KEY }, ["macvlan-lab:sshPrivateKey"]);
                delete require.cache[require.resolve(PROGRAM)];
                const program = (await import(PROGRAM)) as Record<string, unknown>;
                await settle(state, 100);
                addressPlan = await promiseOf(pulumi.output(program.addressPlan));
            });
            assert.strictEqual(plans.length, 1, `planLab ran ${plans.length} times in one run of the program`);
            assert.ok(Object.keys(plans[0].networks).length > 0, "the plan has the stack's networks");
            assert.deepStrictEqual(addressPlan, planMemoryOf(plans[0]));
        });
    }
});
