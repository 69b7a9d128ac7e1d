/**
 * The program (index.ts) under the shared mocks (./mocks.ts), one home for what every program test
 * does around its cases: install the mocks with the stack's config (the fixtures' known_hosts and a
 * test key added), import the program afresh (a cached module would not run again), and wait until
 * it has finished (`settle`, which fails on any problem the program reported).
 *
 * {@link runProgram} does all three. A test that needs a step between them (a hook on the monitor
 * after the mocks are in place, an import that must be refused, its own environment around the run)
 * calls {@link installProgramMocks}, {@link importProgram} and `settle` itself.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockState, settle } from "./mocks";
import { TEST_KNOWN_HOSTS } from "../fixtures/hostKeys";
import { loadStackConfig } from "../../lab/stackFile";

/** The program as the CLI runs it (Pulumi.yaml `main: index.ts`). */
export const PROGRAM = path.join(__dirname, "..", "..", "index");

/** The config key of the SSH private key, the one secret every run sets. */
export const SSH_PRIVATE_KEY = "macvlan-lab:sshPrivateKey";

export interface ProgramMocks {
    /** The stack: its name for the mocks, and the stack file the config defaults to. */
    stack: string;
    /**
     * The config as the engine passes it (`macvlan-lab:hosts` -> JSON text). Defaults to the stack
     * file's (`loadStackConfig(stack)`).
     */
    config?: Record<string, string>;
    /**
     * The `sshPrivateKey` the run gets, set over `config`. Each test passes its own text, so that it
     * can search the declared resources for it. null: no key at all.
     */
    key: string | null;
    /**
     * Whether the fixtures' known_hosts (`sshKnownHostsFile`, TEST_KNOWN_HOSTS) goes under `config`.
     * Defaults to true.
     */
    knownHosts?: boolean;
    /** Config keys whose values are secret. Defaults to `sshPrivateKey` alone. */
    secretKeys?: string[];
    /** Extra outputs a resource gets from the mocks (a command's stdout), as installMocks takes them. */
    outputs?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;
}

/** What a run declared: the mocks' record, and the program's exports (its stack outputs). */
export interface ProgramRun {
    state: MockState;
    program: Record<string, unknown>;
}

let last: MockState | undefined;

/**
 * The mocks {@link installProgramMocks} installed last (also when the run then failed: a test of a
 * refused config asserts that nothing was declared).
 */
export function lastProgramMocks(): MockState | undefined {
    return last;
}

/** Installs the mocks for a fresh run of the program with `o`'s stack and config. */
export function installProgramMocks(o: ProgramMocks): MockState {
    const config = {
        ...(o.knownHosts === false ? {} : TEST_KNOWN_HOSTS),
        ...(o.config ?? loadStackConfig(o.stack)),
        ...(o.key === null ? {} : { [SSH_PRIVATE_KEY]: o.key }),
    };
    last = installMocks(o.stack, config, o.secretKeys ?? [SSH_PRIVATE_KEY], o.outputs);
    return last;
}

/** Imports the program afresh (its module dropped from the cache first): it runs again under the mocks installed last. */
export async function importProgram(): Promise<Record<string, unknown>> {
    delete require.cache[require.resolve(PROGRAM)];
    return (await import(PROGRAM)) as Record<string, unknown>;
}

/** Installs the mocks, runs the program, waits until it has finished (`settle`: fails on any problem it reported). */
export async function runProgram(o: ProgramMocks): Promise<ProgramRun> {
    const state = installProgramMocks(o);
    const program = await importProgram();
    await settle(state);
    return { state, program };
}
