/**
 * Manual use of the local lab's hosts. Run from the repository root as root:
 *
 *   npx ts-node lab/hosts/cli.ts up <topology.json> [--emulate-vlans] [--keep-on-failure]
 *   npx ts-node lab/hosts/cli.ts reconcile <name> <topology.json> [--defer-removals] [--no-rebuild]
 *   npx ts-node lab/hosts/cli.ts status <name>
 *   npx ts-node lab/hosts/cli.ts exec <name> <host> -- <command> [args...]
 *   npx ts-node lab/hosts/cli.ts ssh <name> <host> -- <command line>
 *   npx ts-node lab/hosts/cli.ts down <name> [--keep-state]
 *   npx ts-node lab/hosts/cli.ts detect-vlan
 *
 * `--state-dir DIR` (any command) overrides the default `<repo>/.lab/<name>`.
 */
import * as fs from "fs";
import { LabTopology, attachLab, describeLab, detectVlanSupport, hostsDown, hostsUp, reconcileHosts } from "./index";
import { run } from "./proc";

const USAGE = `usage:
  cli.ts up <topology.json> [--emulate-vlans] [--keep-on-failure] [--state-dir DIR]
  cli.ts reconcile <name> <topology.json> [--defer-removals] [--no-rebuild] [--state-dir DIR]
  cli.ts status <name> [--state-dir DIR]
  cli.ts exec <name> <host> [--state-dir DIR] -- <command> [args...]
  cli.ts ssh <name> <host> [--state-dir DIR] -- <command line>
  cli.ts down <name> [--keep-state] [--state-dir DIR]
  cli.ts detect-vlan`;

function stamp(line: string): void {
    console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
}

async function main(argv: string[]): Promise<number> {
    const dash = argv.indexOf("--");
    const rest = dash >= 0 ? argv.slice(dash + 1) : [];
    const args = dash >= 0 ? argv.slice(0, dash) : argv;
    const flag = (f: string) => args.includes(f);
    const sd = args.indexOf("--state-dir");
    const stateDir = sd >= 0 ? args[sd + 1] : undefined;
    const positional = args.filter((a, i) => !a.startsWith("--") && (sd < 0 || i !== sd + 1));
    const [cmd, a1, a2] = positional;
    switch (cmd) {
        case "up": {
            if (a1 === undefined) break;
            const topology = JSON.parse(fs.readFileSync(a1, "utf8")) as LabTopology;
            const lab = await hostsUp(topology, {
                stateDir,
                log: stamp,
                vlanMode: flag("--emulate-vlans") ? "emulated" : "auto",
                keepOnFailure: flag("--keep-on-failure"),
            });
            console.log(describeLab(lab));
            console.log(`driver: nsenter -t ${lab.controllerKeeperPid} -m -u -n <command>   (or nsenter --net=/run/netns/${lab.controllerNetns} <command>)`);
            return 0;
        }
        case "reconcile": {
            if (a1 === undefined || a2 === undefined) break;
            const topology = JSON.parse(fs.readFileSync(a2, "utf8")) as LabTopology;
            const r = await reconcileHosts(attachLab(a1, { stateDir }), topology, {
                log: stamp,
                deferRemovals: flag("--defer-removals"),
                rebuild: !flag("--no-rebuild"),
            });
            console.log(describeLab(r.lab));
            return 0;
        }
        case "status": {
            if (a1 === undefined) break;
            console.log(describeLab(attachLab(a1, { stateDir })));
            return 0;
        }
        case "exec":
        case "ssh": {
            if (a1 === undefined || a2 === undefined || rest.length === 0) break;
            const lab = attachLab(a1, { stateDir });
            const r =
                cmd === "exec"
                    ? await lab.exec(a2, rest, { timeoutMs: 600_000 })
                    : await run(lab.sshArgv(a2, rest.join(" ")), { timeoutMs: 600_000 });
            process.stdout.write(r.stdout);
            process.stderr.write(r.stderr);
            return r.code;
        }
        case "down": {
            if (a1 === undefined) break;
            await hostsDown(a1, { stateDir, log: stamp, keepState: flag("--keep-state") });
            return 0;
        }
        case "detect-vlan": {
            const ok = await detectVlanSupport();
            console.log(ok ? "802.1Q VLAN devices: supported" : "802.1Q VLAN devices: NOT supported (the lab emulates VLANs)");
            return 0;
        }
    }
    console.error(USAGE);
    return 2;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    },
);
