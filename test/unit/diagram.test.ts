/**
 * Topology diagrams: for every stack file, the Mermaid and the DOT text show every host, NIC, VLAN
 * interface, network, per-host range, container and address of the spec, in the right place (read
 * back from the text and checked against the spec and plan, not against a copy of the output);
 * the exact text of a small lab; escaping; the extension point; Graphviz lays the DOT out.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { topologyDot, topologyGraph, topologyMermaid } from "../../components/diagram";
import { renderDot } from "../../components/diagram/dot";
import { TOPOLOGY_LAYERS } from "../../components/diagram/layers";
import { renderMermaid } from "../../components/diagram/mermaid";
import { TopologyLayer, buildTopology } from "../../components/diagram/model";
import { LabPlan, planLab } from "../../components/model/plan";
import { LabSpec } from "../../components/model/types";
import { listStacks } from "../../lab/stackFile";
import { loadStack } from "../../lab/topology";
import { dotToSvg } from "../../lab/diagram/svg";
import { DIAGRAM_DIR, currentReadmeBlock, readmeBlock, stackDiagram } from "../../lab/diagram/files";
import { REPO_ROOT } from "../../lab/paths";

/** A diagram read back from its text: clusters with their nodes, nodes with their lines, edges. */
interface Drawn {
    clusters: { title: string; detail: string; nodes: string[] }[];
    nodes: Map<string, { title: string; lines: string[]; cluster?: number }>;
    edges: { from: string; to: string; label?: string }[];
}

