/**
 * Counts the address plans made while `body` runs (issue 25: the plan is made once per program
 * run, once per loaded stack). `planLab` is wrapped in its module: every caller reaches it through
 * the module's export (compiled imports read the export at each call; the package entry point
 * re-exports it with a getter), so no call escapes the count. Restored afterwards, also on a throw.
 */
import { LabPlan } from "../../components/model/plan";

type PlanModule = { planLab: (...args: unknown[]) => { plan: LabPlan; errors: unknown[] } };

/** Runs `body` with `planLab` counted; the plans it made, one per call, in order. */
export async function countPlans(body: () => Promise<void> | void): Promise<LabPlan[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("../../components/model/plan") as PlanModule;
    const real = mod.planLab;
    const made: LabPlan[] = [];
    mod.planLab = (...args: unknown[]) => {
        const result = real(...args);
        made.push(result.plan);
        return result;
    };
    try {
        await body();
    } finally {
        mod.planLab = real;
    }
    return made;
}
