/** Reading what pulumi prints: its resource summary and the resources its diagnostics name. */

/**
 * Pulumi's `Resources:` summary: `{ created: 22 }`, `{ unchanged: 52 }`, `{ replaced: 1, unchanged: 2 }`,
 * and for a preview `{ "to create": 52 }`. The last summary in the text. Pure.
 */
export function resourceSummary(text: string): Record<string, number> {
    const lines = text.split("\n");
    const at = lines.map((l) => l.trim()).lastIndexOf("Resources:");
    const out: Record<string, number> = {};
    if (at < 0) return out;
    for (const l of lines.slice(at + 1)) {
        const m = /^\s*(?:[-+~]{1,2}\s*)?(\d+) ([a-z][a-z ]*[a-z])\s*$/.exec(l);
        if (m === null) break;
        out[m[2]] = Number(m[1]);
    }
    return out;
}

/** The resources Pulumi's `Diagnostics:` section lists with an `error:` line: `type (name)`. Pure. */
export function erroredResources(text: string): string[] {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.trim() === "Diagnostics:");
    if (at < 0) return [];
    const out = new Set<string>();
    let current: string | undefined;
    for (const l of lines.slice(at + 1)) {
        if (l !== "" && !/^\s/.test(l)) break; // the next section (Outputs:, Resources:)
        const head = /^\s{2}(\S+) \((.+)\):$/.exec(l);
        if (head) {
            current = `${head[1]} (${head[2]})`;
            continue;
        }
        if (current !== undefined && /^\s+error: /.test(l)) out.add(current);
    }
    return [...out];
}
