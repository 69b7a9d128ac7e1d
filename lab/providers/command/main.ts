/**
 * Entry point of the `pulumi-resource-command` stand-in plugin (v1.2.1): the engine execs it with its
 * address; the SDK's provider `main` serves gRPC and prints the port on stdout.
 *
 *   node -r ts-node/register/transpile-only lab/providers/command/main.ts <engineAddr>
 */
import * as provider from "@pulumi/pulumi/provider";
import { EngineLogger, Logger, MemoryLogger, engineAddressOf } from "./engineLog";
import { makeProvider } from "./provider";

function loggerFor(args: string[]): Logger {
    const addr = engineAddressOf(args);
    if (addr !== undefined) return new EngineLogger(addr);
    const mem = new MemoryLogger();
    return {
        log: (sev, msg, urn, eph) => {
            process.stderr.write(`${sev}: ${urn ? `${urn}: ` : ""}${msg}\n`);
            return mem.log(sev, msg, urn, eph);
        },
    };
}

const args = process.argv.slice(2);
provider.main(makeProvider({ logger: loggerFor(args) }), args).catch((e: unknown) => {
    process.stderr.write(`pulumi-resource-command (stand-in): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
