/**
 * The registry's htpasswd lines (issue 27 item 2): bcrypt with random salts, a line kept while its
 * hash still matches its password, and a stored hash that tests a guessed password only through
 * bcrypt at its cost. `htpasswdUpdate` is pure given its random source; these tests give it one.
 */
import * as assert from "assert";
import { createHmac, randomBytes } from "crypto";
import * as bcrypt from "bcryptjs";
import { BCRYPT_COST, htpasswdText, htpasswdUpdate } from "../../components/docker/registryTls";

const B = { compareSync: bcrypt.compareSync, hashSync: bcrypt.hashSync, encodeBase64: bcrypt.encodeBase64 };
/** A random source that hands out the given bytes and counts its calls. */
function source(...chunks: Buffer[]): ((n: number) => Buffer) & { calls: number } {
    const f = Object.assign(
        (n: number): Buffer => {
            const c = chunks[f.calls++];
            assert.ok(c !== undefined && c.length === n, `random(${n}) called ${f.calls} times`);
            return c;
        },
        { calls: 0 },
    );
    return f;
}
const line = (text: string, user: string): string => text.split("\n").find((l) => l.startsWith(`${user}:`)) ?? "";
const saltOf = (hash: string): string => hash.slice(7, 29); // $2y$10$ + 22 characters

describe("htpasswd: random salts, kept while they match", () => {
    it("the salt is the random source's 16 bytes, whatever the password, user or file: it says nothing about the password", () => {
        const r = Buffer.alloc(16, 0x5a);
        const a = htpasswdUpdate(undefined, [{ name: "pusher", password: "hunter2" }], B, source(r), BCRYPT_COST);
        const b = htpasswdUpdate(undefined, [{ name: "other", password: "a different password" }], B, source(r), BCRYPT_COST);
        const hashA = line(a, "pusher").split(":")[1];
        const hashB = line(b, "other").split(":")[1];
        assert.strictEqual(saltOf(hashA), bcrypt.encodeBase64(r, 16));
        assert.strictEqual(saltOf(hashA), saltOf(hashB), "the same random bytes, the same salt, for another password and user");
        assert.notStrictEqual(hashA, hashB);
        assert.match(a, /^pusher:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
    });

    it("hashing the same password twice gives two salts (crypto.randomBytes)", () => {
        const u = [{ name: "pusher", password: "pw" }];
        const [x, y] = [htpasswdText(u), htpasswdText(u)];
        assert.notStrictEqual(saltOf(line(x, "pusher").split(":")[1]), saltOf(line(y, "pusher").split(":")[1]));
        for (const t of [x, y]) assert.ok(bcrypt.compareSync("pw", line(t, "pusher").split(":")[1]));
    });

    it("a guessed password is not testable from the stored hash faster than bcrypt at its cost", () => {
        const endpoint = "192.168.1.11:5000";
        const password = "letmein";
        const stored = line(htpasswdText([{ name: "pusher", password }]), "pusher").split(":")[1];
        const guesses = ["123456", "password", "letmein", "hunter2"];
        // the fast test the old salt allowed (HMAC-SHA256 keyed with the password, issue 27): it no
        // longer picks out the right guess, nor any other
        const oldSalt = (guess: string) => bcrypt.encodeBase64(createHmac("sha256", guess).update(`macvlan-lab htpasswd\0${endpoint}\0pusher`).digest().subarray(0, 16), 16);
        assert.deepStrictEqual(guesses.filter((g) => oldSalt(g) === saltOf(stored)), []);
        // the only test left is bcrypt itself, at the hash's cost (2^10 rounds of its key schedule)
        assert.strictEqual(bcrypt.getRounds(stored), BCRYPT_COST);
        assert.ok(BCRYPT_COST >= 10);
        assert.deepStrictEqual(guesses.filter((g) => bcrypt.compareSync(g, stored)), ["letmein"]);
    });

    it("a run that finds a hash that still matches keeps it byte for byte and draws no salt for it", () => {
        const first = htpasswdUpdate(undefined, [{ name: "pusher", password: "p1" }, { name: "puller", password: "p2" }], B, source(randomBytes(16), randomBytes(16)), BCRYPT_COST);
        const r = source();
        // as the provider hands it back: stdout without its last newline
        assert.strictEqual(htpasswdUpdate(first.trimEnd(), [{ name: "pusher", password: "p1" }, { name: "puller", password: "p2" }], B, r, BCRYPT_COST), first);
        assert.strictEqual(r.calls, 0);
    });

    it("a changed password, a new user, a lower cost or a line that is no bcrypt hash gets a new hash; the others are kept; a removed user is gone", () => {
        const fresh = randomBytes(16);
        const first = htpasswdText([{ name: "pusher", password: "p1" }, { name: "puller", password: "p2" }]);
        const changed = htpasswdUpdate(first, [{ name: "pusher", password: "p1" }, { name: "puller", password: "NEW" }, { name: "third", password: "p3" }], B, source(fresh, randomBytes(16)), BCRYPT_COST);
        assert.strictEqual(line(changed, "pusher"), line(first, "pusher"));
        assert.notStrictEqual(line(changed, "puller"), line(first, "puller"));
        assert.strictEqual(saltOf(line(changed, "puller").split(":")[1]), bcrypt.encodeBase64(fresh, 16));
        assert.ok(bcrypt.compareSync("NEW", line(changed, "puller").split(":")[1]));
        assert.ok(bcrypt.compareSync("p3", line(changed, "third").split(":")[1]));
        const removed = htpasswdUpdate(changed, [{ name: "third", password: "p3" }], B, source(), BCRYPT_COST);
        assert.strictEqual(removed, `${line(changed, "third")}\n`);
        // a hash of cost 4 that matches is still made again at the program's cost
        const weak = `pusher:${bcrypt.hashSync("p1", bcrypt.genSaltSync(4))}`;
        const up = htpasswdUpdate(weak, [{ name: "pusher", password: "p1" }], B, source(randomBytes(16)), BCRYPT_COST);
        assert.strictEqual(bcrypt.getRounds(line(up, "pusher").split(":")[1]), BCRYPT_COST);
        // a line that is not a bcrypt hash (plain text, the password itself) is never kept
        const plain = htpasswdUpdate("pusher:p1", [{ name: "pusher", password: "p1" }], B, source(randomBytes(16)), BCRYPT_COST);
        assert.match(plain, /^pusher:\$2y\$10\$/);
    });
});
