/**
 * The size of the script text the multi-VLAN stack hands to its remote commands (issue 11): every
 * `command:remote:Command` of stacks/Pulumi.multi-vlan.yaml declared under mocks, with the bytes of
 * its create, delete, triggers and stdin. Prints the sums and the largest create script.
 */
import * as assert from "assert";
import { runProgram } from "../helpers/runProgram";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nsize-test-key-material\n-----END OPENSSH PRIVATE KEY-----";

/** Bytes of a string, or of every string inside an array (JSON length for anything else). */
function bytes(v: unknown): number {
    if (v === undefined || v === null) return 0;
    if (typeof v === "string") return Buffer.byteLength(v, "utf8");
    if (Array.isArray(v)) return v.reduce((n: number, x) => n + bytes(x), 0);
    return Buffer.byteLength(JSON.stringify(v), "utf8");
}

export interface CommandSize {
    name: string;
    create: number;
    delete: number;
    triggers: number;
    stdin: number;
}

export interface ScriptSizes {
    commands: CommandSize[];
    create: number;
    delete: number;
    triggers: number;
    stdin: number;
    largestCreate: { name: string; bytes: number };
}

/** Sums of a list of commands. */
function sum(commands: CommandSize[]): ScriptSizes {
    const s: ScriptSizes = { commands, create: 0, delete: 0, triggers: 0, stdin: 0, largestCreate: { name: "", bytes: 0 } };
    for (const c of commands) {
        s.create += c.create;
        s.delete += c.delete;
        s.triggers += c.triggers;
        s.stdin += c.stdin;
        if (c.create > s.largestCreate.bytes) s.largestCreate = { name: c.name, bytes: c.create };
    }
    return s;
}

/** Declares the multi-VLAN stack under mocks and measures its commands' script inputs. */
export async function measureScripts(stack = "multi-vlan"): Promise<ScriptSizes> {
    const { state } = await runProgram({
        stack,
        key: KEY,
        outputs: (args) =>
            args.type === "command:remote:Command" && args.name.includes("checks")
                ? { stdout: "CHECK\tdocker01/a\tdocker02/b\tnet\treachable\treachable\t10.0.0.1\n" }
                : {},
    });
    return sum(
        state.byType("command:remote:Command").map((c) => ({
            name: c.name,
            create: bytes(c.inputs.create),
            delete: bytes(c.inputs.delete),
            triggers: bytes(c.inputs.triggers),
            stdin: bytes(c.inputs.stdin),
        })),
    );
}

const GOAL_LARGEST_CREATE = 3 * 1024;
const GOAL_TOTAL = 90 * 1024;

function line(what: string, s: ScriptSizes): string {
    const total = s.create + s.delete + s.triggers;
    return (
        `${what}: ${s.commands.length} commands: create ${s.create} B, delete ${s.delete} B, triggers ${s.triggers} B; ` +
        `create+delete+triggers ${total} B (${(total / 1024).toFixed(1)} KiB); stdin ${s.stdin} B; largest create ${s.largestCreate.name} ${s.largestCreate.bytes} B`
    );
}

describe("program: script text of the multi-VLAN stack's remote commands", function () {
    this.timeout(120_000);
    let all: ScriptSizes;
    before(async () => {
        all = await measureScripts();
        console.log(`      ${line("whole stack", all)}`);
        for (const c of all.commands) {
            console.log(`        ${c.name.padEnd(34)} create ${String(c.create).padStart(6)}  delete ${String(c.delete).padStart(6)}  triggers ${String(c.triggers).padStart(6)}  stdin ${String(c.stdin).padStart(6)}`);
        }
    });

    /** The commands of the host networking, the shell library and the checks. */
    const HOST_SIDE = /^lab-(docker\d+-(lib-install|parent-promisc|8021q-load|ens33\.\d+-config)|checks-docker\d+)$/;

    it("host networking, shell library and checks: every create under 3 KiB, together under 90 KiB", () => {
        const mine = sum(all.commands.filter((c) => HOST_SIDE.test(c.name)));
        assert.strictEqual(mine.commands.length, 2 + 2 + 2 + 4 + 2);
        console.log(`      ${line("host networking, shell library and checks", mine)}`);
        assert.ok(mine.largestCreate.bytes < GOAL_LARGEST_CREATE, `largest create ${mine.largestCreate.name}: ${mine.largestCreate.bytes} B`);
        assert.ok(mine.create + mine.delete + mine.triggers < GOAL_TOTAL);
    });

    it("the whole stack: the largest create under 3 KiB, create+delete+triggers under 90 KiB", () => {
        assert.ok(all.largestCreate.bytes < GOAL_LARGEST_CREATE, `largest create ${all.largestCreate.name}: ${all.largestCreate.bytes} B`);
        assert.ok(all.create + all.delete + all.triggers < GOAL_TOTAL, line("whole stack", all));
    });
});
