/**
 * Go's `%q` of a string (`strconv.Quote`), which pulumi-command puts in its error text
 * (remote/commandOutputs.go, `run`: `fmt.Errorf("%w: running %q:\n%s", ...)`). Pure.
 *
 * Rules (strconv/quote.go, appendQuotedWith / appendEscapedRune): `"` and `\` are escaped with a
 * backslash; printable runes (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the
 * ASCII space) are kept; \a \b \f \n \r \t \v by name; other runes below U+0020 and U+007F as \xNN;
 * other runes below U+10000 as \uNNNN, above as \UNNNNNNNN; bytes that are not valid UTF-8 as \xNN.
 */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const NAMED: Record<number, string> = { 7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v" };

function hex(n: number, width: number): string {
    return n.toString(16).padStart(width, "0");
}

/** `strconv.Quote(s)` for a JS string (lone surrogates, which UTF-8 cannot hold, come out as \uFFFD like Go's RuneError). */
export function goQuote(s: string): string {
    let out = '"';
    for (const ch of s) {
        let cp = ch.codePointAt(0) ?? 0;
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
        if (cp === 0x22 || cp === 0x5c) {
            out += `\\${String.fromCodePoint(cp)}`;
        } else if (PRINTABLE.test(String.fromCodePoint(cp))) {
            out += String.fromCodePoint(cp);
        } else if (NAMED[cp] !== undefined) {
            out += NAMED[cp];
        } else if (cp < 0x20 || cp === 0x7f) {
            out += `\\x${hex(cp, 2)}`;
        } else if (cp < 0x10000) {
            out += `\\u${hex(cp, 4)}`;
        } else {
            out += `\\U${hex(cp, 8)}`;
        }
    }
    return `${out}"`;
}
