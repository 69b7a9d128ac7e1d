/**
 * The lab driver's state file: every resource it performed, in completion order, with what its
 * delete needs. It never holds a private key: connections keep address, port, user and the pinned
 * host key, and destroy is given the key file again.
 */
import * as fs from "fs";
import * as path from "path";

/** How to reach a host again at destroy time (never the key). */
export interface StoredConnection {
    host: string;
    port: number;
    user: string;
    /** How the host is called in messages (a lab host name or `<address>:<port>`). */
    label: string;
    /** The pinned host key (`remote.Command`'s `connection.hostKey`), when there was one. */
    hostKey?: string;
    dialErrorLimit?: number;
    perDialTimeout?: number;
    /** Docker provider hosts: its `sshOpts` (may name a key *file*, never key text). */
    sshOpts?: string[];
    /** Docker provider hosts: true; `remote.Command` hosts: false. */
    docker: boolean;
}

/** What destroying a resource does. */
export type DeleteAction =
    | { kind: "none" }
    /** `remote.Command`: its `delete` script over SSH. */
    | { kind: "command"; script: string; stdin?: string; environment?: Record<string, string> }
    | { kind: "container"; name: string; removeVolumes: boolean; graceSeconds?: number }
    | { kind: "network"; name: string }
    /** Removed only when the driver created it. */
    | { kind: "volume"; name: string; createdByDriver: boolean }
    /** Removed only when the driver pulled it and `keepLocally` is false. */
    | { kind: "image"; ref: string; pulledByDriver: boolean; keepLocally: boolean; force: boolean }
    /** The target tag, removed only when the driver created it. */
    | { kind: "tag"; ref: string; createdByDriver: boolean };

export interface StateEntry {
    urn: string;
    type: string;
    name: string;
    id: string;
    connection?: StoredConnection;
    /** Hash of the inputs that decide whether a `remote.Command` runs again. */
    inputsHash?: string;
    /** Outputs returned to the program (`remote.Command`: stdout, stderr; Docker: ids). */
    outputs: Record<string, unknown>;
    delete: DeleteAction;
    /** The resource failed part-way; its delete is still safe to run (Docker objects only). */
    failed?: boolean;
    /** When it completed (ms since the epoch). */
    completedAt: number;
}

export interface StateFile {
    note: string;
    version: 1;
    project: string;
    stack: string;
    updatedAt: string;
    /** In completion order; destroy runs them in reverse. */
    resources: StateEntry[];
}

export const STATE_NOTE =
    "Written by the macvlan-lab lab driver, a stand-in for the Pulumi engine and its providers for the local lab and tests only. Not a Pulumi state file.";

export function readState(file: string): StateFile | undefined {
    if (!fs.existsSync(file)) return undefined;
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
    if (doc.version !== 1 || !Array.isArray(doc.resources)) {
        throw new Error(`${file} is not a lab driver state file (version 1)`);
    }
    return doc;
}

/** Writes atomically (temp file + rename), mode 0600. */
export function writeState(file: string, state: StateFile): void {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
}
