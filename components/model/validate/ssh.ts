/** The `ssh:` section: the SSH defaults every host inherits unless it sets its own. */
import { USER_NAME } from "../names";
import type { Reader } from "./reader";

/** Shared SSH defaults (`ssh:` key). */
export interface SshDefaults {
    user: string;
    port: number;
    dialErrorLimit: number;
    perDialTimeout: number;
    /** Every host without its own hostKey accepts any host key (labs only). */
    insecureIgnoreHostKey: boolean;
}

const SSH_FIELDS = ["user", "port", "dialErrorLimit", "perDialTimeout", "insecureIgnoreHostKey"] as const;

export function readSshDefaults(r: Reader, v: unknown): SshDefaults {
    const d: SshDefaults = { user: "root", port: 22, dialErrorLimit: 5, perDialTimeout: 10, insecureIgnoreHostKey: false };
    if (v === undefined) {
        return d;
    }
    const o = r.object(v, "ssh", SSH_FIELDS, "ssh (the SSH defaults)");
    if (!o) {
        return d;
    }
    return {
        user: o.user === undefined ? d.user : r.string(o.user, "ssh.user", USER_NAME, "a login name like root") ?? d.user,
        port: o.port === undefined ? d.port : r.int(o.port, "ssh.port", 1, 65535, "a TCP port") ?? d.port,
        dialErrorLimit:
            o.dialErrorLimit === undefined
                ? d.dialErrorLimit
                : r.int(o.dialErrorLimit, "ssh.dialErrorLimit", 1, 100, "a number of dial attempts") ?? d.dialErrorLimit,
        perDialTimeout:
            o.perDialTimeout === undefined
                ? d.perDialTimeout
                : r.int(o.perDialTimeout, "ssh.perDialTimeout", 1, 600, "a number of seconds") ?? d.perDialTimeout,
        insecureIgnoreHostKey: o.insecureIgnoreHostKey === undefined ? d.insecureIgnoreHostKey : r.bool(o.insecureIgnoreHostKey, "ssh.insecureIgnoreHostKey") ?? d.insecureIgnoreHostKey,
    };
}
