/**
 * The program's `topology` stack output (`pulumi stack output topology`): the Mermaid diagram of
 * the stack it ran, under Pulumi's mocks.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf } from "../helpers/mocks";
import { runProgram } from "../helpers/runProgram";
import { listStacks } from "../../lab/stackFile";
import { loadStack } from "../../lab/topology";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ntopology-test-key\n-----END OPENSSH PRIVATE KEY-----";

describe("program: topology output", function () {
    this.timeout(120_000); // the first import compiles the program
    for (const stack of listStacks()) {
        it(`stacks/Pulumi.${stack}.yaml: topology is the stack's Mermaid flowchart, titled with the stack, with every host, network, container and address`, async () => {
            const { program } = await runProgram({ stack, key: KEY });
            const topology = await promiseOf(pulumi.output(program.topology));
            assert.strictEqual(typeof topology, "string", "topology resolves to plain text");
            const text = topology as string;
            assert.ok(text.startsWith(`---\ntitle: "macvlan-lab: ${stack}"\n---\nflowchart TB\n`), text.slice(0, 80));
            const spec = loadStack(stack).stack?.spec;
            assert.ok(spec);
            for (const h of spec.hosts) assert.ok(text.includes(`<b>${h.name}</b>`), h.name);
            for (const n of spec.networks) assert.ok(text.includes(`<b>${n.name}</b>`) && text.includes(n.subnet), n.name);
            for (const c of spec.containers) assert.ok(text.includes(`<b>${c.name}</b><br/>${c.ip ?? "address from "}`), `${c.host}/${c.name}`);
        });
    }
});
