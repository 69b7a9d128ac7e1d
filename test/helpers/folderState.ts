/**
 * What a folder holds, for "the host is as it was" checks of the exec tests: every file, directory
 * and symbolic link under `root`, in name order, with its mode and its bytes (a link: its target,
 * never what it leads to, so a file replaced by a link, or a link by a file, shows).
 */
import * as fs from "fs";
import * as path from "path";

export interface FolderEntry {
    /** Relative to the root; a directory ends in `/`. */
    path: string;
    /** Permission bits in octal, or `link`. */
    mode: string;
    /** A file's bytes (base64), a link's target. */
    bytes?: string;
}

export function folderState(root: string): FolderEntry[] {
    const out: FolderEntry[] = [];
    const walk = (dir: string) => {
        for (const name of fs.readdirSync(dir).sort()) {
            const full = path.join(dir, name);
            const st = fs.lstatSync(full);
            const rel = path.relative(root, full);
            if (st.isDirectory()) {
                out.push({ path: `${rel}/`, mode: (st.mode & 0o7777).toString(8) });
                walk(full);
            } else if (st.isSymbolicLink()) {
                out.push({ path: rel, mode: "link", bytes: fs.readlinkSync(full) });
            } else {
                out.push({ path: rel, mode: (st.mode & 0o7777).toString(8), bytes: fs.readFileSync(full).toString("base64") });
            }
        }
    };
    walk(root);
    return out;
}
