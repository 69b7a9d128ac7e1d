/**
 * The qemu lab's command line: `ts-node lab/vm/cli.ts image` builds the VM image (or finds it in the
 * cache) and prints where it is and what it holds; `userland-image` does the same for the userland
 * VMs' disk (lab/vm/userland-image.ts). .ci/run calls both as install steps so the download and
 * build times are visible on their own lines.
 */
import { ensureImage } from "./image";
import { ensureUserlandImage, USERLAND_PACKAGES } from "./userland-image";

async function main(argv: string[]): Promise<number> {
    const [command] = argv;
    switch (command) {
        case "image": {
            const image = await ensureImage((s) => console.log(`vm: ${s}`));
            console.log(
                `vm: image ${image.dir} (${image.built ? "built" : "cached"} in ${image.seconds.toFixed(1)} s): kernel ${image.kernelRelease} from ${image.kernelPackage}; userland ${Object.entries(image.userland)
                    .map(([p, v]) => `${p} ${v}`)
                    .join(", ")}`,
            );
            return 0;
        }
        case "userland-image": {
            const im = await ensureUserlandImage((s) => console.log(`vm: ${s}`));
            console.log(
                `vm: userland image ${im.dir} (${im.built ? "built" : "cached"} in ${im.seconds.toFixed(1)} s): kernel ${im.kernelRelease} from ${im.kernelPackage}; ` +
                    `${Object.keys(im.packages).length} packages (${USERLAND_PACKAGES.map((p) => `${p} ${im.packages[p]}`).join(", ")}); ` +
                    `root ${(im.rootBytes / 1e6).toFixed(0)} MB, disk ${(im.diskBytes / 1e6).toFixed(0)} MB`,
            );
            return 0;
        }
        default:
            console.error("usage: ts-node lab/vm/cli.ts image|userland-image");
            return 2;
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(`vm: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    },
);
