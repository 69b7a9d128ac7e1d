/**
 * DOT text laid out and drawn as SVG by Graphviz, in its WebAssembly build (@viz-js/viz, from npm:
 * no system package, works offline after `npm ci`).
 */
import { instance } from "@viz-js/viz";

/**
 * Graphviz sizes text with its built-in Helvetica metrics; viewers without Helvetica then pick
 * their own sans-serif. Listing the metric-compatible faces (Arial, Liberation Sans) keeps the
 * text inside its boxes on more machines. The layout itself is Graphviz's, unchanged.
 */
const FONT_FAMILY = "Helvetica,Arial,Liberation Sans,sans-serif";

/** The SVG of `dot` (layout engine `dot`). Throws on any error or warning Graphviz reports. */
export async function dotToSvg(dot: string): Promise<string> {
    const viz = await instance();
    const result = viz.render(dot, { format: "svg", engine: "dot" });
    const problems = result.errors.map((e) => `${e.level ?? "error"}: ${e.message}`);
    if (result.status !== "success" || problems.length > 0) {
        throw new Error(`graphviz: ${problems.join("; ") || result.status}`);
    }
    return result.output.replace(/font-family="Helvetica,sans-Serif"/g, `font-family="${FONT_FAMILY}"`);
}