function decodeMermaid(s: string): string {
    return s.replace(/#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

function decodeHtml(s: string): string {
    return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

/** Title and lines of a label `<b>title</b><br/>line<br/>line`. */
function splitLabel(label: string, decode: (s: string) => string): { title: string; lines: string[] } {
    const m = /^<b>(.*?)<\/b>(.*)$/.exec(label);
    assert.ok(m, `label without a bold title: ${label}`);
    const lines = m[2] === "" ? [] : m[2].replace(/^<br\/>/, "").split("<br/>");
    return { title: decode(m[1]), lines: lines.map(decode) };
}

function readMermaid(text: string): Drawn {
    const d: Drawn = { clusters: [], nodes: new Map(), edges: [] };
    let cluster: number | undefined;
    for (const line of text.split("\n").map((l) => l.trim())) {
        let m: RegExpExecArray | null;
        if ((m = /^subgraph (\w+)\["(.*)"\]$/.exec(line))) {
            const { title, lines } = splitLabel(m[2], decodeMermaid);
            d.clusters.push({ title, detail: lines.join(" "), nodes: [] });
            cluster = d.clusters.length - 1;
        } else if (line === "end") {
            cluster = undefined;
        } else if ((m = /^(\w+)(?:\[\[|\[\(|\{\{|\[|\()"(.*)"(?:\]\]|\)\]|\}\}|\]|\)):::\w+$/.exec(line))) {
            d.nodes.set(m[1], { ...splitLabel(m[2], decodeMermaid), cluster });
            if (cluster !== undefined) d.clusters[cluster].nodes.push(m[1]);
        } else if ((m = /^(\w+) (?:---|-\.->)(?:\|"(.*)"\|)? (\w+)$/.exec(line))) {
            d.edges.push({ from: m[1], to: m[3], ...(m[2] !== undefined ? { label: decodeMermaid(m[2]) } : {}) });
        }
    }
    return d;
}

function readDot(text: string): Drawn {
    const d: Drawn = { clusters: [], nodes: new Map(), edges: [] };
    let cluster: number | undefined;
    for (const line of text.split("\n").map((l) => l.trim())) {
        let m: RegExpExecArray | null;
        if (/^subgraph cluster_\w+ \{$/.test(line)) {
            d.clusters.push({ title: "", detail: "", nodes: [] });
            cluster = d.clusters.length - 1;
        } else if (cluster !== undefined && (m = /^label=<(.*)>; style=/.exec(line))) {
            const { title, lines } = splitLabel(m[1], decodeHtml);
            Object.assign(d.clusters[cluster], { title, detail: lines.join(" ") });
        } else if (line === "}") {
            cluster = undefined;
        } else if ((m = /^(\w+) \[.*label=<(.*)>\];$/.exec(line))) {
            d.nodes.set(m[1], { ...splitLabel(m[2], decodeHtml), cluster });
            if (cluster !== undefined) d.clusters[cluster].nodes.push(m[1]);
        } else if ((m = /^(\w+) -> (\w+)(?: \[(.*)\])?;$/.exec(line))) {
            const label = m[3] !== undefined ? /label="(.*?)"/.exec(m[3])?.[1] : undefined;
            d.edges.push({ from: m[1], to: m[2], ...(label !== undefined ? { label } : {}) });
        }
    }
    return d;
}

/** The one node in cluster `host` titled `title`, with its id. */
function nodeIn(d: Drawn, host: string, title: string, what: string): { id: string; lines: string[] } {
    const c = d.clusters.findIndex((x) => x.title === host);
    assert.ok(c >= 0, `no cluster for host ${host}`);
    const found = [...d.nodes].filter(([, n]) => n.cluster === c && n.title === title);
    assert.strictEqual(found.length, 1, `${what}: expected one node titled ${title} on ${host}, found ${found.length}`);
    return { id: found[0][0], lines: found[0][1].lines };
}

function linked(d: Drawn, from: string, to: string, label?: string): boolean {
    return d.edges.some((e) => e.from === from && e.to === to && (label === undefined || e.label === label));
}

/** Every host, NIC, VLAN interface, network, range, container, address and the registry of the spec, where they belong. */
function assertShowsSpec(d: Drawn, spec: LabSpec, plan: LabPlan): void {
    assert.deepStrictEqual(d.clusters.map((c) => c.title), spec.hosts.map((h) => h.name));
    for (const h of spec.hosts) {
        const c = d.clusters.find((x) => x.title === h.name);
        assert.ok(c?.detail.includes(`${h.ssh.user}@${h.ssh.address}:${h.ssh.port}`), `host ${h.name}: SSH address missing from "${c?.detail}"`);
        assert.ok(c?.detail.includes(h.backend), `host ${h.name}: backend missing`);
        assert.ok(nodeIn(d, h.name, h.nic, "parent NIC").lines.some((l) => l.includes("promiscuous")));
    }
    for (const v of spec.vlans) {
        for (const m of v.members) {
            const node = nodeIn(d, m.host, v.interfaceName, `VLAN ${v.id}`);
            assert.ok(node.lines.includes(`VLAN ${v.id}`) && node.lines.includes(m.address), `${v.interfaceName} on ${m.host}: ${node.lines.join(" | ")}`);
            assert.ok(linked(d, node.id, nodeIn(d, m.host, v.parent, "parent").id), `${v.interfaceName} on ${m.host} is not drawn on ${v.parent}`);
        }
    }
    for (const n of spec.networks) {
        const top = [...d.nodes].filter(([, x]) => x.cluster === undefined && x.title === n.name);
        assert.strictEqual(top.length, 1, `network ${n.name} should be drawn once outside the hosts`);
        const [netId, net] = top[0];
        for (const want of [n.subnet, `gateway ${n.gateway}`, `${n.driver} ${n.mode}`, ...Object.values(n.reserved)]) {
            assert.ok(net.lines.some((l) => l.includes(want)), `network ${n.name}: ${want} missing from ${net.lines.join(" | ")}`);
        }
        for (const h of n.hosts) {
            const att = nodeIn(d, h, n.name, `network ${n.name}`);
            assert.ok(att.lines.includes(`ip-range ${plan.networks[n.name].ranges[h]}`), `network ${n.name} on ${h}: range missing from ${att.lines.join(" | ")}`);
            assert.ok(linked(d, netId, att.id), `network ${n.name} is not linked to its attachment on ${h}`);
            assert.ok(linked(d, att.id, nodeIn(d, h, n.parents[h], "parent").id, "parent"), `network ${n.name} on ${h} is not drawn on its parent ${n.parents[h]}`);
        }
    }
    for (const c of spec.containers) {
        const node = nodeIn(d, c.host, c.name, `container ${c.name}`);
        const address = c.ip ?? `address from ${plan.networks[c.network].ranges[c.host]}`;
        assert.ok(node.lines.includes(address), `container ${c.host}/${c.name}: ${address} missing from ${node.lines.join(" | ")}`);
        assert.ok(node.lines.includes(c.image), `container ${c.host}/${c.name}: image missing`);
        assert.ok(linked(d, nodeIn(d, c.host, c.network, "attachment").id, node.id), `container ${c.host}/${c.name} is not on ${c.network}`);
    }
    if (spec.registry !== undefined) {
        const r = nodeIn(d, spec.registry.host, "registry", "registry");
        assert.ok(r.lines.includes(spec.registry.endpoint));
        for (const m of spec.registry.mirrors) assert.ok(r.lines.some((l) => l.includes(`${spec.registry?.endpoint}/${m.name}:${m.tag}`)));
    } else {
        assert.ok(![...d.nodes.values()].some((n) => n.title === "registry"));
    }
}

function loaded(stack: string): { spec: LabSpec; plan: LabPlan } {
    const s = loadStack(stack);
    assert.deepStrictEqual(s.errors, []);
    const spec = s.stack?.spec as LabSpec;
    const { plan, errors } = planLab(spec);
    assert.deepStrictEqual(errors, []);
    return { spec, plan };
}

describe("unit: topology diagram of every stack", () => {
    for (const stack of listStacks()) {
        describe(`stacks/Pulumi.${stack}.yaml`, () => {
            it("Mermaid shows every host, NIC, VLAN interface, network, range, container, address and the registry of the spec", () => {
                const { spec, plan } = loaded(stack);
                assertShowsSpec(readMermaid(topologyMermaid(spec, plan)), spec, plan);
            });
            it("DOT shows the same", () => {
                const { spec, plan } = loaded(stack);
                assertShowsSpec(readDot(topologyDot(spec, plan)), spec, plan);
            });
            it("Graphviz lays the DOT out without an error or a warning, and the SVG has every container and address", async function () {
                this.timeout(60_000);
                const { spec, plan } = loaded(stack);
                const svg = await dotToSvg(topologyDot(spec, plan));
                assert.match(svg, /^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
                for (const c of spec.containers) {
                    assert.ok(svg.includes(`>${c.name}</text>`), `${c.name} missing from the SVG`);
                    if (c.ip !== undefined) assert.ok(svg.includes(`>${c.ip}</text>`), `${c.ip} missing from the SVG`);
                }
            });
            it(`docs/topology/${stack}.mmd and .svg and the README's block are what \`npm run diagram -- ${stack} --readme\` writes now`, async function () {
                this.timeout(60_000);
                const d = await stackDiagram(stack);
                const fix = `run: npm run diagram -- ${stack} --readme`;
                assert.strictEqual(fs.readFileSync(path.join(DIAGRAM_DIR, `${stack}.mmd`), "utf8"), d.mermaid, fix);
                assert.strictEqual(fs.readFileSync(path.join(DIAGRAM_DIR, `${stack}.svg`), "utf8"), d.svg, fix);
                const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
                assert.strictEqual(currentReadmeBlock(readme, stack), readmeBlock(stack, d.mermaid), fix);
                assert.ok(readme.includes(`](docs/topology/${stack}.svg)`), `README.md shows no picture of ${stack}`);
            });
        });
    }
});

/** A lab with every kind of thing once: one host, a VLAN, a network on it, a container without an address, a registry. */
function smallLab(): LabSpec {
    return {
        hosts: [
            {
                name: "h1",
                ssh: { address: "10.0.0.5", port: 2222, user: "ops", dialErrorLimit: 5, perDialTimeout: 10 },
                nic: "eth0",
                nicIsManagement: false,
                backend: "nmcli",
                configDir: "/etc/NetworkManager/system-connections",
            },
        ],
        vlans: [{ id: 7, parent: "eth0", interfaceName: "eth0.7", members: [{ host: "h1", address: "10.7.0.2/24" }], defaultRoute: false }],
        networks: [
            {
                name: "n7",
                driver: "macvlan",
                mode: "bridge",
                subnet: "10.77.0.0/24",
                gateway: "10.77.0.1",
                parents: { h1: "eth0.7" },
                vlan: 7,
                hosts: ["h1"],
                reserved: { "shim-h1": "10.77.0.2" },
            },
        ],
        registry: { host: "h1", address: "10.0.0.5", port: 5000, image: "registry:2", volume: "reg", endpoint: "10.0.0.5:5000", mirrors: [], security: "insecure", users: [], migrateUnitFlag: false },
        containers: [{ name: "c1", host: "h1", network: "n7", image: "alpine:3", command: ["sleep", "infinity"], restart: "always" }],
        checks: { connectivity: true, isolation: [], count: 3, timeoutSeconds: 5 },
    };
}

describe("unit: topology diagram text", () => {
    it("Mermaid of a small lab, exactly", () => {
        const spec = smallLab();
        const { plan } = planLab(spec);
        assert.strictEqual(
            topologyMermaid(spec, plan, { title: "small" }),
            [
                "---",
                'title: "small"',
                "---",
                "flowchart TB",
                '  n2[["<b>n7</b><br/>macvlan bridge<br/>10.77.0.0/24<br/>gateway 10.77.0.1<br/>VLAN 7<br/>reserved shim-h1 10.77.0.2"]]:::network',
                '  subgraph c0["<b>h1</b><br/>ops@10.0.0.5:2222, nmcli"]',
                '    n0["<b>eth0</b><br/>parent NIC, promiscuous"]:::nic',
                '    n1("<b>eth0.7</b><br/>VLAN 7<br/>10.7.0.2/24"):::vlan',
                '    n3["<b>n7</b><br/>ip-range 10.77.0.64/26"]:::attachment',
                '    n4("<b>c1</b><br/>address from 10.77.0.64/26<br/>alpine:3"):::container',
                '    n5[("<b>registry</b><br/>10.0.0.5:5000<br/>registry:2, volume reg<br/>insecure: plain HTTP<br/>trusted by h1")]:::registry',
                "  end",
                '  n1 ---|"802.1Q 7"| n0',
                "  n2 --- n3",
                '  n3 ---|"parent"| n1',
                "  n3 --- n4",
                "  n1 ~~~ n5",
                "  classDef nic fill:#f3f4f6,stroke:#6b7280",
                "  classDef vlan fill:#f3f4f6,stroke:#6b7280",
                "  classDef network stroke:#1f2937,stroke-width:2px",
                "  classDef attachment stroke:#6b7280,stroke-dasharray:4 3",
                "  classDef container stroke:#374151",
                "  classDef registry fill:#fff7ed,stroke:#9a3412",
                "  classDef shim fill:#f3f4f6,stroke:#6b7280",
                "  classDef router fill:#f3f4f6,stroke:#6b7280",
                "  style n2 fill:#dbeafe",
                "  style n3 fill:#dbeafe",
                "  style n4 fill:#dbeafe",
                "",
            ].join("\n"),
        );
    });

    it("escapes what Mermaid and DOT would read as syntax", () => {
        const spec = smallLab();
        spec.containers[0].image = 'x"<b>&#1;';
        const { plan } = planLab(spec);
        const mermaid = topologyMermaid(spec, plan);
        assert.ok(mermaid.includes("<br/>x#34;#60;b#62;#38;#35;1;"), mermaid);
        assert.strictEqual(readMermaid(mermaid).nodes.get("n4")?.lines[1], 'x"<b>&#1;');
        const dot = topologyDot(spec, plan);
        assert.ok(dot.includes("<br/>x&quot;&lt;b&gt;&amp;#1;>"), dot);
        assert.strictEqual(readDot(dot).nodes.get("n4")?.lines[1], 'x"<b>&#1;');
    });

    it("a layer registered after the built-in ones draws on what they drew (the shims/routers extension point)", () => {
        const spec = smallLab();
        const { plan } = planLab(spec);
        const shims: TopologyLayer = {
            name: "shims",
            add(s, _p, graph) {
                for (const n of s.networks) {
                    for (const [name, address] of Object.entries(n.reserved)) {
                        const host = name.replace(/^shim-/, "");
                        const id = graph.node(`shim:${name}`, { kind: "shim", title: name, lines: [address] }, graph.find(`host:${host}`));
                        const attachment = graph.find(`attachment:${n.name}:${host}`);
                        assert.ok(attachment !== undefined);
                        graph.edge(attachment, id);
                    }
                }
            },
        };
        const t = buildTopology(spec, plan, [...TOPOLOGY_LAYERS, shims], "t");
        const mermaid = readMermaid(renderMermaid(t));
        const shim = nodeIn(mermaid, "h1", "shim-h1", "shim");
        assert.deepStrictEqual(shim.lines, ["10.77.0.2"]);
        assert.ok(linked(mermaid, nodeIn(mermaid, "h1", "n7", "attachment").id, shim.id));
        assert.ok(renderMermaid(t).includes(`${shim.id}[["<b>shim-h1</b><br/>10.77.0.2"]]:::shim`));
        assert.ok(renderDot(t).includes(`${shim.id} [shape=box, style="filled,diagonals"`));
    });

    it("the graph has one node per thing and no dangling edge", () => {
        const stacks = listStacks();
        assert.ok(stacks.length >= 4 && ["multi-vlan", "single-network"].every((s) => stacks.includes(s)), stacks.join(", "));
        for (const stack of stacks) {
            const { spec, plan } = loaded(stack);
            const t = topologyGraph(spec, plan);
            const ids = new Set(t.nodes.map((n) => n.id));
            assert.strictEqual(ids.size, t.nodes.length);
            for (const e of t.edges) assert.ok(ids.has(e.from) && ids.has(e.to), `${stack}: edge ${e.from} -> ${e.to}`);
            const expected =
                spec.hosts.length +
                spec.vlans.reduce((a, v) => a + v.members.length, 0) +
                spec.networks.reduce((a, n) => a + 1 + n.hosts.length, 0) +
                spec.containers.length +
                (spec.shims ?? []).length +
                (spec.router ? 1 : 0) +
                (spec.registry ? 1 : 0);
            assert.strictEqual(t.nodes.length, expected, `${stack}: nodes`);
        }
    });
});
