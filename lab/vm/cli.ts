/**
 * The qemu lab's command line: `ts-node lab/vm/cli.ts image` builds the VM image (or finds it in the
 * cache) and prints where it is and what it holds; .ci/run calls it as an install step so the
 * download and build time is visible on its own line.
 */
import { ensureImage } from "./image";

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
        default:
            console.error("usage: ts-node lab/vm/cli.ts image");
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
