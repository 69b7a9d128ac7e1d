/**
 * Shell quoting for rendered remote scripts.
 *
 * Every variable part of a script is validated by the spec first and then passed through
 * {@link shellQuote}: the result is one single-quoted POSIX shell word whose value is exactly
 * the input, whatever characters it holds.
 */

/** Quotes `value` as one POSIX shell word: wrapped in single quotes, each `'` written as `'\''`. */
export function shellQuote(value: string | number): string {
    const s = String(value);
    if (s.includes("\0")) {
        throw new Error(`cannot pass a NUL byte to a shell: ${JSON.stringify(s)}`);
    }
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every element and joins them with spaces: a safe argument list. */
export function shellJoin(values: ReadonlyArray<string | number>): string {
    return values.map(shellQuote).join(" ");
}
