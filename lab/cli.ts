/**
 * The local lab's command line: a stack's Docker hosts made on this machine (network + mount + UTS
 * namespaces with their own sshd and dockerd, see lab/hosts) and the stack's program applied to
 * them for real by the real Pulumi engine (`pulumi up`, see lab/pulumi/). Root only.
 *
 *   npm run lab -- <stack> [--name <lab>]                   up: build the hosts (or reuse them), pulumi up
 *   npm run lab:down [-- <stack>] [--name <lab>]            down: pulumi destroy, then remove the hosts
 *   npm run lab:pulumi -- <stack> [--name <lab>] <args...>  any pulumi command on the lab's stack
 *   npm run lab:verify -- <stack> [--name <lab>]            verify: every host against the stack, read-only
 *   npm run lab:repair -- <stack> [--name <lab>]            repair: refresh, re-run every host step, verify
 *
 * This file reads the command line and hands it on; what each command does is in lab/run:
 * `up.ts`, `down.ts`, `labPulumi.ts`, with the run record (`records.ts`), the engine on a lab
 * (`engine.ts`) and what is printed (`output.ts`).
 *
 * `up` leaves the lab running. Run again for a lab that is up, it runs `pulumi up` again
 * (converge); when the stack's hosts changed, it rebuilds them. When a run that built the hosts
 * fails or is interrupted (SIGINT, SIGTERM), it destroys what the apply made and removes the hosts.
 * `down` without a stack removes every lab that `up` started (and the stacks' default labs).
 *
 * What a run keeps, under `<repo>/.lab/`: `<lab>/` the hosts' state (lab/hosts), and
 * `_runs/<lab>/` the record of the run and the lab's Pulumi workspace (`pulumi/`: the generated
 * project and stack file, the file backend, PULUMI_HOME with the plugins, the passphrase).
 */
import { PROFILES, Profile, isProfile } from "./profiles";
import { listStacks } from "./stackFile";
import { down } from "./run/down";
import { pulumiCli } from "./run/labPulumi";
import { up } from "./run/up";
import { repairLab, repairReport, verifyLab, verifyReport } from "./run/verify";

export interface CliCommand {
    command: "up" | "down" | "pulumi" | "verify" | "repair";
    stack?: string;
    name?: string;
    /** `up`: a host profile for freshly built hosts. */
    profile?: Profile;
    /** `pulumi`: the arguments for pulumi. */
    args: string[];
}

/** argv after the script -> what to do; undefined when it is not a valid command line. Pure. */
export function parseCli(argv: string[]): CliCommand | undefined {
    const [command, ...rest] = argv;
    if (command !== "up" && command !== "down" && command !== "pulumi" && command !== "verify" && command !== "repair") return undefined;
    let stack: string | undefined;
    let name: string | undefined;
    let profile: Profile | undefined;
    const args: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (command === "pulumi" && stack !== undefined) {
            if (a === "--name" && name === undefined && args.length === 0) {
                name = rest[++i];
                if (name === undefined) return undefined;
            } else {
                args.push(a);
            }
        } else if (a === "--name") {
            name = rest[++i];
            if (name === undefined) return undefined;
        } else if (a === "--profile" && command === "up") {
            const p = rest[++i];
            if (p === undefined || !isProfile(p)) return undefined;
            profile = p;
        } else if (a.startsWith("-") || stack !== undefined) {
            return undefined;
        } else {
            stack = a;
        }
    }
    if (command !== "down" && stack === undefined) return undefined;
    if (command === "pulumi" && args.length === 0) return undefined;
    return { command, stack, name, args, ...(profile !== undefined ? { profile } : {}) };
}

/** What a command line that {@link parseCli} refuses prints: the commands, the profiles, the stacks (`undefined`: unreadable). Pure. */
export function usage(stacks: readonly string[] | undefined): string {
    return `usage:
  npm run lab -- <stack> [--name <lab>] [--profile <p>]    (ts-node lab/cli.ts up <stack> ...)
  npm run lab:down [-- <stack>] [--name <lab>]             (ts-node lab/cli.ts down ...)
  npm run lab:pulumi -- <stack> [--name <lab>] <args...>   (ts-node lab/cli.ts pulumi <stack> ...)
  npm run lab:verify -- <stack> [--name <lab>]             (ts-node lab/cli.ts verify <stack> ...)
  npm run lab:repair -- <stack> [--name <lab>]             (ts-node lab/cli.ts repair <stack> ...)
profiles: ${PROFILES.join(", ")} (hosts as the tutorial leaves them; see lab/profiles)
stacks: ${stacks === undefined ? "?" : stacks.join(", ")}`;
}

function knownStacks(): string[] | undefined {
    try {
        return listStacks();
    } catch {
        return undefined;
    }
}

async function main(argv: string[]): Promise<number> {
    const parsed = parseCli(argv);
    if (parsed === undefined) {
        console.error(usage(knownStacks()));
        return 2;
    }
    if (parsed.command === "up") {
        return up(parsed.stack as string, { name: parsed.name, profile: parsed.profile });
    }
    if (parsed.command === "pulumi") {
        return pulumiCli(parsed.stack as string, parsed.args, parsed.name);
    }
    if (parsed.command === "verify") {
        const v = await verifyLab(parsed.stack as string, { name: parsed.name, log: (l) => console.log(`  ${l}`) });
        for (const l of verifyReport(v)) console.log(l);
        return v.code;
    }
    if (parsed.command === "repair") {
        const r = await repairLab(parsed.stack as string, { name: parsed.name, log: (l) => console.log(`  ${l}`) });
        for (const l of repairReport(r)) console.log(l);
        return r.code;
    }
    return down({ stack: parsed.stack, name: parsed.name });
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(`lab: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
            process.exit(1);
        },
    );
}
