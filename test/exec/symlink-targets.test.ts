/**
 * Root writes never follow a link unchecked (issue 27 item 4), run for real as root: the prelude's
 * `stage`/`commit`/`put_back`/undo through symbolic links, the registry trust's daemon.json, the
 * ifcfg backend's /sbin/ifup-local hook and an ifcfg file, each a link. A link that root alone can
 * have made (it belongs to root, and root alone can change the directories of the link and of its
 * target) is followed explicitly: its real file takes the bytes and keeps its own mode and owner, and
 * the link stays a link. Any other link is refused, naming it, and nothing changes. Also the
 * prelude's umask.
 *
 * Temporary directories only; the host script runs in a network namespace of its own with a veth
 * `ens33` (as test/exec/host-exec.test.ts), removed afterwards.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/scripts";
import { DaemonScriptOptions, parseInspection, planDaemonConfig, renderApply, renderInspect, renderRestore } from "../../components/docker/daemonJson";
import { RenderOptions, renderParentInterface } from "../../components/host/render";
import { loadLab, RawLabConfig } from "../../components/model/validate";
import { HostSpec } from "../../components/model/types";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";
import { rootedRenderOptions, run, succeeded } from "../helpers/hostExec";

const NS = `mvltest-l${process.pid}`;
const PEER_NS = `mvltest-m${process.pid}`;
const NOBODY = 65534;
const EP = "192.168.1.11:5000";

/** Mode (permission bits), owner and group of `p` itself (lstat) or of what it leads to (stat). */
function meta(p: string, follow = true): { mode: number; uid: number; gid: number; link: boolean } {
    const st = follow ? fs.statSync(p) : fs.lstatSync(p);
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, link: fs.lstatSync(p).isSymbolicLink() };
}

