/**
 * Fuzz test of the shell quoter: every character 1..255 and hostile strings go through
 * `shellQuote` into a real shell (`bash -c 'printf %s <quoted>'`, and POSIX `sh`) and must come
 * back unchanged, with nothing executed on the way.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellJoin, shellQuote } from "../../components/shell";

const SHELLS = ["bash", "sh"];

/** What `<shell> -c 'printf %s <quoted value>'` prints, as a string (the value travels as UTF-8). */
function echoed(shell: string, value: string): string {
    const r = spawnSync(shell, ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, `${shell} failed for ${JSON.stringify(value)}: ${r.stderr}`);
    assert.strictEqual(r.stderr, "", `${shell} complained for ${JSON.stringify(value)}`);
    return r.stdout;
}

/** A deterministic pseudo-random generator (xorshift32), so a failure can be replayed. */
function xorshift(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        return x;
    };
}

describe("shellQuote through a real shell", function () {
    // hundreds of shells per test: bounded generously for a busy 2-core machine
    this.timeout(180_000);
    let dir: string;
    let canary: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mvl-quote-"));
        canary = path.join(dir, "executed");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    afterEach(() => assert.ok(!fs.existsSync(canary), "a quoted value was executed"));

    for (const shell of SHELLS) {
        it(`${shell}: every character 1..255 alone, and between letters, comes back unchanged`, () => {
            for (let c = 1; c <= 255; c++) {
                const ch = String.fromCharCode(c);
                assert.strictEqual(echoed(shell, ch), ch, `character ${c}`);
                assert.strictEqual(echoed(shell, `a${ch}b`), `a${ch}b`, `character ${c} between letters`);
            }
        });

        it(`${shell}: all 255 characters in one value`, () => {
            const all = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join("");
            assert.strictEqual(echoed(shell, all), all);
        });

        it(`${shell}: hostile strings come back unchanged and run nothing`, () => {
            const hostile = [
                "",
                " ",
                "'",
                "''",
                "'\\''",
                '"',
                "\\",
                "\\'",
                "'\"'\"'",
                "$(touch CANARY)",
                "`touch CANARY`",
                "${IFS}",
                "$HOME",
                "$0 $1 $@ $* $# $? $$ $!",
                "a; touch CANARY",
                "a && touch CANARY",
                "a | touch CANARY",
                "a\ntouch CANARY",
                "a\r\ntouch CANARY\n",
                "'; touch CANARY; echo '",
                "'$(touch CANARY)'",
                "\"$(touch CANARY)\"",
                "x' 'y",
                "-n",
                "-e \\n",
                "%s%s%n",
                "*",
                "~root",
                "!!",
                "#comment",
                "a\tb  c",
                "<(touch CANARY)",
                ">CANARY",
                "ens33'$(reboot)'",
                "192.168.10.10/24",
                "macvlan-lab emulated VLAN 10 on ens33",
                "ünïcödé ✓ 漢字",
            ].map((s) => s.replace(/CANARY/g, canary));
            for (const s of hostile) {
                assert.strictEqual(echoed(shell, s), s, JSON.stringify(s));
            }
        });

        it(`${shell}: 300 seeded random strings of characters 1..255`, () => {
            const next = xorshift(0x6d766c);
            for (let i = 0; i < 300; i++) {
                const length = 1 + (next() % 40);
                let s = "";
                for (let j = 0; j < length; j++) {
                    // a quote or backslash in one of four places, any character otherwise
                    s += next() % 4 === 0 ? "'\\\"$`\n"[next() % 6] : String.fromCharCode(1 + (next() % 255));
                }
                assert.strictEqual(echoed(shell, s), s, `random string ${i}: ${JSON.stringify(s)}`);
            }
        });
    }

    it("raw bytes 1..255 (not UTF-8) in a script file come back byte for byte", () => {
        // a script file in latin1: each character is one byte, as a non-UTF-8 host could hold it
        for (const shell of SHELLS) {
            const all = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join("");
            const file = path.join(dir, "bytes.sh");
            fs.writeFileSync(file, Buffer.from(`printf %s ${shellQuote(all)}`, "latin1"));
            const r = spawnSync(shell, [file]);
            assert.strictEqual(r.status, 0, r.stderr.toString());
            assert.deepStrictEqual(r.stdout, Buffer.from(all, "latin1"));
        }
    });

    it("shellJoin keeps every argument one word", () => {
        const args = ["a b", "'", "$(touch CANARY)".replace("CANARY", canary), "", "x\ny", "-n"];
        const r = spawnSync("bash", ["-c", `printf '<%s>' ${shellJoin(args)}`], { encoding: "utf8" });
        assert.strictEqual(r.stdout, args.map((a) => `<${a}>`).join(""));
        assert.strictEqual(shellJoin([10, "ens33"]), "'10' 'ens33'");
    });

    it("refuses a NUL byte, which no shell word can hold", () => {
        assert.throws(() => shellQuote("a\0b"), { message: 'cannot pass a NUL byte to a shell: "a\\u0000b"' });
    });

    it("quotes the way the style guide says: wrapped in ', each ' as '\\''", () => {
        assert.strictEqual(shellQuote("it's"), "'it'\\''s'");
        assert.strictEqual(shellQuote(""), "''");
        assert.strictEqual(shellQuote(4094), "'4094'");
    });
});
