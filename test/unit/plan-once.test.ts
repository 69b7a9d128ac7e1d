/**
 * The address plan is made once per loaded stack (issue 25): `loadStack` keeps the plan `parseLab`
 * made, and `topologyOf` (the lab's controller address beside networks on the management LAN)
 * uses it instead of planning again. Counted with test/helpers/countPlans.ts.
 */
import * as assert from "assert";
import { listStacks } from "../../lab/stackFile";
import { loadStack, topologyOf } from "../../lab/topology";
import { countPlans } from "../helpers/countPlans";

describe("unit: a loaded stack is planned once", () => {
    const stacks = listStacks();
    it("covers every stack file (four today)", () => {
        assert.deepStrictEqual(stacks, ["lan", "multi-vlan", "multi-vlan-routed", "single-network"]);
    });
    for (const stack of stacks) {
        it(`stacks/Pulumi.${stack}.yaml: loadStack and topologyOf plan once, and the stack carries that plan`, async () => {
            let loaded: ReturnType<typeof loadStack> | undefined;
            let topology: ReturnType<typeof topologyOf> | undefined;
            const plans = await countPlans(() => {
                loaded = loadStack(stack);
                assert.ok(loaded.stack, loaded.errors.join("\n"));
                topology = topologyOf(stack, loaded.stack.spec, loaded.stack.plan);
            });
            assert.strictEqual(plans.length, 1, `planLab ran ${plans.length} times`);
            assert.strictEqual(loaded?.stack?.plan, plans[0], "the stack carries the plan parseLab made");
            assert.deepStrictEqual(topology?.errors, []);
        });
    }

    it("the lan stack (a network on the management LAN): the controller's address comes from the given plan, the same as from a fresh one", async () => {
        const loaded = loadStack("lan").stack;
        assert.ok(loaded);
        let withPlan: ReturnType<typeof topologyOf> | undefined;
        const during = await countPlans(() => {
            withPlan = topologyOf("lan", loaded.spec, loaded.plan);
        });
        assert.strictEqual(during.length, 0, "topologyOf planned although it was given the plan");
        // the probe ran: the controller's address is decided by the plan's ranges on this stack
        assert.ok(withPlan?.topology?.controllerAddress !== undefined, "the lan stack has a network on the management subnet");
        let fresh: ReturnType<typeof topologyOf> | undefined;
        const planned = await countPlans(() => {
            fresh = topologyOf("lan", loaded.spec);
        });
        assert.strictEqual(planned.length, 1, "without a plan, topologyOf plans the spec itself");
        assert.strictEqual(withPlan?.topology?.controllerAddress, fresh?.topology?.controllerAddress);
    });
});
