/**
 * The size of the script text the multi-VLAN stack hands to its remote commands (issue 11): every
 * `command:remote:Command` of stacks/Pulumi.multi-vlan.yaml declared under mocks, with the bytes of
 * its create, delete, triggers and stdin. Prints the sums and the largest create script.
 */
import * as assert from "assert";
import * as path from "path";
import { installMocks, settle } from "../helpers/mocks";
import { loadStackConfig } from "../../lab/stackFile";

const PROGRAM = path.join(__dirname, "..", "..", "index");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nsize-test-key-material\n-----END OPENSSH PRIVATE KEY-----";

/** Bytes of a string, or of every string inside an array (JSON length for anything else). */
function bytes(v: unknown): number {
    if (v === undefined || v === null) return 0;
    if (typeof v === "string") return Buffer.byteLength(v, "utf8");
    if (Array.isArray(v)) return v.reduce((n: number, x) => n + bytes(x), 0);
    return Buffer.byteLength(JSON.stringify(v), "utf8");
}

export interface ScriptSizes {
    commands: number;
    create: number;
    delete: number;
    triggers: number;
    stdin: number;
    largestCreate: { name: string; bytes: number };
}

/** Declares the multi-VLAN stack under mocks and sums its commands' script inputs. */
export async function measureScripts(stack = "multi-vlan"): Promise<ScriptSizes> {
    const state = installMocks(stack, { ...loadStackConfig(stack), "macvlan-lab:sshPrivateKey": KEY }, ["macvlan-lab:sshPrivateKey"], (args) =>
        args.type === "command:remote:Command" && args.name.includes("checks")
            ? { stdout: "CHECK\tdocker01/a\tdocker02/b\tnet\treachable\treachable\t10.0.0.1\n" }
            : {},
    );
    delete require.cache[require.resolve(PROGRAM)];
    await import(PROGRAM);
    await settle(state, 100);
    const commands = state.byType("command:remote:Command");
    const sizes: ScriptSizes = { commands: commands.length, create: 0, delete: 0, triggers: 0, stdin: 0, largestCreate: { name: "", bytes: 0 } };
    for (const c of commands) {
        const create = bytes(c.inputs.create);
        sizes.create += create;
        sizes.delete += bytes(c.inputs.delete);
        sizes.triggers += bytes(c.inputs.triggers);
        sizes.stdin += bytes(c.inputs.stdin);
        if (create > sizes.largestCreate.bytes) sizes.largestCreate = { name: c.name, bytes: create };
    }
    return sizes;
}

describe("program: script text of the multi-VLAN stack's remote commands", function () {
    this.timeout(60_000);
    it("prints create, delete, triggers and stdin bytes and the largest create script", async () => {
        const s = await measureScripts();
        const total = s.create + s.delete + s.triggers;
        console.log(
            `      ${s.commands} commands: create ${s.create} B, delete ${s.delete} B, triggers ${s.triggers} B; ` +
                `create+delete+triggers ${total} B (${(total / 1024).toFixed(1)} KiB); stdin ${s.stdin} B; ` +
                `largest create ${s.largestCreate.name} ${s.largestCreate.bytes} B`,
        );
        assert.ok(s.commands > 0);
    });
});
