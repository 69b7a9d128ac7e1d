/**
 * `npm run lab:down`: tearing a lab down (`pulumi destroy` of what the apply made, then the hosts,
 * then the run's files), for one lab or for every lab `npm run lab` started.
 */
import * as fs from "fs";
import { hostsDown } from "../hosts";
import { defaultStateDir } from "../paths";
import { hasBackendState } from "../pulumi";
import { listStacks } from "../stackFile";
import { defaultLabName, labNameProblem } from "../topology";
import { EngineOutcome, destroyOnLab, labWorkspace, stopStaleEngine } from "./engine";
import { DownTimes, downLine } from "./output";
import { labsWithNamespaces, readRecord, recordedLabs, runPaths, tryAttach } from "./records";

/** Tears lab `name` down: `pulumi destroy` (when its hosts are up), then the hosts. Never throws. */
export async function downLab(name: string, log: (l: string) => void): Promise<DownTimes & { destroy?: EngineOutcome }> {
    const record = readRecord(name);
    await stopStaleEngine(record, log);
    let destroy: EngineOutcome | undefined;
    let destroyMs: number | undefined;
    if (hasBackendState(labWorkspace(name))) {
        const lab = tryAttach(name);
        if (lab === undefined) {
            log(`lab ${name}: its hosts are not (all) up, so pulumi destroy cannot run; removing the hosts removes everything the apply made (it all lives inside them)`);
        } else {
            log(`lab ${name}: pulumi destroy`);
            const t = Date.now();
            destroy = await destroyOnLab(lab, { log: (l) => log(`  ${l}`) });
            destroyMs = Date.now() - t;
            if (destroy !== undefined && destroy.code !== 0) {
                log(`lab ${name}: destroy failed (${destroy.code}); removing the hosts anyway, which removes everything the apply made`);
            }
        }
    }
    const t = Date.now();
    try {
        await hostsDown(name, { log: (l) => log(`  ${l}`) });
    } catch (e) {
        log(`lab ${name}: removing the hosts failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const hostsMs = Date.now() - t;
    fs.rmSync(runPaths(name).dir, { recursive: true, force: true });
    return { destroyMs, destroy, hostsMs };
}

/** `down`: tears down lab(s): the one named, or every lab `up` started and the stacks' default labs. */
export async function down(target: { stack?: string; name?: string }, log: (l: string) => void = (l) => console.log(l)): Promise<number> {
    if (process.getuid?.() !== 0) {
        console.error("lab: tearing the lab down needs root: sudo npm run lab:down");
        return 1;
    }
    let names: string[];
    if (target.name !== undefined || target.stack !== undefined) {
        const name = target.name ?? defaultLabName(target.stack as string);
        const problem = labNameProblem(name);
        if (problem !== undefined) {
            console.error(`lab: ${problem}`);
            return 1;
        }
        names = [name];
    } else {
        const stacks = (() => {
            try {
                return listStacks();
            } catch {
                return [];
            }
        })().map(defaultLabName);
        const withNs = labsWithNamespaces();
        names = [...new Set([...recordedLabs(), ...stacks.filter((s) => withNs.includes(s) || fs.existsSync(defaultStateDir(s)))])].sort();
        const others = withNs.filter((n) => !names.includes(n));
        if (others.length > 0) {
            log(`lab: other labs have namespaces here (${others.join(", ")}) but were not started by npm run lab; left alone (npx ts-node lab/hosts/cli.ts down <name> removes one)`);
        }
        if (names.length === 0) {
            log("lab: no lab to tear down");
            return 0;
        }
    }
    for (const name of names) {
        const t = Date.now();
        const d = await downLab(name, log);
        log(downLine(name, Date.now() - t, d, d.destroy?.code));
    }
    return 0;
}
