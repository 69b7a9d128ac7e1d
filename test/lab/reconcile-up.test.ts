/**
 * `npm run lab -- <stack>` (lab/run/up.ts) on a running lab whose stack gained a host, then lost it
 * again, with the real engine: the multi-vlan stack applied, docker03 added to its hosts, VLANs and
 * containers (lab/day2.ts's first edit) and the stack applied again: docker03 is added in place,
 * docker01 and docker02 keep their keeper, sshd, dockerd and every container (same ids, same start
 * times), every check passes. Then docker03 taken out again: the apply deletes what it made on
 * docker03 while docker03 is still there, and only then is docker03 removed. The stack files live
 * in a directory of the test. Root only; skipped with the reason elsewhere. The lab's name is
 * unique to this test process; it is torn down in after(), on failure too.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { LabHosts, attachLab } from "../../lab/hosts";
import { isAlive } from "../../lab/hosts/proc";
import { DAY2_EDITS, StackConfig } from "../../lab/day2";
import { loadStackConfig } from "../../lab/stackFile";
import { downLab } from "../../lab/run/down";
import { up } from "../../lab/run/up";
import { sweepStaleTestLabs } from "../helpers/labSweep";
import { labUnavailable, skipIf } from "../helpers/labSuite";

const PREFIX = "mvlru-";
const NAME = `${PREFIX}${process.pid}`;
const STACK = "multi-vlan";

/** Writes `config` (as the engine passes it: key -> text, structured values as JSON) as `dir/Pulumi.<STACK>.yaml`. */
function writeStack(dir: string, config: StackConfig): void {
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, /^[[{]/.test(v) ? JSON.parse(v) : v]));
    fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), yaml.dump({ config: values }));
}

/** Per host: the pids that must not move and `docker inspect` of every container (name, id, start time, running). */
async function marksOf(lab: LabHosts, hosts: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of hosts) {
        const h = lab.hosts.find((x) => x.name === name);
        assert.ok(h, `the lab has ${name}`);
        const r = await lab.exec(name, ["sh", "-c", "docker ps -aq --no-trunc | xargs -r docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Running}}' | sort"]);
        assert.equal(r.code, 0, r.stderr);
        out[name] = `keeper ${h.keeperPid} sshd ${h.pidOfSshd} dockerd ${h.pidOfDockerd}\n${r.stdout}`;
    }
    return out;
}

describe("lab: npm run lab on a running lab whose stack gained and lost a host (real engine)", function () {
    this.timeout(900_000);
    const lines: string[] = [];
    const log = (l: string) => {
        lines.push(l);
        if (process.env.LAB_TEST_VERBOSE) console.log(`      | ${l}`);
    };
    const tail = () => lines.slice(-60).join("\n");
    let ready = false;
    let dir = "";
    const base = loadStackConfig(STACK);
    const withDocker03 = DAY2_EDITS[0].change(base);
    let kept: Record<string, string> = {};

    before(async function () {
        skipIf(this, await labUnavailable());
        assert.equal(DAY2_EDITS[0].title, "add a host (docker03) with a container on each network");
        await sweepStaleTestLabs(new RegExp(`^${PREFIX}(\\d+)$`), log);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvlru-stacks-"));
        ready = true;
    });
    after(async () => {
        if (ready) await downLab(NAME, () => undefined);
        if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
    });

    it("applies the two-host stack", async () => {
        writeStack(dir, base);
        const t = Date.now();
        const code = await up(STACK, { name: NAME, log, skipPackages: true, stacksDir: dir });
        console.log(`      time: first up (hosts and pulumi up): ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.equal(code, 0, tail());
        kept = await marksOf(attachLab(NAME), ["docker01", "docker02"]);
        for (const h of ["docker01", "docker02"]) {
            assert.match(kept[h], /^\/bbox10 \S+ \S+ true$/m, `${h} runs bbox10: ${kept[h]}`);
            assert.match(kept[h], /^\/bbox20 \S+ \S+ true$/m, `${h} runs bbox20: ${kept[h]}`);
        }
    });

    it("adds docker03 in place and applies: docker01 and docker02 keep their daemons and containers", async () => {
        writeStack(dir, withDocker03);
        lines.length = 0;
        const t = Date.now();
        const code = await up(STACK, { name: NAME, log, skipPackages: true, stacksDir: dir });
        console.log(`      time: up with docker03 added (in place, then pulumi up): ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.equal(code, 0, tail());
        const text = lines.join("\n");
        assert.match(text, /== hosts: lab \S+ is up; the stack's hosts changed: changing only what changed, in place ==/);
        assert.match(text, /\+ host docker03: added \(ens33 192\.168\.1\.15\/24, ssh port 22, ens33\.10, ens33\.20\)/);
        assert.match(text, /= docker01, docker02: stay as they are/);
        assert.doesNotMatch(text, /tearing it down/);
        assert.ok(text.indexOf("+ host docker03") < text.indexOf("== pulumi up"), "the host is there before the apply");
        const lab = attachLab(NAME);
        assert.deepEqual(lab.hosts.map((h) => h.name), ["docker01", "docker02", "docker03"]);
        assert.deepEqual(await marksOf(lab, ["docker01", "docker02"]), kept, "docker01 and docker02: same pids, same containers");
        const on3 = (await marksOf(lab, ["docker03"])).docker03;
        assert.match(on3, /^\/bbox10 \S+ \S+ true$/m, `docker03 runs bbox10: ${on3}`);
        assert.match(on3, /^\/bbox20 \S+ \S+ true$/m, `docker03 runs bbox20: ${on3}`);
    });

    it("takes docker03 out: the apply deletes what it made there first, then docker03 is removed; the others untouched", async () => {
        const lab3 = attachLab(NAME);
        const h3 = lab3.hosts.find((h) => h.name === "docker03");
        assert.ok(h3);
        const pids3 = [h3.keeperPid, h3.pidOfSshd, h3.pidOfDockerd];
        writeStack(dir, base);
        lines.length = 0;
        const t = Date.now();
        const code = await up(STACK, { name: NAME, log, skipPackages: true, stacksDir: dir });
        console.log(`      time: up with docker03 removed (pulumi up, then the host removed): ${((Date.now() - t) / 1000).toFixed(1)} s`);
        assert.equal(code, 0, tail());
        const text = lines.join("\n");
        assert.match(text, /- host docker03: removed \(its namespaces, links, sshd, dockerd and containers\); after the apply/);
        const applyAt = text.indexOf("== pulumi up");
        const deletedAt = text.search(/lab-\S*docker03\S* deleted/);
        const removedAt = text.indexOf("== hosts: removing what the stack no longer has (host docker03)");
        assert.ok(applyAt >= 0 && deletedAt > applyAt, `the apply deleted docker03's resources:\n${tail()}`);
        assert.ok(removedAt > deletedAt, "docker03 is removed after the apply");
        assert.deepEqual(pids3.filter(isAlive), [], "docker03's keeper, sshd and dockerd are gone");
        assert.equal(fs.existsSync(`/run/netns/${NAME}_host_docker03`), false);
        const lab = attachLab(NAME);
        assert.deepEqual(lab.hosts.map((h) => h.name), ["docker01", "docker02"]);
        assert.deepEqual(await marksOf(lab, ["docker01", "docker02"]), kept, "docker01 and docker02: same pids, same containers");
    });
});
