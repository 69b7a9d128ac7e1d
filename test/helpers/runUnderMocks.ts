/**
 * Runs a compiled Pulumi program under the shared mocks (./mocks.ts) in the project it belongs to
 * (its own node_modules and @pulumi/pulumi), and prints what it declared as JSON: every resource
 * (type, name, inputs with secrets unwrapped, inputs as on the wire, provider, parent,
 * dependencies) and its stack outputs resolved. For tests that run another project's program.
 *
 *   node runUnderMocks.js <program.js> <stack> '<config JSON>' '<secret keys JSON>'
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, settle } from "./mocks";

async function resolved(v: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(v)) return resolved(await promiseOf(v as pulumi.Output<unknown>));
    if (Array.isArray(v)) return Promise.all(v.map(resolved));
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await resolved(x)])));
    }
    return v;
}

async function main(argv: string[]): Promise<void> {
    const [program, stack, config, secretKeys] = argv;
    const state = installMocks(stack, JSON.parse(config) as Record<string, string>, JSON.parse(secretKeys) as string[]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(program) as Record<string, unknown>;
    await settle(state);
    const outputs = await resolved({ ...exported });
    const resources = state.resources.map((r) => ({
        type: r.type,
        name: r.name,
        custom: r.custom,
        inputs: r.inputs,
        wire: r.wire,
        provider: r.provider,
        parent: r.parent,
        dependencies: r.dependencies,
        deleteBeforeReplace: r.deleteBeforeReplace,
    }));
    process.stdout.write(JSON.stringify({ resources, outputs }));
}

main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
});
