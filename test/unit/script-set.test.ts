/**
 * The seam of remote commands (components/scripts/command.ts): a script set has one thin script per
 * action it lists, each titled `<title>: <action>`, and one identity of the title and inputs that the
 * library's directory does not change. What `scriptCommand` registers is the program tests' (every
 * command of the lab goes through it: test/program/*).
 */
import * as assert from "assert";
import { renderOneScript, renderScriptSet } from "../../components/scripts/command";
import { renderScript, scriptIdentity } from "../../components/scripts";

describe("unit: script sets", () => {
    const vars = [["dir", "/var/lib/macvlan-lab/registry-5000"], ["port", 5000]] as const;

    it("renders one script per listed action, in the order listed, with the identity of title and inputs", () => {
        const set = renderScriptSet({ title: "the thing", libraryDir: "/lib/x", vars, modules: ["docker/registry-tls.sh"], calls: { create: ["registry_tls_make"], delete: ["registry_tls_remove"] } });
        assert.deepStrictEqual(Object.keys(set), ["create", "delete", "identity"]);
        assert.strictEqual(set.create, renderScript({ title: "the thing: create", libraryDir: "/lib/x", vars, modules: ["docker/registry-tls.sh"], calls: ["registry_tls_make"] }));
        assert.match(set.delete, /^# macvlan-lab: the thing: delete$/m);
        assert.match(set.delete, /^registry_tls_remove$/m);
        assert.strictEqual(set.identity, scriptIdentity("the thing", vars));
        const elsewhere = renderScriptSet({ title: "the thing", libraryDir: "/lib/y", vars, modules: ["docker/registry-tls.sh"], calls: { create: ["registry_tls_make"], delete: ["registry_tls_remove"] } });
        assert.notStrictEqual(elsewhere.create, set.create);
        assert.strictEqual(elsewhere.identity, set.identity, "another library directory is an update, not a replacement");
    });

    it("a host step's set has create, delete and check; one script keeps its own title", () => {
        const set = renderScriptSet({ title: "t", libraryDir: "/lib/x", vars, modules: ["net.sh"], calls: { create: ["a", "vlan_create"], delete: ["vlan_delete"], check: ["vlan_check"] } });
        assert.deepStrictEqual(Object.keys(set), ["create", "delete", "check", "identity"]);
        assert.match(set.create, /\na\nvlan_create\n$/);
        const one = renderOneScript("read it", "/lib/x", vars, ["net.sh"], ["vlan_check"]);
        assert.match(one.script, /^# macvlan-lab: read it$/m);
        assert.strictEqual(one.identity, scriptIdentity("read it", vars));
    });
});
