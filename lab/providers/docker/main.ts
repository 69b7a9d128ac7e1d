/**
 * The plugin's entry point: `node -r ts-node/register/transpile-only main.ts <engineAddr>`, as the
 * engine runs `pulumi-resource-docker <engineAddr>`. Serves DockerStandInProvider with the SDK's
 * provider server, whose Configure is replaced so the provider gets its config (the SDK's drops
 * it) and whose CheckConfig/DiffConfig answer instead of "unimplemented".
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";
import { DockerStandInProvider, argsFromVariables, PROVIDER_VERSION } from "./provider";
import { JsonObject } from "./values";

/* eslint-disable @typescript-eslint/no-require-imports */
const provproto = require("@pulumi/pulumi/proto/provider_pb") as {
    ConfigureResponse: new () => { setAcceptsecrets(b: boolean): void; setAcceptresources(b: boolean): void; setAcceptoutputs(b: boolean): void; setSupportspreview(b: boolean): void };
    CheckResponse: new () => { setInputs(s: unknown): void };
    DiffResponse: { new (): { setChanges(c: number): void }; DiffChanges: { DIFF_NONE: number; DIFF_SOME: number } };
};
const structproto = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(o: unknown): unknown } };
const engproto = require("@pulumi/pulumi/proto/engine_pb") as { LogRequest: new () => { setSeverity(n: number): void; setMessage(m: string): void; setUrn(u: string): void }; LogSeverity: { INFO: number } };
const enggrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as { EngineClient: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client & { log(r: unknown, cb: (e: Error | null) => void): void } };

export const STAND_IN_LINE =
    `Docker provider: STAND-IN for pulumi-docker ${PROVIDER_VERSION} (lab/providers/docker, the real plugin cannot be installed here); ` +
    "the Pulumi engine is real (the lab prints one line with every part that is real and every part that stands in)";

type Unary = (call: { request: Record<string, (...a: unknown[]) => unknown> }, cb: (err: Partial<grpc.StatusObject> | null, resp?: unknown) => void) => void;

/** Where the markers of engine runs that were told live: one file per run, `<engine pid>-<key>`. */
const MARKERS = path.join(os.tmpdir(), "pulumi-docker-stand-in");

/** Removes the markers of engine runs that have ended (their pid is gone). */
function pruneMarkers(): void {
    for (const name of fs.readdirSync(MARKERS)) {
        const pid = Number(name.split("-")[0]);
        try {
            process.kill(pid, 0);
        } catch {
            fs.rmSync(path.join(MARKERS, name), { force: true });
        }
    }
}

/**
 * Log the stand-in line once per engine run: all docker plugin processes of a run share the
 * engine (their parent) and its address; a marker named after both says a run was told.
 */
function announceOnce(engineAddr: string | undefined, urn: string): void {
    const key = crypto.createHash("sha256").update(engineAddr ?? "").digest("hex").slice(0, 16);
    const marker = path.join(MARKERS, `${process.ppid}-${key}`);
    try {
        fs.mkdirSync(MARKERS, { recursive: true });
        pruneMarkers();
        fs.writeFileSync(marker, String(process.pid), { flag: "wx" });
    } catch {
        return; // another docker plugin of this run said it already
    }
    process.stderr.write(`${STAND_IN_LINE}\n`);
    if (engineAddr === undefined) return;
    try {
        const client = new enggrpc.EngineClient(engineAddr, grpc.credentials.createInsecure());
        const req = new engproto.LogRequest();
        req.setSeverity(engproto.LogSeverity.INFO);
        req.setMessage(STAND_IN_LINE);
        req.setUrn(urn);
        client.log(req, () => client.close());
    } catch {
        // stderr has it
    }
}

/** Wraps the SDK server's implementation object as it is registered with gRPC. */
export function patchServer(p: DockerStandInProvider, engineAddr: string | undefined): void {
    const orig = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (this: grpc.Server, service: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) {
        const configure: Unary = (call, cb) => {
            try {
                const req = call.request;
                const hasArgs = (req.hasArgs as () => boolean)();
                const args = hasArgs
                    ? ((req.getArgs as () => { toJavaScript(): JsonObject })().toJavaScript())
                    : argsFromVariables((req.getVariablesMap as () => Map<string, string>)());
                p.configure(args);
                announceOnce(engineAddr, String((req.getUrn as (() => string) | undefined)?.() ?? ""));
                const resp = new provproto.ConfigureResponse();
                resp.setAcceptsecrets(true);
                resp.setAcceptresources(false);
                resp.setAcceptoutputs(false);
                resp.setSupportspreview(false);
                cb(null, resp);
            } catch (e) {
                cb({ code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
            }
        };
        const checkConfig: Unary = (call, cb) => {
            try {
                const news = (call.request.getNews as () => { toJavaScript(): JsonObject })().toJavaScript();
                const resp = new provproto.CheckResponse();
                resp.setInputs(structproto.Struct.fromJavaScript(p.checkConfig(news)));
                cb(null, resp);
            } catch (e) {
                cb({ code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
            }
        };
        const diffConfig: Unary = (call, cb) => {
            const olds = (call.request.getOlds as () => { toJavaScript(): JsonObject })().toJavaScript();
            const news = (call.request.getNews as () => { toJavaScript(): JsonObject })().toJavaScript();
            const resp = new provproto.DiffResponse();
            resp.setChanges(p.diffConfig(olds, news).changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
            cb(null, resp);
        };
        return orig.call(this, service, { ...bindAll(impl), configure, checkConfig, diffConfig });
    };
}

/** The SDK's Server methods are prototype methods using `this`: bind them before spreading. */
function bindAll(impl: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    const out: grpc.UntypedServiceImplementation = {};
    let proto: object | null = impl;
    while (proto !== null && proto !== Object.prototype) {
        for (const k of Object.getOwnPropertyNames(proto)) {
            const v = (impl as Record<string, unknown>)[k];
            if (k !== "constructor" && typeof v === "function" && !(k in out)) out[k] = (v as (...a: unknown[]) => unknown).bind(impl) as grpc.UntypedHandleCall;
        }
        proto = Object.getPrototypeOf(proto) as object | null;
    }
    return out;
}

export async function serve(argv: readonly string[]): Promise<void> {
    const p = new DockerStandInProvider();
    const engineAddr = argv.find((a) => !a.startsWith("-"));
    patchServer(p, engineAddr);
    await provider.main(p as unknown as provider.Provider, [...argv]);
}

if (require.main === module) {
    serve(process.argv.slice(2)).catch((e: Error) => {
        process.stderr.write(`${e.stack ?? e.message}\n`);
        process.exit(1);
    });
}
