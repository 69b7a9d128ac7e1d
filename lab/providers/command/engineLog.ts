/**
 * Diagnostics and status lines to the engine (its `Log` RPC), as pulumi-go-provider's logger sends
 * them: attached to the resource's URN, `ephemeral` for status lines (InfoStatus). Thin I/O.
 */
import * as grpc from "@grpc/grpc-js";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";

export type Severity = "debug" | "info" | "warning" | "error";

export interface Logger {
    log(severity: Severity, message: string, urn: string, ephemeral: boolean): Promise<void>;
}

const SEVERITY: Record<Severity, engproto.LogSeverity> = {
    debug: engproto.LogSeverity.DEBUG,
    info: engproto.LogSeverity.INFO,
    warning: engproto.LogSeverity.WARNING,
    error: engproto.LogSeverity.ERROR,
};

/** The engine address among the plugin's arguments, read as the SDK's provider `main` reads them (provider/internals.js parseArgs). */
export function engineAddressOf(args: string[]): string | undefined {
    const clean: string[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--logtostderr" || args[i].startsWith("-v=")) continue;
        if (args[i] === "--tracing") {
            i++;
            continue;
        }
        clean.push(args[i]);
    }
    return clean[0];
}

/** Logs to the engine; in order; falls back to stderr when the engine cannot be reached. */
export class EngineLogger implements Logger {
    private readonly client: engrpc.EngineClient;
    private last: Promise<void> = Promise.resolve();

    constructor(engineAddress: string) {
        this.client = new engrpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    }

    log(severity: Severity, message: string, urn: string, ephemeral: boolean): Promise<void> {
        const req = new engproto.LogRequest();
        req.setSeverity(SEVERITY[severity]);
        req.setMessage(message);
        req.setUrn(urn);
        req.setEphemeral(ephemeral);
        this.last = this.last.then(
            () =>
                new Promise<void>((resolve) => {
                    this.client.log(req, (err) => {
                        if (err) process.stderr.write(`${severity}: ${message} (engine log failed: ${err.message})\n`);
                        resolve();
                    });
                }),
        );
        return this.last;
    }
}

/** For tests and for running without an engine: lines on stderr, or collected. */
export class MemoryLogger implements Logger {
    readonly lines: Array<{ severity: Severity; message: string; urn: string; ephemeral: boolean }> = [];
    log(severity: Severity, message: string, urn: string, ephemeral: boolean): Promise<void> {
        this.lines.push({ severity, message, urn, ephemeral });
        return Promise.resolve();
    }
}
