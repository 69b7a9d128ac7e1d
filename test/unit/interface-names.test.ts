/**
 * Default interface names that stay (components/model/interfaceNames.ts), pure: a host shim or a
 * router leg the stack names no interface for keeps the name its last deployment gave it, so
 * removing, adding or reordering shims and routed networks renames (and so replaces) nothing that
 * stays; the memory comes from the program's `hosts` output.
 */
import * as assert from "assert";
import { parseLab, RawLabConfig } from "../../components/model/validate";
import { LabSpec } from "../../components/model/types";
import { InterfaceMemory, keepInterfaceNames } from "../../components/model/interfaceNames";
import { parseInterfaceMemory, parsePlanMemory } from "../../components/model/planMemory";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";

type RawShim = { host: string; network: string; address: string; name?: string };
type RawRouter = { host: string; networks: string[]; allow?: string[][]; legs?: Record<string, string> };

function raw(): RawLabConfig {
    return rawLabConfig(loadStackConfig("multi-vlan-routed")) as RawLabConfig;
}

function spec(edit: (r: RawLabConfig & { shims: RawShim[]; router: RawRouter }) => void = () => undefined): LabSpec {
    const r = raw() as RawLabConfig & { shims: RawShim[]; router: RawRouter };
    edit(r);
    const { spec: s, errors } = parseLab(r);
    assert.deepStrictEqual(errors, []);
    return s!;
}

/** What the program's `hosts` output says of the shims and the router, as a deployment of `s` left it. */
function hostsOutput(s: LabSpec): Record<string, unknown> {
    const out: Record<string, { shims?: Record<string, unknown>; router?: unknown; networks: Record<string, unknown> }> = {};
    for (const h of s.hosts) out[h.name] = { networks: {} };
    for (const x of s.shims ?? []) (out[x.host].shims ??= {})[x.network] = { interfaceName: x.name, address: x.address, routes: [], persistence: "runtime" };
    if (s.router) out[s.router.host].router = { legs: s.router.legs, allow: s.router.allow, persistence: "runtime" };
    return out;
}

const names = (s: LabSpec): string[] => (s.shims ?? []).map((x) => `${x.host}/${x.network} ${x.name}`);

