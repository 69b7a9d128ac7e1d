/**
 * Labs that lab test runs left behind when their process died (killed mid-run): found by name
 * wherever a lab leaves a trace (namespaces, run records, `.lab/<lab>`, `.lab/_runs/<lab>`) and torn
 * down like `npm run lab:down` does (lab/run/down.ts).
 */
import * as fs from "fs";
import { isAlive } from "../../lab/hosts/proc";
import { LAB_ROOT, RUNS_DIR } from "../../lab/paths";
import { downLab } from "../../lab/run/down";
import { labsWithNamespaces, recordedLabs } from "../../lab/run/records";

/**
 * Tears down every lab whose name `pattern` matches with the pid of the test process that made it
 * as its first group (`/^mvlrt-(\d+)$/`), when that process is gone.
 */
export async function sweepStaleTestLabs(pattern: RegExp, log: (line: string) => void): Promise<void> {
    const ls = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
    const names = new Set<string>();
    for (const n of [...labsWithNamespaces(), ...recordedLabs(), ...ls(LAB_ROOT), ...ls(RUNS_DIR)]) {
        const m = pattern.exec(n);
        if (m && !isAlive(Number(m[1]))) names.add(n);
    }
    for (const n of names) {
        console.log(`      | sweeping ${n}, left by a test run that died`);
        await downLab(n, log);
    }
}
