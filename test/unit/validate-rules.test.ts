/**
 * The rules other code asks of the validator's sections (issue 25: each rule in one place): the
 * VLAN id range, a VLAN's default route and its gateway, a network spanning a host.
 */
import * as assert from "assert";
import { VLAN_ID_MAX, VLAN_ID_MIN, defaultRouteOf, isVlanId } from "../../components/model/validate/vlans";
import { spans } from "../../components/model/validate/networks";
import { NetworkSpec } from "../../components/model/types";
import { RawLabConfig, validateLab } from "../../components/model/validate";
import { loadStackConfig, rawLabConfig } from "../../lab/stackFile";

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The routed stack with mac_net30 on docker02 alone. */
const routed = (): any => {
    const c = structuredClone(rawLabConfig(loadStackConfig("multi-vlan-routed"))) as any;
    c.networks[2].hosts = ["docker02"];
    return c;
};

describe("unit: the validator's shared rules", () => {
    it("a VLAN id is a whole number from 1 to 4094 (802.1Q reserves 0 and 4095)", () => {
        assert.deepStrictEqual([VLAN_ID_MIN, VLAN_ID_MAX], [1, 4094]);
        const cases: Array<[unknown, boolean]> = [[0, false], [1, true], [10, true], [4094, true], [4095, false], [-1, false], [1.5, false], ["10", false], [undefined, false], [NaN, false]];
        assert.deepStrictEqual(cases.map(([v]) => isVlanId(v)), cases.map(([, ok]) => ok));
    });

    it("a default route needs the VLAN's gateway", () => {
        assert.strictEqual(defaultRouteOf({ defaultRoute: false }), "none");
        assert.strictEqual(defaultRouteOf({ defaultRoute: false, gateway: "192.168.10.1" }), "none");
        assert.strictEqual(defaultRouteOf({ defaultRoute: true, gateway: "192.168.10.1" }), "via-gateway");
        assert.strictEqual(defaultRouteOf({ defaultRoute: true }), "no-gateway");
    });

    it("a network spans exactly the hosts it has a parent on", () => {
        const n = { name: "n", parents: { docker01: "ens33", docker02: "ens33.10" }, hosts: ["docker01", "docker02"] } as unknown as NetworkSpec;
        assert.deepStrictEqual(["docker01", "docker02", "docker03"].map((h) => spans(n, h)), [true, true, false]);
    });

    it("a container, a shim and the router on a host the network does not span: one message each, from the one rule", () => {
        const c = routed();
        c.router.networks = ["mac_net10", "mac_net30"];
        c.router.allow = [["mac_net10", "mac_net30"]];
        c.containers.push({ name: "bbox31", host: "docker01", network: "mac_net30", ip: "172.16.30.40", image: "192.168.1.11:5000/busybox:v1" });
        c.shims.push({ host: "docker01", network: "mac_net30", address: "172.16.30.4" });
        assert.deepStrictEqual(validateLab(c as RawLabConfig).map((e) => e.message), [
            'containers[5].network "mac_net30" does not exist on docker01 (its hosts are docker02); add docker01 to the network\'s hosts or move the container',
            'router.networks[1] "mac_net30" does not span the router host docker01 (its hosts are docker02); add docker01 to mac_net30\'s hosts, or route on a host it spans',
            'shims[5].network "mac_net30" does not span docker01 (its hosts are docker02); add docker01 to the network\'s hosts or put the shim on one of them',
        ]);
    });
});
