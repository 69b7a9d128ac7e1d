/**
 * The ordinary day-2 edits of the multi-VLAN stack, in the order the day-2 lab suite
 * (test/lab/day2.test.ts) and `npm run bench:day2` apply them, each on top of the one before, and
 * the reading of `pulumi preview --json` they compare with README.md's "What a change does". Pure,
 * but for the program build with a changed shell library (a copy of the lab's build).
 */
import * as fs from "fs";
import * as path from "path";
import { buildProgram } from "./build";

/** A stack's config as the engine passes it: `macvlan-lab:<key>` -> JSON text. */
export type StackConfig = Record<string, string>;

/** One ordinary edit. */
export interface DayTwoEdit {
    title: string;
    /** What the edit does to the stack's config (a new object; the argument is left as it is). */
    change: (c: StackConfig) => StackConfig;
    /** A program build to run instead of the repo's (a new version of the package). */
    program?: () => string;
}

/** The steps of a preview by kind, as resource names (the last part of the URN), sorted. */
export interface PreviewSteps {
    replace: string[];
    update: string[];
    create: string[];
    delete: string[];
}

/**
 * The steps of `pulumi preview --json`: `same` and `read` left out, a replacement counted once (its
 * `create-replacement` and `delete-replaced` halves are the `replace`), anything else an error. Pure.
 */
export function stepsOfPreview(json: string): PreviewSteps {
    const doc = JSON.parse(json) as { steps?: Array<{ op: string; urn: string }> };
    const out: PreviewSteps = { replace: [], update: [], create: [], delete: [] };
    for (const s of doc.steps ?? []) {
        const name = s.urn.split("::").pop() as string;
        switch (s.op) {
            case "same":
            case "read":
            case "create-replacement":
            case "delete-replaced":
                break;
            case "replace":
            case "update":
            case "create":
            case "delete":
                out[s.op].push(name);
                break;
            default:
                throw new Error(`a step with no column in the table: ${s.op} ${s.urn}`);
        }
    }
    for (const k of Object.keys(out) as Array<keyof PreviewSteps>) out[k].sort();
    return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const read = (c: StackConfig, key: string): any => JSON.parse(c[`macvlan-lab:${key}`]);
const write = (c: StackConfig, key: string, v: unknown): StackConfig => ({ ...c, [`macvlan-lab:${key}`]: JSON.stringify(v) });

/** The image the multi-VLAN stack's containers run (its registry's mirror). */
const IMAGE = "192.168.1.11:5000/busybox:v1";

/**
 * The program built as the lab builds it, with one line added to a module of the shell library, as
 * a new version of the package would bring it: a copy next to the build, made once per build.
 */
export function programWithChangedLibrary(): string {
    const built = buildProgram();
    const copy = `${built}-day2-library`;
    if (!fs.existsSync(path.join(copy, ".complete"))) {
        fs.rmSync(copy, { recursive: true, force: true });
        fs.cpSync(built, `${copy}.tmp`, { recursive: true });
        fs.appendFileSync(path.join(`${copy}.tmp`, "components", "scripts", "net.sh"), "# a new version of the shell library\n");
        fs.renameSync(`${copy}.tmp`, copy);
    }
    return copy;
}

/** The edits, in order; each applies to the config the one before left. */
export const DAY2_EDITS: readonly DayTwoEdit[] = [
    {
        title: "add a host (docker03) with a container on each network",
        change: (c) => {
            const hosts = read(c, "hosts");
            hosts.push({ name: "docker03", address: "192.168.1.15", nic: "ens33", backend: "ifcfg" });
            const vlans = read(c, "vlans");
            vlans[0].addresses.docker03 = "192.168.10.12/24";
            vlans[1].addresses.docker03 = "192.168.20.22/24";
            const containers = read(c, "containers");
            containers.push({ name: "bbox10", host: "docker03", network: "mac_net10", ip: "172.16.10.12", image: IMAGE });
            containers.push({ name: "bbox20", host: "docker03", network: "mac_net20", ip: "172.16.20.22", image: IMAGE });
            return write(write(write(c, "hosts", hosts), "vlans", vlans), "containers", containers);
        },
    },
    {
        title: "remove that host",
        change: (c) => {
            const hosts = read(c, "hosts").filter((h: { name: string }) => h.name !== "docker03");
            const vlans = read(c, "vlans");
            for (const v of vlans) delete v.addresses.docker03;
            const containers = read(c, "containers").filter((x: { host: string }) => x.host !== "docker03");
            return write(write(write(c, "hosts", hosts), "vlans", vlans), "containers", containers);
        },
    },
    {
        title: "reorder the hosts",
        change: (c) => write(c, "hosts", read(c, "hosts").reverse()),
    },
    {
        title: "add a VLAN (30) and a network on it (mac_net30)",
        change: (c) => {
            const vlans = read(c, "vlans");
            vlans.push({ id: 30, parent: "ens33", addresses: { docker01: "192.168.30.30/24", docker02: "192.168.30.31/24" } });
            const networks = read(c, "networks");
            networks.push({ name: "mac_net30", subnet: "172.16.30.0/24", gateway: "172.16.30.1", vlan: 30 });
            return write(write(c, "vlans", vlans), "networks", networks);
        },
    },
    {
        title: "add a container with a static address",
        change: (c) => write(c, "containers", [...read(c, "containers"), { name: "bbox11", host: "docker01", network: "mac_net10", ip: "172.16.10.13", image: IMAGE }]),
    },
    {
        title: "remove the container with a static address",
        change: (c) => write(c, "containers", read(c, "containers").filter((x: { name: string }) => x.name !== "bbox11")),
    },
    {
        title: "add a container with an address from its host's range",
        change: (c) => write(c, "containers", [...read(c, "containers"), { name: "dyn20", host: "docker02", network: "mac_net20", image: IMAGE }]),
    },
    {
        title: "remove the container with an address from its host's range",
        change: (c) => write(c, "containers", read(c, "containers").filter((x: { name: string }) => x.name !== "dyn20")),
    },
    {
        title: "bump the mirror's tag (v1 to v2) and the containers' images",
        change: (c) => {
            const registry = read(c, "registry");
            registry.mirrors[0].tag = "v2";
            const containers = read(c, "containers").map((x: { image: string }) => ({ ...x, image: x.image.replace(":v1", ":v2") }));
            return write(write(c, "registry", registry), "containers", containers);
        },
    },
    {
        title: "switch the registry from insecure to tls",
        change: (c) => write(c, "registry", { ...read(c, "registry"), security: "tls" }),
    },
    {
        title: "a new version of the package with a changed shell library",
        change: (c) => c,
        program: programWithChangedLibrary,
    },
];