describe("unit: default interface names stay across deployments", () => {
    const deployed = spec();
    const memory = parseInterfaceMemory(hostsOutput(deployed))!;

    it("reads the last deployment's names from its hosts output, and ignores what is not a name", () => {
        assert.deepStrictEqual(memory, {
            shims: { "docker01/mac_net10": "mac0", "docker01/mac_net20": "mac1", "docker02/mac_net10": "mac0", "docker02/mac_net20": "mac1", "docker02/mac_net30": "mac2" },
            router: { host: "docker01", legs: { mac_net10: "rtr0", mac_net20: "rtr1", mac_net30: "rtr2" } },
        });
        assert.strictEqual(parseInterfaceMemory(undefined), undefined);
        assert.strictEqual(parseInterfaceMemory({ docker01: { networks: {} } }), undefined, "a stack without shims or router has no interface memory");
        assert.deepStrictEqual(parseInterfaceMemory({ d: { shims: { n: { interfaceName: "bad name; rm -rf /" }, m: { interfaceName: "mac7" } } } }), { shims: { "d/m": "mac7" } });
        assert.deepStrictEqual(parsePlanMemory(undefined, hostsOutput(deployed))?.interfaces, memory, "parsePlanMemory carries them");
    });

    it("changes nothing without memory, or when nothing moved", () => {
        assert.strictEqual(keepInterfaceNames(deployed, undefined), deployed);
        assert.deepStrictEqual(keepInterfaceNames(deployed, memory), deployed);
    });

    it("keeps the other shims' names when the host's first shim is removed (by position they would all move down)", () => {
        const edited = spec((r) => r.shims.splice(2, 1)); // docker02's shim on mac_net10
        assert.deepStrictEqual(names(edited).filter((n) => n.startsWith("docker02")), ["docker02/mac_net20 mac0", "docker02/mac_net30 mac1"], "validation alone renames them");
        assert.deepStrictEqual(names(keepInterfaceNames(edited, memory)), ["docker01/mac_net10 mac0", "docker01/mac_net20 mac1", "docker02/mac_net20 mac1", "docker02/mac_net30 mac2"]);
    });

    it("keeps the names when the shims are reordered, and gives a new shim the lowest free name", () => {
        const reordered = spec((r) => r.shims.reverse());
        assert.deepStrictEqual(names(keepInterfaceNames(reordered, memory)).sort(), names(deployed).sort());
        const removed = spec((r) => r.shims.splice(2, 1));
        const before = parseInterfaceMemory(hostsOutput(keepInterfaceNames(removed, memory)))!;
        // docker02's mac_net10 shim comes back, last in the list: mac0 is free again
        const back = spec((r) => r.shims.push(r.shims.splice(2, 1)[0]));
        assert.deepStrictEqual(names(keepInterfaceNames(back, before)).filter((n) => n.startsWith("docker02")), ["docker02/mac_net20 mac1", "docker02/mac_net30 mac2", "docker02/mac_net10 mac0"]);
    });

    it("never changes a name the stack gives, and moves a default off a remembered name the stack now gives another shim", () => {
        // docker02's mac_net30 shim is named mac1 by the stack: mac_net20's default (mac1 then) moves to the lowest free name
        const edited = spec((r) => {
            r.shims[4].name = "mac1";
            r.shims[3].name = undefined;
            r.shims.splice(2, 1);
        });
        const kept = keepInterfaceNames(edited, memory);
        assert.deepStrictEqual(names(kept).filter((n) => n.startsWith("docker02")), ["docker02/mac_net20 mac0", "docker02/mac_net30 mac1"]);
        assert.strictEqual(kept.shims![3].defaultName, undefined, "the given name stays given");
    });

    it("does not keep a remembered name that is now another interface of the host", () => {
        const m: InterfaceMemory = { shims: { ...memory.shims, "docker01/mac_net10": "ens33.20" } };
        assert.deepStrictEqual(names(keepInterfaceNames(deployed, m)).slice(0, 2), ["docker01/mac_net10 mac0", "docker01/mac_net20 mac1"]);
    });

    it("keeps the router's legs when a routed network is removed or the networks reordered, not when the router moves", () => {
        const removed = spec((r) => {
            r.router.networks = ["mac_net20", "mac_net30"];
            r.router.allow = [["mac_net20", "mac_net30"]];
        });
        assert.deepStrictEqual(removed.router!.legs, { mac_net20: "rtr0", mac_net30: "rtr1" }, "validation alone renames them");
        assert.deepStrictEqual(keepInterfaceNames(removed, memory).router!.legs, { mac_net20: "rtr1", mac_net30: "rtr2" });
        const reordered = spec((r) => (r.router.networks = ["mac_net30", "mac_net10", "mac_net20"]));
        assert.deepStrictEqual(keepInterfaceNames(reordered, memory).router!.legs, deployed.router!.legs);
        const given = spec((r) => {
            r.router.networks = ["mac_net20", "mac_net30"];
            r.router.allow = [["mac_net20", "mac_net30"]];
            r.router.legs = { mac_net30: "rtr1" };
        });
        assert.deepStrictEqual(keepInterfaceNames(given, memory).router!.legs, { mac_net20: "rtr0", mac_net30: "rtr1" }, "a given leg name wins; the default that had it takes the lowest free one");
        const moved: InterfaceMemory = { ...memory, router: { host: "docker02", legs: { mac_net10: "rtr2", mac_net20: "rtr1", mac_net30: "rtr0" } } };
        assert.deepStrictEqual(keepInterfaceNames(deployed, moved).router!.legs, deployed.router!.legs, "legs on another host then are new legs");
    });
});
