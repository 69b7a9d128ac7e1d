/**
 * `npm run lab:pulumi -- <stack> [--name <lab>] <args...>`: any `pulumi` command on the lab's stack,
 * in the controller, with the terminal attached (`preview --expect-no-changes`, `stack export`,
 * `refresh` are one line).
 */
import * as fs from "fs";
import { selectStack, stackFileOf, writeProject } from "../pulumi";
import { delayLine, relayStatus } from "../rtt";
import { defaultLabName } from "../topology";
import { prepareEngine, pulumiOnLab } from "./engine";
import { tryAttach } from "./records";

/** Runs `pulumi <args>` on the lab's stack; returns pulumi's exit status (1 when the lab or its stack is not there). */
export async function pulumiCli(stackName: string, args: string[], name: string = defaultLabName(stackName)): Promise<number> {
    const lab = tryAttach(name);
    if (lab === undefined) {
        console.error(`lab: lab ${name} is not up; run npm run lab -- ${stackName} first`);
        return 1;
    }
    const { engine, ws } = prepareEngine(name, (l) => console.error(l));
    const relay = relayStatus(lab); // a lab started with --rtt: this run is delayed too, and says so
    if (relay !== undefined) console.error(delayLine(relay.rttMs, relay.routes));
    if (!fs.existsSync(stackFileOf(ws, stackName))) {
        console.error(`lab: stack ${stackName} was never applied on lab ${name}; run npm run lab -- ${stackName} first`);
        return 1;
    }
    writeProject(ws); // the program as it is now, as npm run lab would run it
    await selectStack(ws, engine, stackName);
    const r = await pulumiOnLab(lab, ws, engine, args, { inherit: true });
    return r.code;
}
