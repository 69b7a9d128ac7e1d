/**
 * The package's public API is what api/macvlan-lab.api.txt says: a change to an export of
 * components/index.ts (removed, renamed, a field or parameter changed) fails here until the report
 * is refreshed on purpose (`npm run api:update`) and the change is in CHANGELOG.md.
 */
import * as assert from "assert";
import * as fs from "fs";
import { ApiReport, REPORT_FILE, apiReport } from "../../api/report";

describe("unit: public API of the package", function () {
    this.timeout(120_000);
    let report: ApiReport;
    before(() => {
        report = apiReport();
    });

    it("matches the committed report api/macvlan-lab.api.txt (refresh it with `npm run api:update` after a deliberate change)", () => {
        const committed = fs.readFileSync(REPORT_FILE, "utf8");
        if (committed !== report.text) {
            const a = committed.split("\n");
            const b = report.text.split("\n");
            const removed = a.filter((l) => !b.includes(l));
            const added = b.filter((l) => !a.includes(l));
            assert.fail(
                `the public API changed:\n  removed or changed:\n    ${removed.join("\n    ")}\n  added:\n    ${added.join("\n    ")}\n` +
                    "if deliberate: npm run api:update, and say so in CHANGELOG.md (a removed or changed line is a breaking change)",
            );
        }
    });

    it("names no type of ours that the entry does not export", () => {
        assert.deepStrictEqual(report.forgotten, []);
    });

    it("exports the components, their argument types and the pure helpers, and no internal renderer", () => {
        for (const name of [
            "MacvlanLab", "MacvlanLabArgs", "HostNetworking", "HostNetworkingArgs", "ParentInterface", "ParentInterfaceArgs",
            "KernelModule", "KernelModuleArgs", "VlanInterface", "VlanInterfaceArgs", "MacvlanNetwork", "MacvlanNetworkArgs",
            "PrivateRegistry", "PrivateRegistryArgs", "RegistryTrust", "RegistryTrustArgs", "LabContainer", "LabContainerArgs",
            "ConnectivityCheck", "ConnectivityCheckArgs", "parseLab", "validateLab", "loadLab", "planLab", "auxAddresses",
            "topologyMermaid", "topologyDot", "LabSpec", "NetworkSpec", "HostSpec", "ContainerSpec", "LabPlan",
        ]) {
            assert.ok(report.exports.includes(name), `${name} is not exported`);
        }
        const internal = report.exports.filter((n) => /^render|SCRIPT_LIBRARY|^shell|^DEFAULT_(STATE|MODULES|EMULATION)/.test(n));
        assert.deepStrictEqual(internal, []);
    });
});