describe("exec: root writes through symbolic links (the prelude, daemon.json, ifup-local, an ifcfg file)", function () {
    this.timeout(120_000);
    let root: string;

    before(function () {
        if (process.getuid?.() !== 0) {
            console.log("      skipped: the scripts check who owns a link and its directories, and chown; that needs root");
            this.skip();
        }
    });
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "mvltest-links-"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    /** A script that sources the prelude as every thin script does, then runs `body`. */
    const prelude = (body: string) => run(["sh", "-c", `set -eu\nlib='${SCRIPTS_DIR}'\n. "$lib/prelude.sh"\n${body}`]);

    /** `<root>/etc/x.conf` -> `<root>/real/x.conf` (mode 0640, group 4), both directories root's alone. */
    function linkedFile(text = "before\n"): { link: string; real: string } {
        fs.mkdirSync(path.join(root, "etc"), { mode: 0o755 });
        fs.mkdirSync(path.join(root, "real"), { mode: 0o755 });
        const real = path.join(root, "real", "x.conf");
        fs.writeFileSync(real, text);
        fs.chmodSync(real, 0o640);
        fs.chownSync(real, 0, 4);
        const link = path.join(root, "etc", "x.conf");
        fs.symlinkSync("../real/x.conf", link);
        return { link, real };
    }

    describe("the prelude", () => {
        it("a root link in root-only directories: commit writes its real file, which keeps mode 0640 and group 4; the link stays", () => {
            const { link, real } = linkedFile();
            const r = succeeded(prelude(`stage '${link}'; printf 'after\\n' >"$pending"; commit '${link}' 644 'x.conf'`), "commit");
            assert.match(r.stdout, new RegExp(`^${link} is a symbolic link to ${real}: writing ${real} \\(the link stays\\)$`, "m"));
            assert.match(r.stdout, /^changed: wrote x\.conf$/m);
            assert.deepStrictEqual(meta(link, false), { ...meta(link, false), link: true });
            assert.strictEqual(fs.readlinkSync(link), "../real/x.conf");
            assert.strictEqual(fs.readFileSync(real, "utf8"), "after\n");
            assert.deepStrictEqual(meta(real), { mode: 0o640, uid: 0, gid: 4, link: false });
            assert.deepStrictEqual(fs.readdirSync(path.join(root, "real")), ["x.conf"], "no temporary file left");
        });

        it("a run that fails after writing through the link puts the real file back (bytes, mode, owner), the link stays", () => {
            const { link, real } = linkedFile();
            const r = prelude(`stage '${link}'; printf 'after\\n' >"$pending"; commit '${link}' 644 'x.conf'; exit 3`);
            assert.strictEqual(r.status, 3);
            assert.match(r.stderr, /failed \(exit 3\): undoing what this run changed/);
            assert.strictEqual(fs.readFileSync(real, "utf8"), "before\n");
            assert.deepStrictEqual(meta(real), { mode: 0o640, uid: 0, gid: 4, link: false });
            assert.strictEqual(fs.readlinkSync(link), "../real/x.conf");
        });

        it("put_back through a link writes the real file with the saved copy's mode and owner; a dropped link comes back on failure", () => {
            const { link, real } = linkedFile("new\n");
            const saved = path.join(root, "saved");
            fs.writeFileSync(saved, "orig\n");
            fs.chmodSync(saved, 0o600);
            fs.chownSync(saved, 0, 4);
            succeeded(prelude(`put_back '${saved}' '${link}'`), "put_back");
            assert.strictEqual(fs.readFileSync(real, "utf8"), "orig\n");
            assert.deepStrictEqual(meta(real), { mode: 0o600, uid: 0, gid: 4, link: false });
            assert.ok(fs.lstatSync(link).isSymbolicLink());
            const r = prelude(`drop '${link}' 'removed the link'; exit 4`);
            assert.strictEqual(r.status, 4);
            assert.strictEqual(fs.readlinkSync(link), "../real/x.conf", "the link is back as it was");
        });

        const refusals: Array<[string, (l: { link: string; real: string }) => void, RegExp]> = [
            ["a link that belongs to another user", (l) => fs.lchownSync(l.link, NOBODY, NOBODY), /is a symbolic link that belongs to uid 65534, not root: writing through it as root would change .*real\/x\.conf on that user's say; replace the link by the file/],
            ["a link in a directory another user can write to", (l) => fs.chmodSync(path.dirname(l.link), 0o777), /is a symbolic link to .*real\/x\.conf, and .*\/etc can be changed by users other than root \(owner uid 0, mode 777\)/],
            ["a link in a directory another user owns", (l) => fs.chownSync(path.dirname(l.link), NOBODY, NOBODY), /and .*\/etc can be changed by users other than root \(owner uid 65534, mode 755\)/],
            ["a link to a file in a directory another user owns", (l) => fs.chownSync(path.dirname(l.real), NOBODY, NOBODY), /and .*\/real can be changed by users other than root \(owner uid 65534/],
            ["a link to a directory", (l) => {
                fs.rmSync(l.real);
                fs.mkdirSync(l.real);
            }, /is a symbolic link to .*real\/x\.conf, which is not a regular file/],
            ["a link that leads nowhere", (l) => {
                fs.unlinkSync(l.link);
                fs.symlinkSync("/nonexistent-dir/x.conf", l.link);
            }, /is a symbolic link to \/nonexistent-dir\/x\.conf, which leads to no directory/],
        ];
        for (const [what, make, message] of refusals) {
            it(`refuses ${what}, and changes nothing`, () => {
                const l = linkedFile();
                make(l);
                const before = fs.existsSync(l.real) && fs.statSync(l.real).isFile() ? fs.readFileSync(l.real, "utf8") : undefined;
                const r = prelude(`stage '${l.link}'; printf 'after\\n' >"$pending"; commit '${l.link}' 644 'x.conf'`);
                assert.strictEqual(r.status, 1, r.stdout);
                assert.match(r.stderr, message);
                if (before !== undefined) assert.strictEqual(fs.readFileSync(l.real, "utf8"), before);
                assert.ok(fs.lstatSync(l.link).isSymbolicLink(), "the link is still a link");
            });
        }

        it("sets umask 022: what a script makes is never group- or world-writable, whatever umask it was started with", () => {
            const f = path.join(root, "made");
            const d = path.join(root, "dir");
            succeeded(run(["sh", "-c", `umask 000; set -eu; . '${SCRIPTS_DIR}/prelude.sh'; : >'${f}'; mkdirs '${d}/a'`]), "umask");
            assert.strictEqual(meta(f).mode, 0o644);
            assert.strictEqual(meta(d).mode, 0o755);
            assert.strictEqual(meta(path.join(d, "a")).mode, 0o755);
        });

        it("a failed run puts back a file it dropped from a directory it then removed (rmdirs is undone before the file returns)", () => {
            const d = path.join(root, "dropin.d");
            const f = path.join(d, "90-x.conf");
            fs.mkdirSync(d);
            fs.writeFileSync(f, "kept\n", { mode: 0o644 });
            fs.writeFileSync(path.join(root, "dirs"), `${d}\n`);
            const r = run(["sh", "-c", `set -eu; . '${SCRIPTS_DIR}/prelude.sh'; drop '${f}' 'removed x'; rmdirs '${path.join(root, "dirs")}'; test ! -e '${d}'; false`]);
            assert.strictEqual(r.status, 1, r.stdout + r.stderr);
            assert.match(r.stderr, /undoing what this run changed/);
            assert.doesNotMatch(r.stderr, /could not undo/);
            assert.strictEqual(fs.readFileSync(f, "utf8"), "kept\n");
            fs.rmSync(d, { recursive: true });
        });
    });

    describe("daemon.json (the registry trust)", () => {
        const opts = (conf: string): DaemonScriptOptions => ({
            endpoint: EP,
            security: "insecure",
            daemonJson: conf,
            stateDir: path.join(root, "state"),
            pidFile: path.join(root, "docker.pid"),
            reload: "none",
            reloadTimeoutSeconds: 3,
            libraryDir: SCRIPTS_DIR,
        });
        const trust = (conf: string) => {
            const o = opts(conf);
            const inspect = succeeded(run(["sh", "-c", renderInspect({ ...o, migrate: false }).script]), "inspect");
            const plan = planDaemonConfig({ endpoint: EP, security: "insecure", migrate: false }, parseInspection(inspect.stdout));
            return { o, plan, apply: run(["sh", "-c", renderApply(o, plan, "pulumi up --replace x").script]) };
        };

        it("a NixOS-style link: the real file takes the endpoint and keeps mode 0640 and group 4; restore puts its bytes, mode and owner back; the link stays", () => {
            const original = '{\n\t"log-level": "warn"\n}\n';
            const { link, real } = linkedFile(original);
            const t = trust(link);
            succeeded(t.apply, "apply");
            assert.deepStrictEqual(JSON.parse(fs.readFileSync(real, "utf8")), { "log-level": "warn", "insecure-registries": [EP] });
            assert.deepStrictEqual(meta(real), { mode: 0o640, uid: 0, gid: 4, link: false });
            assert.strictEqual(fs.readlinkSync(link), "../real/x.conf");
            // the inspect read the real file's mode and owner (stat -L), not the link's 0777
            assert.match(t.plan.before?.mode ?? "", /^640$/);
            succeeded(run(["sh", "-c", renderRestore(t.o, t.plan).script]), "restore");
            assert.strictEqual(fs.readFileSync(real, "utf8"), original);
            assert.deepStrictEqual(meta(real), { mode: 0o640, uid: 0, gid: 4, link: false });
            assert.strictEqual(fs.readlinkSync(link), "../real/x.conf");
        });

        it("a daemon.json link another user could have made is refused; the file it leads to is left as it was", () => {
            const original = '{"log-level": "warn"}\n';
            const { link, real } = linkedFile(original);
            fs.lchownSync(link, NOBODY, NOBODY);
            const t = trust(link);
            assert.strictEqual(t.apply.status, 1, t.apply.stdout);
            assert.match(t.apply.stderr, /is a symbolic link that belongs to uid 65534, not root/);
            assert.strictEqual(fs.readFileSync(real, "utf8"), original);
            assert.deepStrictEqual(meta(real), { mode: 0o640, uid: 0, gid: 4, link: false });
        });
    });

    describe("the ifcfg backend's ifup-local hook and ifcfg file", function () {
        const spec = loadLab(rawLabConfig(loadStackConfig("multi-vlan")) as RawLabConfig);
        let options: Required<RenderOptions>;
        let cfgDir: string;
        const host = (): HostSpec => ({ ...spec.hosts[0], backend: "ifcfg", configDir: cfgDir });
        const inHost = (script: string) => run(["ip", "netns", "exec", NS, "sh", "-c", script]);
        const promisc = () => (JSON.parse(run(["ip", "-n", NS, "-j", "link", "show", "dev", "ens33"]).stdout) as Array<{ flags: string[] }>)[0].flags.includes("PROMISC");

        before(() => {
            for (const ns of [NS, PEER_NS]) {
                run(["ip", "netns", "del", ns]);
                succeeded(run(["ip", "netns", "add", ns]), `netns ${ns}`);
            }
            succeeded(run(["ip", "-n", NS, "link", "add", "ens33", "type", "veth", "peer", "name", "p0", "netns", PEER_NS]), "veth");
            succeeded(run(["ip", "-n", NS, "link", "set", "dev", "ens33", "up"]), "up");
        });
        after(() => {
            for (const ns of [NS, PEER_NS]) run(["ip", "netns", "del", ns]);
        });
        beforeEach(() => {
            cfgDir = path.join(root, "etc/sysconfig/network-scripts");
            options = rootedRenderOptions(root);
            fs.mkdirSync(cfgDir, { recursive: true });
            fs.mkdirSync(path.join(root, "sbin"));
            fs.mkdirSync(path.join(root, "usr/local/sbin"), { recursive: true });
            fs.writeFileSync(path.join(cfgDir, "ifcfg-ens33"), "DEVICE=ens33\nONBOOT=yes\n", { mode: 0o644 });
        });
        afterEach(() => run(["ip", "-n", NS, "link", "set", "dev", "ens33", "promisc", "off"]));

        it("a linked /sbin/ifup-local: the hook goes into its real file (mode 0750 kept), the link stays; delete puts the real file back", () => {
            const real = path.join(root, "usr/local/sbin/ifup-local");
            const own = "#!/bin/sh\n# the site's own hook\nlogger ifup-local \"$1\"\n";
            fs.writeFileSync(real, own);
            fs.chmodSync(real, 0o750);
            fs.symlinkSync(real, options.ifupLocal);
            const s = renderParentInterface(host(), options);
            const c = succeeded(inHost(s.create), "create");
            assert.match(c.stdout, new RegExp(`${options.ifupLocal} is a symbolic link to ${real}: writing ${real} \\(the link stays\\)`));
            assert.ok(fs.lstatSync(options.ifupLocal).isSymbolicLink());
            const text = fs.readFileSync(real, "utf8");
            assert.ok(text.startsWith(own) && text.includes("# macvlan-lab begin ens33:"), text);
            assert.deepStrictEqual(meta(real), { mode: 0o750, uid: 0, gid: 0, link: false });
            succeeded(inHost(s.delete), "delete");
            assert.strictEqual(fs.readFileSync(real, "utf8"), own);
            assert.deepStrictEqual(meta(real), { mode: 0o750, uid: 0, gid: 0, link: false });
            assert.strictEqual(fs.readlinkSync(options.ifupLocal), real);
        });

        it("an ifcfg file that is a link in a configDir another user can write to is refused: the file it leads to and ens33 stay as they were", () => {
            const secret = path.join(root, "shadow");
            fs.writeFileSync(secret, "root:x:0:0\n", { mode: 0o600 });
            fs.rmSync(path.join(cfgDir, "ifcfg-ens33"));
            fs.symlinkSync(secret, path.join(cfgDir, "ifcfg-ens33"));
            fs.chownSync(cfgDir, NOBODY, NOBODY); // a user-writable configDir
            const r = inHost(renderParentInterface(host(), options).create);
            assert.strictEqual(r.status, 1, r.stdout);
            assert.match(r.stderr, new RegExp(`${cfgDir}/ifcfg-ens33 is a symbolic link to ${secret}, and ${cfgDir} can be changed by users other than root \\(owner uid 65534, mode 755\\)`));
            assert.strictEqual(fs.readFileSync(secret, "utf8"), "root:x:0:0\n");
            assert.deepStrictEqual(meta(secret), { mode: 0o600, uid: 0, gid: 0, link: false });
            assert.ok(!promisc(), "the failed run undid the promiscuous flag");
            assert.ok(!fs.existsSync(options.ifupLocal), "no hook was written");
        });

        it("an ifcfg file that is a root link in root-only directories is edited in its real file (mode 0600 kept); delete restores it", () => {
            const realDir = path.join(root, "etc/net-real");
            fs.mkdirSync(realDir);
            const real = path.join(realDir, "ifcfg-ens33");
            fs.writeFileSync(real, "DEVICE=ens33\nONBOOT=yes\n", { mode: 0o600 });
            fs.rmSync(path.join(cfgDir, "ifcfg-ens33"));
            fs.symlinkSync(real, path.join(cfgDir, "ifcfg-ens33"));
            const s = renderParentInterface(host(), options);
            succeeded(inHost(s.create), "create");
            assert.strictEqual(fs.readFileSync(real, "utf8"), "DEVICE=ens33\nONBOOT=yes\nPROMISC=yes\n");
            assert.deepStrictEqual(meta(real), { mode: 0o600, uid: 0, gid: 0, link: false });
            assert.ok(fs.lstatSync(path.join(cfgDir, "ifcfg-ens33")).isSymbolicLink());
            succeeded(inHost(s.delete), "delete");
            assert.strictEqual(fs.readFileSync(real, "utf8"), "DEVICE=ens33\nONBOOT=yes\n");
            assert.deepStrictEqual(meta(real), { mode: 0o600, uid: 0, gid: 0, link: false });
            assert.ok(fs.lstatSync(path.join(cfgDir, "ifcfg-ens33")).isSymbolicLink());
        });
    });
});
