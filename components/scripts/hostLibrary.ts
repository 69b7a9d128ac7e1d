import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { DEFAULT_STATE_DIR, checkStatePath } from "../contracts";
import { scriptCommand } from "./command";
import { checkLibraryOwner, installedLibraryDir, libraryOwner, renderInstaller, shellLibrary } from "./index";

export interface HostLibraryArgs {
    /** The SSH connection to the host (its private key a secret). Required. */
    connection: command.types.input.remote.ConnectionArgs;
    /**
     * `<address>:<port>` of the host's SSH server: another one replaces the command (the old
     * library is removed over the old connection). Required.
     */
    endpoint: string;
    /**
     * The state directory on the host; the library goes to its `lib/<id>/`. Defaults to
     * `/var/lib/macvlan-lab`. Every script that uses the library must be rendered with the same one.
     */
    stateDir?: string;
    /**
     * Whose library directory it is on the host (`<stateDir>/lib/<owner>/<id>`): two stacks, or two
     * labs of one stack, sharing a host each have their own, so one's delete never removes what the
     * other's scripts source. A directory name (letters, digits, `.`, `_`, `-`). Defaults to
     * `<project>.<stack>.<name>` (`libraryOwner`). Another owner replaces the command.
     */
    owner?: string;
}

/**
 * The shell library (components/scripts) installed on one host, once, for every remote script of
 * that host: one `remote.Command` child, `${name}-install`, whose stdin carries the library's files
 * and whose delete removes them (and the directories installs made, once no owner is left). Its
 * directory is its owner's (this stack and component: two stacks sharing a host never share one)
 * and named by the library's content (`<stateDir>/lib/<owner>/<id>`): a new version of the library
 * is a new command (created before the old one is deleted), and the commands that use it run their
 * new create against it before the old directory goes. Give every command that sources the library `dependsOn: [lib.command]`
 * (`ready`), so it runs after the install and its delete runs before the library is removed.
 */
export class HostLibrary extends pulumi.ComponentResource {
    /** The library's directory on the host: `/var/lib/macvlan-lab/lib/<id>`. */
    public readonly dir: string;
    /** The state directory the library was rendered for. */
    public readonly stateDir: string;
    /** Whose directory it is: `<stateDir>/lib/<owner>/`. */
    public readonly owner: string;
    public readonly command: command.remote.Command;
    /** What later commands depend on. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: HostLibraryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("macvlan-lab:scripts:HostLibrary", name, {}, opts);
        this.stateDir = args.stateDir ?? DEFAULT_STATE_DIR;
        this.owner = args.owner ?? libraryOwner(pulumi.getProject(), pulumi.getStack(), name);
        try {
            checkStatePath("stateDir", this.stateDir);
            checkLibraryOwner(this.owner);
        } catch (e) {
            throw new pulumi.ResourceError(`HostLibrary ${name}: ${(e as Error).message}`, this);
        }
        const lib = shellLibrary();
        this.dir = installedLibraryDir(this.stateDir, this.owner);
        this.command = scriptCommand(
            `${name}-install`,
            {
                connection: args.connection,
                scripts: { create: renderInstaller("install", this.stateDir, this.owner), delete: renderInstaller("remove", this.stateDir, this.owner), identity: `sha256:${lib.digest}` },
                stdin: lib.bundle,
                // another library (its digest), host or owner: a new command; the old one is deleted after
                endpoint: args.endpoint,
                triggers: [this.owner],
                logging: "stdoutAndStderr",
            },
            // the component's dependsOn (a preflight, say) holds the install
            { parent: this, dependsOn: opts?.dependsOn },
        );
        this.ready = [this.command];
        this.registerOutputs({ dir: this.dir, owner: this.owner });
    }
}
