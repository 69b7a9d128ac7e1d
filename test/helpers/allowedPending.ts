/**
 * The only tests that may be pending when `CI` is set, each with the reason it must print. Every
 * other test that cannot do its work (no root, a Debian package missing, no qemu, a setup step that
 * failed) fails under CI instead of pending (test/helpers/rootHooks.ts enforces it; its
 * `judgePending` is in ./pending.ts).
 *
 * What may be here: one of two paths that exclude each other by a fact of the machine that the test
 * itself measured and printed, where the other path runs in the same run. Nothing that a broken
 * setup can cause. A new entry says why in `why`; a reviewer reads this file, not the test output.
 */
import { AllowedPending } from "./pending";

export const ALLOWED_PENDING: readonly AllowedPending[] = [
    {
        file: "test/exec/host-exec.test.ts",
        title: /^exec: host networking scripts in a network namespace real 802\.1Q iproute2 on a kernel with 802\.1Q: /,
        reason: /^skipped: this kernel has no 802\.1Q \(ip link add \.\.\. type vlan says: .+\); the emulated and failure paths ran instead$/,
        why:
            "the kernel has no 802.1Q VLAN devices (the CI machines' 6.18 kernel, DESIGN.md); the test probed it in its namespace. " +
            "The emulated and the failure paths run instead in the same file, and test/vm runs the real path on Debian's cloud kernel",
    },
    // The converse, for a CI machine whose kernel has 802.1Q: the emulated paths have nothing to
    // emulate there, and the real path above runs instead.
    {
        file: "test/exec/host-exec.test.ts",
        title: /^exec: host networking scripts in a network namespace (8021q and VLAN interfaces without the lab's marker on a kernel without 802\.1Q|emulated VLANs \(the lab's marker and pre-created links\) )/,
        reason: /^skipped: this kernel has 802\.1Q/,
        why: "the kernel has 802.1Q (the test probed it): the real VLAN path runs instead, so there is no emulation or refusal to test",
    },
    {
        file: "test/lab/lab-hosts.test.ts",
        title: /^lab: hosts on this machine \(namespaces, sshd, dockerd\) puts both hosts' ens33\.10 on one segment, ens33\.20 on another, never bridged together$/,
        reason: /^skipped: this kernel has 802\.1Q, so the lab makes no emulated VLAN links/,
        why: "the kernel has 802.1Q (the lab probed it): the lab makes no emulated VLAN links, the product's VLAN devices are real",
    },
];
