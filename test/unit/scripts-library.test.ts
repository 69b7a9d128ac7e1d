/**
 * The shell library (components/scripts): every file checked by shellcheck as it is, the bundle the
 * installer reads, the thin scripts and the installer's script as rendered.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    LIBRARY_OWNER,
    SCRIPTS_DIR,
    installedLibraryDir,
    libraryOwner,
    loadLibrary,
    renderInstaller,
    renderScript,
    scriptIdentity,
    shellLibrary,
} from "../../components/scripts";
import { requireTool } from "../helpers/tools";

/** Every .sh file of components/, as paths. */
function shellFilesOfComponents(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.name.endsWith(".sh")) out.push(p);
        }
    };
    walk(path.join(__dirname, "..", "..", "components"));
    return out.sort();
}

describe("shell library: files, bundle, thin scripts", () => {
    it("bundles every .sh file but the installer, prelude.sh first among equals, each behind its #@file line", () => {
        const lib = shellLibrary();
        assert.ok(lib.files.includes("prelude.sh"));
        assert.ok(!lib.files.some((f) => f.startsWith("installer/")));
        assert.deepStrictEqual(lib.files, [...lib.files].sort());
        for (const f of lib.files) {
            assert.ok(lib.bundle.includes(`#@file ${f}\n${fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8")}`), f);
        }
        assert.match(lib.digest, /^[0-9a-f]{64}$/);
        assert.strictEqual(lib.id, lib.digest.slice(0, 16));
        assert.strictEqual(installedLibraryDir("/var/lib/macvlan-lab"), `/var/lib/macvlan-lab/lib/default/${lib.id}`);
    });

    it("names a library's owner <project>.<stack>.<name>, a directory name that never collides", () => {
        assert.strictEqual(libraryOwner("macvlan-lab", "multi-vlan", "lab-docker01-lib"), "macvlan-lab.multi-vlan.lab-docker01-lib");
        const odd = libraryOwner("p", "dev/eu", "lab docker01");
        assert.match(odd, /^p\.dev_eu\.lab_docker01-[0-9a-f]{16}$/);
        assert.notStrictEqual(odd, libraryOwner("p", "dev_eu", "lab docker01"), "sanitized alike, owners differ");
        const long = libraryOwner("p", "s", "x".repeat(200));
        assert.ok(LIBRARY_OWNER.test(long) && long.length === 100, long);
        assert.ok(LIBRARY_OWNER.test(libraryOwner(".hidden", "s", "n")));
        assert.strictEqual(installedLibraryDir("/srv/st", "p.s.n"), `/srv/st/lib/p.s.n/${shellLibrary().id}`);
        assert.throws(() => installedLibraryDir("/srv/st", "a/b"), /library owner "a\/b" is not a directory name/);
    });

    it("refuses a file that could not travel in the bundle", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-lib-"));
        try {
            fs.writeFileSync(path.join(dir, "prelude.sh"), "note() { :; }\n");
            assert.strictEqual(loadLibrary(dir).files.length, 1);
            fs.writeFileSync(path.join(dir, "x.sh"), "echo x");
            assert.throws(() => loadLibrary(dir), { message: "x.sh does not end with a newline" });
            fs.writeFileSync(path.join(dir, "x.sh"), "#@file y.sh\n");
            assert.throws(() => loadLibrary(dir), { message: 'x.sh has a line that starts with "#@file "' });
            fs.rmSync(path.join(dir, "x.sh"));
            fs.writeFileSync(path.join(dir, "Bad Name.sh"), "\n");
            assert.throws(() => loadLibrary(dir), /Bad Name\.sh: a shell library path is lower-case letters/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a thin script: set -eu, title, lib and inputs quoted, the library check, prelude and modules, calls", () => {
        const s = renderScript({
            title: "example: create",
            libraryDir: "/var/lib/macvlan-lab/lib/0123456789abcdef",
            vars: [
                ["dev", "ens33.10"],
                ["odd", "it's $(here)"],
                ["n", 10],
            ],
            modules: ["net.sh"],
            calls: ["example_create"],
        });
        assert.strictEqual(
            s,
            [
                "set -eu",
                "# macvlan-lab: example: create",
                "lib='/var/lib/macvlan-lab/lib/0123456789abcdef'",
                "dev='ens33.10'",
                "odd='it'\\''s $(here)'",
                "n='10'",
                `if [ ! -r "$lib/prelude.sh" ]; then echo "ERROR: macvlan-lab's shell library is not in $lib (its install command runs first: run pulumi up again)" >&2; exit 1; fi`,
                '. "$lib/prelude.sh"',
                '. "$lib/net.sh"',
                "example_create",
                "",
            ].join("\n"),
        );
    });

    it("refuses what must not reach a thin script unquoted", () => {
        const base = { title: "t", libraryDir: "/x", vars: [], modules: [], calls: ["f"] };
        assert.throws(() => renderScript({ ...base, title: "a\nb" }), /has a line break/);
        assert.throws(() => renderScript({ ...base, vars: [["A", "1"]] }), /is not a new lower-case shell name/);
        assert.throws(() => renderScript({ ...base, vars: [["lib", "1"]] }), /is not a new lower-case shell name/);
        assert.throws(() => renderScript({ ...base, vars: [["a", "1"], ["a", "2"]] }), /is not a new lower-case shell name/);
        assert.throws(() => renderScript({ ...base, modules: ["nope.sh"] }), /nope\.sh is not a module of the shell library/);
        assert.throws(() => renderScript({ ...base, calls: ["f; rm -rf /"] }), /is not a function name with plain words/);
        assert.throws(() => renderScript({ ...base, calls: ["f $(x)"] }), /is not a function name with plain words/);
    });

    it("identity: the title and inputs, not the library directory", () => {
        const a = scriptIdentity("VLAN ens33.10 of docker01", [["dev", "ens33.10"]]);
        assert.strictEqual(a, scriptIdentity("VLAN ens33.10 of docker01", [["dev", "ens33.10"]]));
        assert.notStrictEqual(a, scriptIdentity("VLAN ens33.10 of docker01", [["dev", "ens33.20"]]));
        assert.notStrictEqual(a, scriptIdentity("VLAN ens33.10 of docker02", [["dev", "ens33.10"]]));
    });

    it("the installer's scripts stay short: installer/ without its comments, each action only its own function", () => {
        const create = renderInstaller("install", "/var/lib/macvlan-lab");
        const del = renderInstaller("remove", "/var/lib/macvlan-lab");
        assert.ok(create.startsWith(`set -eu\n# macvlan-lab: the shell library ${shellLibrary().id} (`));
        assert.ok(create.includes("\nlib_root='/var/lib/macvlan-lab/lib'\nlib_owner='default'\n"));
        assert.ok(create.includes(`\nlib_digest='${shellLibrary().digest}'\n`));
        assert.ok(create.endsWith("\nlibrary_install\n"));
        assert.ok(del.endsWith("\nlibrary_remove\n"));
        assert.ok(!/^\s*# (?!shellcheck)/m.test(create.split("\n").slice(2).join("\n")), "no comment lines after the title");
        assert.ok(create.length < 2500, `installer create is ${create.length} bytes`);
        assert.ok(del.length < 1800, `installer delete is ${del.length} bytes`);
        assert.ok(!del.includes("sha256sum") && !create.includes("rm -rf \"$lib\"\n\t\tprintf 'changed: removed"));
    });

    describe("shellcheck", () => {
        it("sh -n accepts every .sh file and the installer's scripts", () => {
            const files = shellFilesOfComponents();
            // the library's files: at least the prelude and one per area (a rename that empties the walk fails here)
            assert.ok(files.length >= 10 && files.some((f) => f.endsWith("/prelude.sh")), files.join(", "));
            for (const f of files) {
                const r = spawnSync("sh", ["-n", f], { encoding: "utf8" });
                assert.strictEqual(r.status, 0, `sh -n ${f}: ${r.stderr}`);
            }
        });

        it("shellcheck -s sh reports nothing on any .sh file of components/ nor on the rendered installer", function () {
            this.timeout(120_000);
            requireTool(this, "shellcheck");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-sc-"));
            try {
                const rendered = ["install", "remove"].map((a) => {
                    const f = path.join(dir, `installer-${a}.sh`);
                    fs.writeFileSync(f, renderInstaller(a as "install" | "remove", "/var/lib/macvlan-lab"));
                    return f;
                });
                const r = spawnSync("shellcheck", ["-s", "sh", "-f", "gcc", ...shellFilesOfComponents(), ...rendered], { encoding: "utf8" });
                assert.strictEqual(r.stdout + r.stderr, "");
                assert.strictEqual(r.status, 0);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
