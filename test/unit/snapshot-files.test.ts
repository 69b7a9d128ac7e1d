/**
 * The lines of lab/snapshot-files.sh -> a snapshot's file records (parseFileRecords, pure): text or
 * base64 decided as Python's strict UTF-8 decoder decided it, modes as 4 octal digits, entries that
 * are not regular files, paths in Python's order, and lines that are not records refused. The
 * script itself runs in test/exec/snapshot-files.test.ts.
 */
import * as assert from "assert";
import { parseFileRecords } from "../../lab/snapshot";

const b64 = (bytes: string | Buffer) => (typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes).toString("base64");
/** A line as the script prints it: `F <mode> <path> <bytes>` or `O <mode> <path>`, fields in base64. */
const file = (mode: string, p: string | Buffer, bytes: string | Buffer) => `F ${mode} ${b64(p)} ${b64(bytes)}\n`;
const other = (mode: string, p: string | Buffer) => `O ${mode} ${b64(p)}\n`;

describe("lab snapshot: the files' records from lab/snapshot-files.sh (pure)", () => {
    it("gives nothing for no lines", () => {
        assert.deepStrictEqual(parseFileRecords(""), {});
    });

    it("keeps UTF-8 bytes as text, with the mode as 4 octal digits and the keys in the order they always had", () => {
        const r = parseFileRecords(file("644", "/etc/sysconfig/network-scripts/ifcfg-ens33.10", "DEVICE=ens33.10\nNAME=wörld\n"));
        assert.deepStrictEqual(r, { "/etc/sysconfig/network-scripts/ifcfg-ens33.10": { content: "DEVICE=ens33.10\nNAME=wörld\n", mode: "0644" } });
        assert.strictEqual(JSON.stringify(r), '{"/etc/sysconfig/network-scripts/ifcfg-ens33.10":{"content":"DEVICE=ens33.10\\nNAME=wörld\\n","mode":"0644"}}');
    });

    it("gives bytes that are not UTF-8 as base64, encoding after content", () => {
        const r = parseFileRecords(file("755", "/d/bin", Buffer.from([0xff, 0xfe, 0x00, 0x01])));
        assert.deepStrictEqual(r, { "/d/bin": { content: "//4AAQ==", encoding: "base64", mode: "0755" } });
        assert.deepStrictEqual(Object.keys(r["/d/bin"]), ["content", "encoding", "mode"]);
    });

    it("decides UTF-8 strictly, as Python's decoder: surrogates, overlong forms and a cut sequence are base64", () => {
        for (const bytes of [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]) {
            const r = parseFileRecords(file("644", "/d/f", Buffer.from(bytes)));
            assert.deepStrictEqual(r["/d/f"], { content: Buffer.from(bytes).toString("base64"), encoding: "base64", mode: "0644" }, bytes.join(" "));
        }
    });

    it("keeps a BOM and NUL bytes in the text, and an empty file is empty text", () => {
        assert.deepStrictEqual(parseFileRecords(file("644", "/d/bom", "\ufeffx\0y") + "F 600 L2QvZW1wdHk= \n"), {
            "/d/bom": { content: "\ufeffx\0y", mode: "0644" },
            "/d/empty": { content: "", mode: "0600" },
        });
    });

    it("records any other entry as not a regular file, with its own mode, special bits kept", () => {
        assert.deepStrictEqual(parseFileRecords(other("777", "/d/link") + other("644", "/d/fifo") + file("4755", "/d/suid", "x") + other("0", "/d/none")), {
            "/d/fifo": { content: "(not a regular file)", mode: "0644" },
            "/d/link": { content: "(not a regular file)", mode: "0777" },
            "/d/none": { content: "(not a regular file)", mode: "0000" },
            "/d/suid": { content: "x", mode: "4755" },
        });
    });

    it("names files by their paths, spaces and newlines included, and bytes that are not UTF-8 as Python's lone surrogates", () => {
        const r = parseFileRecords(
            file("644", "/d/with space.txt", "a") + file("644", "/d/new\nline", "b") + file("644", Buffer.from([0x2f, 0x64, 0x2f, 0x61, 0xff, 0xc3, 0x62]), "c"),
        );
        assert.deepStrictEqual(Object.keys(r), ["/d/a\udcff\udcc3b", "/d/new\nline", "/d/with space.txt"]);
    });

    it("orders the paths by code point, as Python sorted them (not by UTF-16 units)", () => {
        const r = parseFileRecords(file("644", "/d/\u{1f600}", "a") + file("644", "/d/\ue000", "b") + file("644", "/d/a", "c") + file("644", Buffer.from("/d/\xff", "latin1"), "d"));
        assert.deepStrictEqual(Object.keys(r), ["/d/a", "/d/\udcff", "/d/\ue000", "/d/\u{1f600}"]);
    });

    it("refuses a line that is not a record, naming it", () => {
        const bad = [
            "F 644 L2QvZg==\n", // no content field
            "X 644 L2QvZg== eA==\n",
            "F 648 L2QvZg== eA==\n",
            "F 644 L2QvZg eA==\n", // unpadded
            "O 777 L2QvZg== eA==\n",
            "O 777  \n",
            "\n",
            "F 644 L2QvZg== eA==\r\n",
        ];
        for (const text of bad) {
            assert.throws(() => parseFileRecords(file("644", "/d/ok", "x") + text), /^Error: snapshot files: (line 2 is not a record|the path on line 2 is not base64): /, JSON.stringify(text));
        }
    });
});
