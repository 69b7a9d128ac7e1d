/**
 * The real Pulumi engine, for the local lab, one concern per file:
 * - engine.ts: where the CLI and the plugins come from, and the line saying which parts are real;
 * - workspace.ts: the lab's own workspace (project and stack files, backend, secrets, environment);
 * - process.ts: running `pulumi` there (output followed from files, stops, select, secret config).
 */
export * from "./engine";
export * from "./workspace";
export * from "./process";
