/**
 * The pieces every validation message is made of: the offending value shown exactly (quoted and
 * escaped), the path of a config entry, and the closest valid name for a misspelt one. Pure.
 */

/**
 * Characters shown as escapes inside a quoted value: C0 and C1 controls, DEL, and the invisible or
 * look-alike spaces and marks (every `Zs` but the ASCII space, `Zl`, `Zp`, `Cf` such as a zero-width
 * space or a byte-order mark), and lone surrogates: what a reader could not see or could mistake
 * for something else. Printable non-ASCII (`é`, `：`) stays as it is.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]|\p{Cs}/gu;

/**
 * A config value as a message shows it: a string in double quotes with `"`, `\` and every
 * invisible character escaped (an empty string is `""`, a newline `\n`, a tab `\t`, a no-break
 * space `\u00a0`); a number, boolean, null, list or mapping as JSON; a missing value as `(missing)`.
 */
export function quote(v: unknown): string {
    if (v === undefined) {
        return "(missing)";
    }
    if (typeof v === "string") {
        return quoteString(v);
    }
    if (typeof v === "number" || typeof v === "boolean" || v === null) {
        return String(v);
    }
    try {
        const json = JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
        return json === undefined ? String(v) : json.replace(INVISIBLE, escapeChar);
    } catch {
        return String(v);
    }
}

function quoteString(s: string): string {
    // JSON.stringify escapes `"`, `\` and C0 controls (`\n`, `\t`, `\u0001`) and lone surrogates
    return JSON.stringify(s).replace(INVISIBLE, escapeChar);
}

function escapeChar(c: string): string {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** A key that reads as itself in a path (`hosts[0].nic`); anything else goes in brackets, quoted. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The path of `key` inside the mapping at `base`: `vlans[0].addresses.docker01`, `x["a b"]`. */
export function pathKey(base: string, key: string): string {
    const k = PLAIN_KEY.test(key) ? key : `[${quoteString(key)}]`;
    if (base === "") {
        return k;
    }
    return k.startsWith("[") ? `${base}${k}` : `${base}.${k}`;
}

/**
 * Optimal string alignment distance (Levenshtein plus the transposition of two neighbours), with a
 * case change counting half: `nics` -> `nic` is 1, `Hosts` -> `hosts` is 0.5, `hsots` -> `hosts` 1.
 */
export function editDistance(a: string, b: string): number {
    const n = a.length;
    const m = b.length;
    let prev2: number[] = new Array<number>(m + 1).fill(0);
    let prev: number[] = Array.from({ length: m + 1 }, (_, j) => j);
    for (let i = 1; i <= n; i++) {
        const cur: number[] = new Array<number>(m + 1);
        cur[0] = i;
        for (let j = 1; j <= m; j++) {
            const x = a[i - 1];
            const y = b[j - 1];
            const sub = x === y ? 0 : x.toLowerCase() === y.toLowerCase() ? 0.5 : 1;
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub);
            if (i > 1 && j > 1 && x === b[j - 2] && a[i - 2] === y && x !== y) {
                cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
            }
        }
        prev2 = prev;
        prev = cur;
    }
    return prev[m];
}

/**
 * The candidate closest to `word`, when it is close enough to be what was meant: at most 2 edits,
 * and fewer than half of the longer word's length (so `ip` is not offered for `id`'s typo `x`).
 * None when two candidates are equally close (`docker03` is as far from `docker01` as from
 * `docker02`: a guess would mislead). Failing that, the one candidate that the word begins or that
 * begins the word, of 4 characters or more (`timeout` for `timeoutSeconds`).
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    let tie = false;
    for (const c of new Set(candidates)) {
        const d = editDistance(word, c);
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
            tie = false;
        } else if (d === bestDistance) {
            tie = true;
        }
    }
    const limit = best === undefined ? 0 : Math.min(2, Math.max(word.length, best.length) / 2 - 0.01);
    if (best !== undefined && !tie && bestDistance <= limit) {
        return best;
    }
    // a word cut short or run on (`timeout` for `timeoutSeconds`): the one candidate it begins or ends
    const w = word.toLowerCase();
    const prefixed = [...new Set(candidates)].filter((c) => {
        const x = c.toLowerCase();
        return Math.min(x.length, w.length) >= 4 && (x.startsWith(w) || w.startsWith(x));
    });
    return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `did you mean X? ` when a candidate is close, else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
    const c = closest(word, candidates);
    return c === undefined ? "" : `did you mean ${c}? `;
}
