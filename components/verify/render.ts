/**
 * Verify, read-only: the script that checks one host against the stack, and the reading of what it
 * prints. Pure.
 *
 * Every host step (parent NIC, 8021q, VLAN interfaces, shims, router legs and forwarding) already has
 * a check script that changes nothing and prints one `DRIFT: ...` line per difference; the verify
 * script runs each of them as it is (its text on `sh -s`'s stdin: components/scripts/checks/verify.sh
 * `verify_step`), then reads the Docker objects the stack declares on the host (networks with their
 * parent, subnet, gateway, range and stack label; containers running, attached, at their address;
 * the registry container) and the registry trust (daemon.json and dockerd's list, or the CA in
 * certs.d). It prints one line per finding and succeeds whatever it finds: the findings are the
 * result (the `verification` stack output), a failure means a check could not run.
 */
import { renderScript } from "../scripts";
import { shellJoin } from "../shell";
import { DOCKER_NAME, HOST_NAME } from "../model/names";

/** A Docker network as the host should have it. */
export interface VerifyNetwork {
    name: string;
    driver: string;
    parent: string;
    subnet: string;
    gateway: string;
    /** The host's dynamic range (the plan's). */
    range: string;
}

/** A container as the host should have it. */
export interface VerifyContainer {
    name: string;
    network: string;
    /** Its static address; undefined: any address on the network. */
    ip?: string;
}

/** What one host should look like, and where its library is. */
export interface HostVerifyInput {
    host: string;
    /** The host's shell library (`HostLibrary.dir`). */
    libraryDir: string;
    /** Each host step's check script, by the name of its command (`lab-docker01-parent-promisc`). */
    steps: ReadonlyArray<{ name: string; check: string }>;
    networks: readonly VerifyNetwork[];
    containers: readonly VerifyContainer[];
    /** Containers of the stack that must run, without a network of the stack (the registry). */
    running: readonly string[];
    /** The label every Docker object of the stack carries: key and value. */
    stackLabel: { key: string; value: string };
    /** The registry trust: `insecure` (daemon.json and dockerd list the endpoint) or `ca` (the CA file). */
    trust?: { kind: "insecure"; daemonJson: string; endpoint: string } | { kind: "ca"; file: string; sha256: string };
    /** The docker CLI as plain words. Defaults to `docker`. */
    dockerCommand?: readonly string[];
}

/** The heredoc delimiter of a step's script; a script holding it as a line is refused. */
export const STEP_END = "MACVLAN_LAB_END_OF_CHECK";

const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const CIDR = /^[0-9.]+\/[0-9]{1,2}$/;
const IP = /^[0-9.]+$/;
const WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Every problem of an input, one sentence each (the renderer refuses to render any). Pure. */
export function validateHostVerify(v: HostVerifyInput): string[] {
    const errors: string[] = [];
    if (!HOST_NAME.test(v.host)) errors.push(`host ${JSON.stringify(v.host)} is not a host name`);
    for (const s of v.steps) {
        if (!STEP_NAME.test(s.name)) errors.push(`step ${JSON.stringify(s.name)} is not a resource name`);
        if (s.check.split("\n").includes(STEP_END)) errors.push(`the check of ${s.name} holds the line ${STEP_END}`);
    }
    for (const n of v.networks) {
        if (!DOCKER_NAME.test(n.name)) errors.push(`network ${JSON.stringify(n.name)} is not a Docker name`);
        if (!CIDR.test(n.subnet) || !CIDR.test(n.range) || !IP.test(n.gateway)) errors.push(`network ${n.name}: subnet, range or gateway is not an address`);
        if (!WORD.test(n.driver) || !WORD.test(n.parent)) errors.push(`network ${n.name}: driver or parent is not a plain word`);
    }
    for (const c of [...v.containers.map((x) => x.name), ...v.running]) {
        if (!DOCKER_NAME.test(c)) errors.push(`container ${JSON.stringify(c)} is not a Docker name`);
    }
    for (const c of v.containers) {
        if (c.ip !== undefined && !IP.test(c.ip)) errors.push(`container ${c.name}: ${JSON.stringify(c.ip)} is not an address`);
    }
    if (!WORD.test(v.stackLabel.key) || /[\n\r]/.test(v.stackLabel.value)) errors.push(`the stack label ${JSON.stringify(v.stackLabel)} is not a label`);
    for (const w of v.dockerCommand ?? []) if (!WORD.test(w)) errors.push(`docker command word ${JSON.stringify(w)} is not a plain word`);
    if (v.trust?.kind === "ca" && !/^[0-9a-f]{64}$/.test(v.trust.sha256)) errors.push("the CA's sha256 is not 64 hex digits");
    return errors;
}

/** The verify script of one host (see the file's comment). Pure; throws on an invalid input. */
export function renderHostVerify(v: HostVerifyInput): string {
    const errors = validateHostVerify(v);
    if (errors.length > 0) throw new Error(`verify of ${v.host}: ${errors.join("; ")}`);
    const lines: string[] = [];
    for (const s of v.steps) {
        lines.push(`verify_step ${shellJoin([s.name])} <<'${STEP_END}'`);
        lines.push(...s.check.replace(/\n$/, "").split("\n"));
        lines.push(STEP_END);
    }
    for (const n of v.networks) lines.push(`verify_network ${shellJoin([n.name, n.driver, n.parent, n.subnet, n.gateway, n.range])}`);
    for (const c of v.containers) lines.push(`verify_container ${shellJoin([c.name, c.network, c.ip ?? ""])}`);
    for (const c of v.running) lines.push(`verify_running ${shellJoin([c])}`);
    if (v.trust?.kind === "insecure") lines.push(`verify_insecure_trust ${shellJoin([v.trust.daemonJson, v.trust.endpoint])}`);
    if (v.trust?.kind === "ca") lines.push(`verify_ca_trust ${shellJoin([v.trust.file, v.trust.sha256])}`);
    return renderScript({
        title: `verify ${v.host} against the stack (read-only)`,
        libraryDir: v.libraryDir,
        vars: [
            ["host", v.host],
            ["docker_argv", (v.dockerCommand ?? ["docker"]).join(" ")],
            ["stack_label", `${v.stackLabel.key}=${v.stackLabel.value}`],
        ],
        modules: ["checks/verify.sh"],
        quotedLines: lines,
        calls: ["verify_end"],
    });
}

/** One finding of a verify. */
export interface DriftRow {
    host: string;
    /** The step (a command's name) or Docker object (`network mac_net10`, `container bbox10`, `registry trust`). */
    step: string;
    /** `drift`: the host differs (what was expected, and what was found); `error`: the check could not run. */
    kind: "drift" | "error";
    found: string;
}

/** What a verify of one host printed: its findings and how many checks ran. Pure. */
export function parseHostVerify(stdout: string): { rows: DriftRow[]; steps: number; complete: boolean } {
    const rows: DriftRow[] = [];
    let steps = 0;
    let complete = false;
    for (const line of stdout.split("\n")) {
        const [kind, host, step, ...rest] = line.replace(/\r$/, "").split("\t");
        if ((kind === "DRIFT" || kind === "ERROR") && host !== undefined && step !== undefined) {
            rows.push({ host, step, kind: kind === "DRIFT" ? "drift" : "error", found: rest.join("\t") });
        } else if (kind === "VERIFIED" && step !== undefined) {
            steps = Number(step);
            complete = true;
        }
    }
    return { rows, steps, complete };
}
