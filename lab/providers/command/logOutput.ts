/**
 * How pulumi-command v1.2.1 logs a command's output while it runs, and where that stops.
 *
 * Upstream (remote/commandOutputs.go `run` lines 77-98, local/commandOutputs.go `run` lines 56-102)
 * writes every logged stream (stdout and/or stderr, per `logging`) into ONE `io.Pipe`, and
 * util/util.go `LogOutput` (lines 32-53) reads it with a default `bufio.Scanner`: lines split on
 * "\n" (a "\r" before it dropped), a token at most `bufio.MaxScanTokenSize` = 64 KiB. A line of
 * 65536 bytes or more fills the scanner's buffer without a newline: `Scan` returns false
 * (`bufio.ErrTooLong`), `LogOutput` returns, and nothing reads the pipe any more. The next byte
 * written to the pipe blocks the session's copy goroutine for ever (io.Pipe writes wait for a
 * reader), so `session.Run` never returns: the command hangs with no error. When no byte follows
 * (the over-long line is the very end of the logged output), the run finishes; only the logging
 * stopped.
 *
 * `OutputLog` follows those bytes: it splits the merged logged chunks as the scanner does and tells
 * its caller the moment upstream would hang, so the stand-in can fail there, loudly, instead.
 */

import { appendFileSync } from "fs";

/** `bufio.MaxScanTokenSize`: the scanner's buffer never grows past this. */
export const SCAN_LIMIT = 64 * 1024;

/** What the stand-in says where upstream hangs (one definition, used by runs and tests). */
export function longLineError(cmd: string, lineStart: string): string {
    return (
        `STAND-IN (command provider): the output of ${JSON.stringify(cmd)} has a line of ${SCAN_LIMIT} bytes or more ` +
        `(it starts ${JSON.stringify(lineStart)}), followed by more output. pulumi-command v1.2.1 HANGS here: its output ` +
        `logger (util.go LogOutput, a bufio.Scanner with a 64 KiB limit) stops reading, and the command never finishes, ` +
        `with no error. The stand-in stopped the command and fails instead. Print shorter lines (or set logging to "none" ` +
        `for this command).`
    );
}

/** The warning when the over-long line ended the output: upstream finishes but logs nothing after it. */
export function longLineWarning(lineStart: string): string {
    return (
        `STAND-IN (command provider): the output ends with a line of ${SCAN_LIMIT} bytes or more (it starts ` +
        `${JSON.stringify(lineStart)}): pulumi-command v1.2.1 stops logging the output there (bufio.ErrTooLong); ` +
        `the command itself finished`
    );
}

/**
 * The merged logged output of one run, read as `LogOutput` reads it. `push` each chunk of a logged
 * stream in the order it arrived; lines go to `onLine`. `push` returns "hang" when upstream would
 * block for ever with that chunk (the scanner has stopped and more bytes arrive).
 */
export class OutputLog {
    /** Bytes of the current line (since the last "\n"). */
    private line: Buffer[] = [];
    private lineBytes = 0;
    /** The scanner stopped (ErrTooLong): upstream reads nothing more. */
    stopped = false;
    /** The first bytes of the over-long line, for the message. */
    stoppedAt = "";
    /** The longest line seen so far, in bytes (an over-long one counts with its length at the stop). */
    longest = 0;

    constructor(private readonly onLine: (line: string) => void) {}

    push(chunk: Buffer): "ok" | "hang" {
        if (chunk.length === 0) return "ok";
        if (this.stopped) return "hang";
        let from = 0;
        for (;;) {
            const nl = chunk.indexOf(0x0a, from);
            const end = nl === -1 ? chunk.length : nl;
            const piece = chunk.subarray(from, end);
            if (this.lineBytes + piece.length >= SCAN_LIMIT) {
                // the buffer is full with no newline in it: ErrTooLong. Upstream's pipe writer is still
                // inside this write when the scanner filled its buffer at byte SCAN_LIMIT of the line,
                // so any byte of this chunk past that one blocks it.
                const take = SCAN_LIMIT - this.lineBytes;
                this.stopped = true;
                this.longest = Math.max(this.longest, SCAN_LIMIT);
                this.stoppedAt = Buffer.concat([...this.line, piece.subarray(0, take)]).subarray(0, 40).toString("utf8");
                this.line = [];
                this.lineBytes = 0;
                return from + take < chunk.length ? "hang" : "ok";
            }
            if (nl === -1) {
                this.line.push(Buffer.from(piece));
                this.lineBytes += piece.length;
                return "ok";
            }
            this.emit(Buffer.concat([...this.line, piece]));
            this.line = [];
            this.lineBytes = 0;
            from = nl + 1;
            if (from === chunk.length) return "ok";
        }
    }

    /** The end of the output: a last line without newline is a token too (ScanLines at EOF). */
    end(): void {
        if (!this.stopped && this.lineBytes > 0) this.emit(Buffer.concat(this.line));
        this.line = [];
        this.lineBytes = 0;
    }

    private emit(line: Buffer): void {
        this.longest = Math.max(this.longest, line.length);
        const l = line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
        this.onLine(l.toString("utf8"));
    }
}

/** Bytes of the longest line of a text (split on "\n"). Pure. */
export function longestLine(text: string): number {
    let max = 0;
    for (const l of text.split("\n")) max = Math.max(max, Buffer.byteLength(l));
    return max;
}

/**
 * The lab's record of every run's output (for the test that no host script prints a line anywhere
 * near the 64 KiB limit): when MACVLAN_LAB_COMMAND_OUTPUT_LOG names a file, each run appends one JSON
 * line `{"urn", "kind", "longestLine", "stdoutBytes", "stderrBytes", "failed"}`. Not an upstream
 * feature: nothing is written without the variable.
 */
export function recordOutput(
    env: NodeJS.ProcessEnv,
    entry: { urn: string; kind: "remote" | "local"; stdout: string; stderr: string; longestLogged: number; failed: boolean },
): void {
    const file = env.MACVLAN_LAB_COMMAND_OUTPUT_LOG;
    if (file === undefined || file === "") return;
    const line = {
        urn: entry.urn,
        kind: entry.kind,
        longestLine: Math.max(entry.longestLogged, longestLine(entry.stdout), longestLine(entry.stderr)),
        stdoutBytes: Buffer.byteLength(entry.stdout),
        stderrBytes: Buffer.byteLength(entry.stderr),
        failed: entry.failed,
    };
    try {
        appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
        // a record for a test: never fails a run
    }
}
