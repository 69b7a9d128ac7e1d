/**
 * Ansible for the bench's peer: PyPI's `ansible` package (ansible-core plus the community
 * collections, community.docker and community.general among them) installed by the bench itself into
 * a virtual environment kept in the lab's cache (`<cache>/ansible/ansible-<version>-py<x.y>/`, where
 * <cache> is $MACVLAN_LAB_CACHE or ~/.cache/macvlan-lab), once; later runs reuse it. And what the
 * hosts need for community.docker's modules: Python with `requests` (Debian's python3-requests; the
 * lab's hosts share this machine's /usr).
 */
import * as fs from "fs";
import * as path from "path";
import { run } from "../../lab/hosts/proc";
import { ensurePackages } from "../../lab/packages";
import { cacheRoot } from "../../lab/vm/image";

/** The `ansible` release the bench installs (ansible-core 2.19; the controller needs Python 3.11 or later). */
export const ANSIBLE_VERSION = "12.3.0";
/** Debian packages the hosts need for the playbook: community.docker's modules talk to dockerd with requests. */
export const HOST_PACKAGES = ["python3-requests"] as const;
/** The Python the playbook runs modules with on the hosts. */
export const HOST_PYTHON = "/usr/bin/python3";

const PIP_TIMEOUT_MS = 15 * 60_000;

export interface Ansible {
    /** `ansible-playbook` of the venv. */
    playbook: string;
    /** Its `--version` first line, e.g. `ansible-playbook [core 2.19.4]`. */
    version: string;
    venv: string;
}

/** `Python 3.11.7` -> [3, 11]; undefined when it is not such a line. Pure. */
export function pythonVersion(text: string): [number, number] | undefined {
    const m = /Python (\d+)\.(\d+)/.exec(text);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Installs (once) and returns Ansible; throws with the reason when it cannot (no Python 3.11+, pip failed). */
export async function ensureAnsible(log: (l: string) => void): Promise<Ansible> {
    const py = await run(["python3", "--version"]);
    const v = pythonVersion(`${py.stdout}${py.stderr}`);
    if (py.code !== 0 || v === undefined || v[0] < 3 || (v[0] === 3 && v[1] < 11)) {
        throw new Error(`the Ansible peer needs python3 3.11 or later on PATH (ansible ${ANSIBLE_VERSION} = ansible-core 2.19); found: ${(py.stdout || py.stderr).trim() || "none"}`);
    }
    const venv = path.join(cacheRoot(), "ansible", `ansible-${ANSIBLE_VERSION}-py${v[0]}.${v[1]}`);
    const playbook = path.join(venv, "bin", "ansible-playbook");
    const marker = path.join(venv, ".complete");
    if (!fs.existsSync(marker)) {
        // scripts in a venv name its absolute path: it is made where it stays, and only a complete one is used
        fs.rmSync(venv, { recursive: true, force: true });
        fs.mkdirSync(path.dirname(venv), { recursive: true });
        log(`installing ansible ${ANSIBLE_VERSION} from PyPI into ${venv} (once; later runs reuse it)`);
        const steps: string[][] = [
            ["python3", "-m", "venv", venv],
            [path.join(venv, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check", `ansible==${ANSIBLE_VERSION}`],
        ];
        for (const argv of steps) {
            const r = await run(argv, { timeoutMs: PIP_TIMEOUT_MS });
            if (r.code !== 0) {
                fs.rmSync(venv, { recursive: true, force: true });
                throw new Error(`${argv.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | ")}`);
            }
        }
        fs.writeFileSync(marker, `ansible==${ANSIBLE_VERSION}\n`);
    }
    const ver = await run([playbook, "--version"]);
    if (ver.code !== 0) throw new Error(`${playbook} --version exited ${ver.code}: ${ver.stderr.trim()}`);
    const hostPy = await ensurePackages(log, [...HOST_PACKAGES]);
    if (hostPy.problems.length > 0) throw new Error(`the Ansible peer's host packages: ${hostPy.problems.join("; ")}`);
    return { playbook, version: ver.stdout.split("\n")[0].trim(), venv };
}
