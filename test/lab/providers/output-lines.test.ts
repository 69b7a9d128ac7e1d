/**
 * No host script of the program prints a line anywhere near the 64 KiB at which pulumi-command
 * v1.2.1 stops reading a command's output and hangs (lab/providers/command/logOutput.ts): the
 * multi-vlan stack applied and destroyed in the lab with the real engine, the command stand-in
 * recording the longest line of every run's stdout and stderr (MACVLAN_LAB_COMMAND_OUTPUT_LOG), every
 * create, update, check and delete script included. Root only (lab/hosts); elsewhere it says why.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LabHosts, hostsUp } from "../../../lab/hosts";
import { applyOnLab, destroyOnLab } from "../../../lab/run/engine";
import { downLab } from "../../../lab/run/down";
import { LoadedStack, loadStack, topologyOf } from "../../../lab/topology";
import { SCAN_LIMIT } from "../../../lab/providers/command/logOutput";
import { sweepStaleTestLabs } from "../../helpers/labSweep";
import { labUnavailable, skipIf } from "../../helpers/labSuite";

const PREFIX = "mvlol-";
const NAME = `${PREFIX}${process.pid}`;
/** Far below the limit: a line this long is a script bug long before it is a hang. */
const BOUND = 8 * 1024;

interface Entry {
    urn: string;
    kind: "remote" | "local";
    longestLine: number;
    stdoutBytes: number;
    stderrBytes: number;
    failed: boolean;
}

function log(line: string): void {
    if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${line}`);
}

describe("lab: every host script's output stays far from pulumi-command's 64 KiB line limit (multi-vlan, real engine)", function () {
    let lab: LabHosts | undefined;
    let tmp = "";
    let afterUp: Entry[] = [];
    let afterDestroy: Entry[] = [];
    const saved = process.env.MACVLAN_LAB_COMMAND_OUTPUT_LOG;

    before(async function () {
        this.timeout(1_200_000);
        skipIf(this, await labUnavailable());
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)$`), log);
        const loaded = loadStack("multi-vlan");
        assert.deepEqual(loaded.errors, []);
        const stack = loaded.stack as LoadedStack;
        const topo = topologyOf(NAME, stack.spec);
        assert.deepEqual(topo.errors, []);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-output-lines-"));
        const record = path.join(tmp, "runs.jsonl");
        // the pulumi process inherits this environment, and the command plugin with it
        process.env.MACVLAN_LAB_COMMAND_OUTPUT_LOG = record;
        lab = await hostsUp(topo.topology as NonNullable<typeof topo.topology>, { log });
        const up = await applyOnLab(lab, stack, { log });
        assert.equal(up.code, 0, `pulumi up failed: ${up.failures.join(" | ")}`);
        const read = (): Entry[] => (fs.existsSync(record) ? fs.readFileSync(record, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Entry) : []);
        afterUp = read();
        const down = await destroyOnLab(lab, { log });
        assert.equal(down?.code, 0, `pulumi destroy failed: ${down?.failures.join(" | ")}`);
        afterDestroy = read();
    });

    after(async function () {
        this.timeout(300_000);
        if (saved === undefined) delete process.env.MACVLAN_LAB_COMMAND_OUTPUT_LOG;
        else process.env.MACVLAN_LAB_COMMAND_OUTPUT_LOG = saved;
        if (lab !== undefined) await downLab(NAME, log);
        if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
    });

    it(`every command's longest output line is under ${BOUND} bytes (the limit is ${SCAN_LIMIT}), through up and destroy`, () => {
        // the probe ran: up ran the remote commands, destroy their deletes
        const remote = afterDestroy.filter((e) => e.kind === "remote");
        assert.ok(afterUp.filter((e) => e.kind === "remote").length >= 10, `only ${afterUp.length} runs recorded by up`);
        assert.ok(afterDestroy.length > afterUp.length, "destroy recorded its delete runs");
        const longest = [...afterDestroy].sort((a, b) => b.longestLine - a.longestLine);
        console.log(`      runs: ${afterUp.length} in up, ${afterDestroy.length - afterUp.length} in destroy (${remote.length} remote); longest lines:`);
        for (const e of longest.slice(0, 3)) console.log(`        ${e.longestLine} bytes: ${e.urn.split("::").pop()} (${e.stdoutBytes} bytes of stdout)`);
        assert.deepEqual(afterDestroy.filter((e) => e.failed), []);
        assert.deepEqual(longest.filter((e) => e.longestLine >= BOUND).map((e) => `${e.urn}: ${e.longestLine}`), []);
    });
});
