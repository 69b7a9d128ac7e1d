/**
 * The Docker stand-in's resource kinds (lab/providers/docker/resources): one file per kind, each
 * registered once under its type token, and the provider serving exactly the registered ones.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DockerStandInProvider } from "../../../lab/providers/docker/provider";
import { KINDS, ResourceKind, TOKENS, kindOf } from "../../../lab/providers/docker/resources";
import { REPO_ROOT } from "../../../lab/paths";

const DIR = path.join(REPO_ROOT, "lab", "providers", "docker", "resources");
/** The files of the folder that hold no kind: the registry, the interface, shared helpers. */
const HELPERS = ["index.ts", "types.ts", "labels.ts", "images.ts"];

const isKind = (v: unknown): v is ResourceKind =>
    typeof v === "object" && v !== null && typeof (v as ResourceKind).token === "string" && typeof (v as ResourceKind).create === "function";

describe("docker stand-in: resource kinds, one file each, registered", () => {
    it("every file of resources/ but the helpers declares one kind, and it is the one registered under its token", () => {
        const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".ts") && !HELPERS.includes(f)).sort();
        assert.deepEqual(files, ["container.ts", "network.ts", "registryImage.ts", "remoteImage.ts", "tag.ts", "volume.ts"]);
        for (const f of files) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const kinds = Object.values(require(path.join(DIR, f)) as Record<string, unknown>).filter(isKind);
            assert.equal(kinds.length, 1, `${f} declares ${kinds.length} kinds`);
            assert.equal(kinds[0].name, path.basename(f, ".ts"), `${f}: the file is named after its kind`);
            assert.equal(KINDS[kinds[0].token], kinds[0], `${f}: ${kinds[0].token} is not registered`);
        }
        assert.equal(Object.keys(KINDS).length, files.length);
    });

    it("each token is pulumi-docker's for the kind's name (docker:index/<name>:<Name>), in the order served", () => {
        assert.deepEqual(Object.entries(TOKENS), [
            ["network", "docker:index/network:Network"],
            ["volume", "docker:index/volume:Volume"],
            ["remoteImage", "docker:index/remoteImage:RemoteImage"],
            ["tag", "docker:index/tag:Tag"],
            ["registryImage", "docker:index/registryImage:RegistryImage"],
            ["container", "docker:index/container:Container"],
        ]);
        // pulumi-docker provider/resources.go: docker_container alone is DeleteBeforeReplace
        assert.deepEqual(Object.values(KINDS).filter((k) => k.deleteBeforeReplace).map((k) => k.name), ["container"]);
        // upstream has no Update for docker_network and docker_tag (every argument ForceNew)
        assert.deepEqual(Object.values(KINDS).filter((k) => k.update === undefined).map((k) => k.name), ["network", "tag"]);
    });

    it("a type that is not registered is refused, naming every served one, by the registry and by each operation of the provider", async () => {
        const served = Object.keys(KINDS).join(", ");
        const message = `unknown resource type docker:index/service:Service: the Docker stand-in serves ${served}`;
        assert.throws(() => kindOf("docker:index/service:Service"), { message });
        const p = new DockerStandInProvider(() => undefined);
        const urn = "urn:pulumi:s::p::docker:index/service:Service::svc";
        const ops: Array<[string, () => Promise<unknown>]> = [
            ["check", () => p.check(urn, {}, {})],
            ["diff", () => p.diff("id", urn, {}, {})],
            ["create", () => p.create(urn, {})],
            ["read", () => p.read("id", urn, {})],
            ["update", () => p.update("id", urn, {}, {})],
            ["delete", () => p.delete("id", urn, {})],
        ];
        for (const [op, run] of ops) await assert.rejects(run(), { message }, op);
    });

    it("an update of a kind without one fails before any Docker call; a Tag's delete needs no connection", async () => {
        const calls: string[] = [];
        const p = new DockerStandInProvider(() => undefined);
        // no config: a delete that touches no host still succeeds, one that does needs the config
        await p.delete("a.b", `urn:pulumi:s::p::${TOKENS.tag}::t`, { sourceImage: "a", targetImage: "b" });
        await assert.rejects(p.delete("n1", `urn:pulumi:s::p::${TOKENS.network}::n`, {}), { message: "the Docker provider was not configured" });
        p.configure({ host: "ssh://root@192.0.2.1" });
        (p as unknown as { apiInstance: unknown }).apiInstance = new Proxy({}, { get: (_t, k) => (...a: unknown[]) => calls.push(`${String(k)} ${JSON.stringify(a)}`) });
        await assert.rejects(p.update("n1", `urn:pulumi:s::p::${TOKENS.network}::n`, { name: "a" }, { name: "b" }), {
            message: "docker:index/network:Network has no update upstream: every argument forces replacement",
        });
        assert.deepEqual(calls, []);
        // the probe: the same fake API does see a kind's call
        await p.delete("n1", `urn:pulumi:s::p::${TOKENS.network}::n`, {});
        assert.ok(calls.length > 0, "the fake API saw no call");
    });
});
