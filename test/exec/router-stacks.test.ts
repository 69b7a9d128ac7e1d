/**
 * Routers of two stacks on one host (issue 27 item 5: per-stack iptables chains and state): the
 * forwarding scripts (components/scripts/host/router.sh) run for real, as root, in a network
 * namespace of the test's own (iptables and net.ipv4.ip_forward are per namespace), with the state
 * directory in a temporary folder. Each stack's router has its own chain and state file; one
 * stack's delete leaves the other's policy and forwarding alone, and the last delete puts forwarding
 * back as it was before the first create.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { routerChain } from "../../components/contracts";
import { renderRouterForwarding } from "../../components/host/routing";
import { SCRIPTS_DIR } from "../../components/scripts";
import { loadLab, RawLabConfig } from "../../components/model/validate";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { run, succeeded } from "../helpers/hostExec";

const NS = `mvltest-r${process.pid}`;


describe("exec: the routers of two stacks on one host keep apart (per-stack chains and state)", function () {
    this.timeout(60_000);
    let root: string;
    const spec = loadLab(rawLabConfig(loadStackConfig("multi-vlan-routed")) as RawLabConfig);
    const host = spec.hosts.find((h) => h.name === spec.router?.host);
    const networks = spec.networks.filter((n) => spec.router?.networks.includes(n.name));
    const chainA = routerChain("macvlan-lab/stack-a/lab-router");
    const chainB = routerChain("macvlan-lab/stack-b/lab-router");
    const scripts = (chain: string) =>
        renderRouterForwarding(host!, { networks, allow: spec.router!.allow, legs: spec.router!.legs, chain }, { stateDir: path.join(root, "state"), libraryDir: SCRIPTS_DIR });
    const inHost = (script: string) => succeeded(run(["ip", "netns", "exec", NS, "sh", "-c", script]), "router script").stdout;
    const inNs = (cmd: string) => run(["ip", "netns", "exec", NS, "sh", "-c", cmd]).stdout.trim();
    const forward = () => inNs("cat /proc/sys/net/ipv4/ip_forward");
    const jumps = () => inNs("iptables -w -S FORWARD").split("\n").filter((l) => l.startsWith("-A FORWARD -j "));

    before(function () {
        if (process.getuid?.() !== 0 || run(["sh", "-c", "command -v iptables"]).status !== 0) {
            console.log("      skipped: needs root (a network namespace) and iptables");
            this.skip();
        }
        run(["ip", "netns", "del", NS]);
        assert.strictEqual(run(["ip", "netns", "add", NS]).status, 0);
    });
    after(() => run(["ip", "netns", "del", NS]));
    beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-routers-"))));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("names each stack's router chain apart: MACVLAN-LAB-R-<12 hex>, at most iptables' 28 characters", () => {
        assert.match(chainA, /^MACVLAN-LAB-R-[0-9a-f]{12}$/);
        assert.ok(chainA.length <= 28);
        assert.notStrictEqual(chainA, chainB);
        assert.strictEqual(routerChain("macvlan-lab/stack-a/lab-router"), chainA, "the same router, the same chain in every run");
    });

    it("A's delete leaves B's chain, its jump and forwarding on; B's delete, the last, puts forwarding back to off", () => {
        assert.ok(host !== undefined && networks.length >= 2);
        assert.strictEqual(forward(), "0", "a new namespace forwards nothing");
        inHost(scripts(chainA).create);
        assert.strictEqual(forward(), "1");
        const b = inHost(scripts(chainB).create);
        assert.match(b, new RegExp(`changed: FORWARD jumps to ${chainB} first`));
        assert.deepStrictEqual(jumps().sort(), [`-A FORWARD -j ${chainA}`, `-A FORWARD -j ${chainB}`].sort());
        assert.deepStrictEqual(fs.readdirSync(path.join(root, "state", "host")).filter((f) => f.startsWith("router")).sort(), [`router-${chainA}.state`, `router-${chainB}.state`].sort());
        // B recorded what forwarding was before any router: off (A's record), not the on it found
        assert.strictEqual(fs.readFileSync(path.join(root, "state", "host", `router-${chainB}.state`), "utf8"), "forward=0\n");

        const delA = inHost(scripts(chainA).delete);
        assert.match(delA, new RegExp(`IPv4 forwarding stays on: other routers on ${host!.name} forward with it \\(${chainB}\\)`));
        assert.strictEqual(forward(), "1", "B still routes");
        assert.deepStrictEqual(jumps(), [`-A FORWARD -j ${chainB}`]);
        assert.notStrictEqual(inNs(`iptables -w -S ${chainB} | wc -l`), "1", "B's policy is whole");
        assert.match(inHost(scripts(chainB).check), /^ok: router on /m);

        const delB = inHost(scripts(chainB).delete);
        assert.match(delB, /changed: IPv4 forwarding is back to 0 \(as before create\)/);
        assert.strictEqual(forward(), "0");
        assert.deepStrictEqual(jumps(), []);
        assert.ok(!fs.existsSync(path.join(root, "state", "host")) || fs.readdirSync(path.join(root, "state", "host")).every((f) => !f.startsWith("router")));
    });
});
