/**
 * The registry's CA on the machine running Pulumi, for the Docker provider's digest check.
 *
 * A `RegistryImage` asks the registry for the pushed image's digest itself, from the machine running
 * Pulumi, over https (`getImageDigest` of kreuzwerker terraform-provider-docker v4.6.0, the version
 * @pulumi/docker 5.2.0 bridges: lab/providers/docker/README.md "Which upstream"), with
 * `http.DefaultClient` (pulumi-docker's patch 0002): the registry's certificate is verified against
 * Go's system roots, which on Linux are a bundle file and every file of the directories in
 * `$SSL_CERT_DIR` (`crypto/x509` root_unix.go), read once per plugin process at its first
 * verification. The provider takes no CA of its own, and its process has the environment of the
 * `pulumi` CLI. So the program writes the CA into a directory that `SSL_CERT_DIR` names when `pulumi`
 * starts (`controllerCaDir`), before the first push, with a `local.Command` whose delete removes it
 * again.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { shellQuote } from "../shell";

/** The file name of a stack's registry CA: `macvlan-lab-<project>-<stack>-<address>_<port>.crt`. Pure. */
export function controllerCaFileName(project: string, stack: string, endpoint: string): string {
    return `macvlan-lab-${`${project}-${stack}-${endpoint}`.replace(/[^a-zA-Z0-9.-]/g, "_")}.crt`;
}

/**
 * Why `dir` cannot work as the place of the CA for the digest check, or undefined: it must be an
 * absolute path named in `SSL_CERT_DIR` (`:`-separated) of this process, whose environment is the
 * `pulumi` CLI's, which its plugins get too. Pure apart from reading `env`.
 */
export function controllerCaDirProblem(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const fix = (d: string) => `run pulumi with SSL_CERT_DIR=${d}:/etc/ssl/certs (Go's roots: the Docker provider verifies the registry's certificate with them when it checks a pushed image's digest)`;
    if (dir === undefined) {
        return `controllerCaDir is not set, and registry.security is tls: the Docker provider checks every pushed image's digest over https from this machine and verifies the registry's certificate with this machine's roots; set controllerCaDir to a directory of yours (pulumi config set controllerCaDir ~/.config/macvlan-lab/ca) and ${fix("<that directory>")}`;
    }
    if (!path.isAbsolute(dir)) {
        return `controllerCaDir ${JSON.stringify(dir)} is not an absolute path; give one like /home/you/.config/macvlan-lab/ca`;
    }
    const named = (env.SSL_CERT_DIR ?? "").split(":").filter((d) => d !== "").map((d) => path.resolve(d));
    if (!named.includes(path.resolve(dir))) {
        return `controllerCaDir ${dir} is not in SSL_CERT_DIR (${env.SSL_CERT_DIR === undefined ? "not set" : JSON.stringify(env.SSL_CERT_DIR)}), so the Docker provider would not trust the registry's CA; ${fix(dir)}`;
    }
    return undefined;
}

const SCRIPT = "controller-ca.sh";

/** The local script: the inputs, the text of controller-ca.sh, the call. Pure apart from reading that file. */
export function renderControllerCa(action: "write" | "remove", dir: string, file: string): string {
    const text = fs.readFileSync(path.join(__dirname, SCRIPT), "utf8");
    return ["set -eu", `# macvlan-lab: the registry CA for the Docker provider's digest check: ${action}`, `dir=${shellQuote(dir)}`, `file=${shellQuote(file)}`, text.trimEnd(), `ca_file_${action}`, ""].join("\n");
}

export interface ControllerCaTrustArgs {
    /** A directory named in `SSL_CERT_DIR` of the `pulumi` run (see {@link controllerCaDirProblem}). Required. */
    dir: string;
    /** The file's name in it. Required. */
    file: string;
    /** The registry's CA (PEM). A new CA rewrites the file (the command is replaced). */
    caCertificate: pulumi.Input<string>;
}

/** The registry's CA as `<dir>/<file>` on the machine running Pulumi; delete removes the file. */
export class ControllerCaTrust extends pulumi.ComponentResource {
    public readonly command: command.local.Command;

    constructor(name: string, args: ControllerCaTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:docker:ControllerCaTrust", name, {}, opts);
        const create = renderControllerCa("write", args.dir, args.file);
        const del = renderControllerCa("remove", args.dir, args.file);
        this.command = new command.local.Command(
            `${name}-file`,
            {
                create,
                delete: del,
                stdin: args.caCertificate,
                // a new CA or place replaces the file (the old one removed first)
                triggers: [create, pulumi.output(args.caCertificate).apply((pem) => pem)],
            },
            { parent: this, deleteBeforeReplace: true },
        );
        this.registerOutputs({});
    }
}
