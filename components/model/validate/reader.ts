/**
 * The reader every section reads with: it collects one error per problem (the path, the value, the
 * fix) and returns undefined for a value it reported, so that a section never reports a value
 * twice. Also the subnet arithmetic and the value readers more than one section uses.
 */
import { IPv4, IPv4CidrRange } from "ip-num";
import { IPV4 } from "../../contracts";
import { ValidationError } from "../types";
import { namePatternProblem, parseImageReference } from "../names";
import { closest, didYouMean, pathKey, quote } from "../messages";
import type { Declared } from "./declared";

export type Obj = Record<string, unknown>;

export type NameKind = "hosts" | "networks" | "vlans";

/** `a`, `a and b`, `a, b and c`. */
export function listing(xs: readonly string[]): string {
    return xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}

/** Collects errors while reading; every reader returns undefined on a problem it reported. */
export class Reader {
    readonly errors: ValidationError[] = [];

    /**
     * Names the config declares, valid or not. A reference to a declared name that failed its own
     * validation is not reported again: one error per problem, at the place of the problem.
     */
    constructor(readonly declared: Declared) {}

    /**
     * Paths of fields an unknown key most likely meant (`hosts[0].address` for `hosts[0].adress`):
     * the unknown key's message stands for the missing field too.
     */
    readonly misspelt = new Set<string>();

    fail(path: string, message: string): undefined {
        this.errors.push({ path, message });
        return undefined;
    }

    /** Reports a missing required value (unless a misspelt key already stands for it). */
    missing(path: string, fix: string): undefined {
        return this.misspelt.has(path) ? undefined : this.fail(path, `${path} is missing; ${fix}`);
    }

    /**
     * Reports a reference to a name the stack does not declare, with the closest valid one, unless
     * the name is declared (its entry failed and said so) or an entry of that kind has no usable
     * name (the reference may mean it; its own error stands for both).
     */
    unknownName(kind: NameKind, name: string, path: string, valid: readonly string[], what: string, fix = "", value: unknown = name): undefined {
        if (this.declared[kind].has(name) || this.declared.uncertain[kind]) {
            return undefined;
        }
        const choices = valid.length > 0 ? `use one of ${valid.join(", ")}` : `(there is no valid one)`;
        return this.fail(path, `${path} ${quote(value)} is not ${what} of this stack; ${didYouMean(name, valid)}${fix}${choices}`);
    }

    /** A mapping whose keys must be among `fields` (`what` names the mapping in the message). */
    object(v: unknown, path: string, fields: readonly string[] | undefined, what: string): Obj | undefined {
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            return this.fail(path, `${path} ${quote(v)} is not a mapping; write ${what} as a YAML mapping (key: value lines)`);
        }
        if (fields !== undefined) {
            for (const k of Object.keys(v)) {
                if (!fields.includes(k)) {
                    const kp = pathKey(path, k);
                    const meant = closest(k, fields);
                    if (meant !== undefined && !Object.hasOwn(v, meant)) {
                        this.misspelt.add(pathKey(path, meant));
                    }
                    this.fail(kp, `${kp} is not a field of ${what}; ${meant === undefined ? "" : `did you mean ${meant}? `}the fields are ${fields.join(", ")}`);
                }
            }
        }
        return v as Obj;
    }

    array(v: unknown, path: string, what: string): unknown[] | undefined {
        if (!Array.isArray(v)) {
            return this.fail(path, `${path} ${quote(v)} is not a list; write ${what} as a YAML sequence (- item lines)`);
        }
        return v;
    }

    string(v: unknown, path: string, pattern: RegExp, what: string): string | undefined {
        if (v === undefined) {
            return this.missing(path, `write ${what}`);
        }
        if (typeof v !== "string" || !pattern.test(v)) {
            // a numeric "DNS name", an interface name iproute2 reads as an index: the specific reason
            const why = typeof v === "string" ? namePatternProblem(pattern, v) : undefined;
            return this.fail(path, `${path} ${quote(v)} ${why ?? `is not ${what}`}`);
        }
        return v;
    }

    int(v: unknown, path: string, min: number, max: number, what: string): number | undefined {
        if (v === undefined) {
            return this.missing(path, `write ${what}, a whole number from ${min} to ${max}`);
        }
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            const hint = typeof v === "string" && /^[0-9]+$/.test(v) ? ` (write it without quotes)` : "";
            return this.fail(path, `${path} ${quote(v)} is not ${what}; use a whole number from ${min} to ${max}${hint}`);
        }
        return v;
    }

    bool(v: unknown, path: string): boolean | undefined {
        if (typeof v !== "boolean") {
            return this.fail(path, `${path} ${quote(v)} is not true or false`);
        }
        return v;
    }

    oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
        if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
            const guess = typeof v === "string" ? didYouMean(v, allowed) : "";
            return this.fail(path, `${path} ${quote(v)} is not one of ${allowed.join(", ")}${guess === "" ? "" : `; ${guess.trim()}`}`);
        }
        return v as T;
    }

    ipv4(v: unknown, path: string): string | undefined {
        if (v === undefined) {
            return this.missing(path, "write an IPv4 address like 192.168.1.11");
        }
        if (typeof v !== "string" || !IPV4.test(v)) {
            return this.fail(path, `${path} ${quote(v)} is not an IPv4 address; write it like 192.168.1.11`);
        }
        return v;
    }

    /** An interface address: `a.b.c.d/len`, host bits allowed. */
    ipv4Interface(v: unknown, path: string): { ip: string; prefix: number; subnet: Bounds } | undefined {
        if (v === undefined) {
            return this.missing(path, "write an address with prefix length like 192.168.10.10/24");
        }
        const m = typeof v === "string" ? /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(v) : null;
        if (!m || !IPV4.test(m[1]) || Number(m[2]) < 1 || Number(m[2]) > 32) {
            return this.fail(path, `${path} ${quote(v)} is not an address with prefix length; write it like 192.168.10.10/24`);
        }
        const prefix = Number(m[2]);
        const subnet = boundsOf(m[1], prefix);
        const value = new IPv4(m[1]).getValue();
        if (prefix < 31 && (value === subnet.first || value === subnet.last)) {
            return this.fail(
                path,
                `${path} ${quote(v)} is the ${value === subnet.first ? "network" : "broadcast"} address of ${subnet.cidr}; pick a host address inside it`,
            );
        }
        return { ip: m[1], prefix, subnet };
    }

    subnet(v: unknown, path: string): IPv4CidrRange | undefined {
        if (v === undefined) {
            return this.missing(path, "write an IPv4 subnet like 172.16.10.0/24");
        }
        const m = typeof v === "string" ? /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(v) : null;
        if (!m || !IPV4.test(m[1]) || Number(m[2]) > 32) {
            return this.fail(path, `${path} ${quote(v)} is not an IPv4 subnet; write it like 172.16.10.0/24`);
        }
        const canonical = boundsOf(m[1], Number(m[2])).cidr;
        if (canonical !== v) {
            return this.fail(path, `${path} ${quote(v)} has host bits set; did you mean ${canonical}?`);
        }
        if (Number(m[2]) > 28) {
            return this.fail(path, `${path} ${quote(v)} is too small for a gateway and a dynamic range per host; use a prefix of /28 or shorter`);
        }
        return IPv4CidrRange.fromCidr(canonical);
    }
}

/** A subnet as numbers, computed once: first (network) and last (broadcast) address. */
export interface Bounds {
    cidr: string;
    first: bigint;
    last: bigint;
}

/** The bounds of `<ip>/<prefix>` (host bits ignored). */
export function boundsOf(ip: string, prefix: number): Bounds {
    const size = 1n << BigInt(32 - prefix);
    const first = (new IPv4(ip).getValue() / size) * size;
    return { cidr: `${IPv4.fromNumber(first)}/${prefix}`, first, last: first + size - 1n };
}

export function cidrBounds(cidr: string): Bounds {
    const [ip, len] = cidr.split("/");
    return boundsOf(ip, Number(len));
}

export function inBounds(b: Bounds, ip: string): boolean {
    const v = new IPv4(ip).getValue();
    return v >= b.first && v <= b.last;
}

/** `ip` when it is a host address of `subnet` (not outside, not its network or broadcast address); else reported at `path`. */
export function checkInSubnet(r: Reader, path: string, ip: string, subnet: Bounds, what: string): string | undefined {
    const cidr = subnet.cidr;
    const v = new IPv4(ip).getValue();
    if (v < subnet.first || v > subnet.last) {
        return r.fail(path, `${path} ${quote(ip)} is outside the subnet ${cidr}; pick a ${what} inside it`);
    }
    if (v === subnet.first) {
        return r.fail(path, `${path} ${quote(ip)} is the network address of ${cidr}; pick a ${what} inside it`);
    }
    if (v === subnet.last) {
        return r.fail(path, `${path} ${quote(ip)} is the broadcast address of ${cidr}; pick a ${what} inside it`);
    }
    return ip;
}

/** An image reference Docker accepts at `path` (`containers[i].image`, `registry.image`, a mirror's source), or reported there. */
export function imageRef(r: Reader, v: unknown, path: string): string | undefined {
    if (v === undefined) {
        return r.missing(path, "write an image reference like busybox:latest or 192.168.1.11:5000/busybox:v1");
    }
    if (typeof v !== "string" || parseImageReference(v) === undefined) {
        return r.fail(path, `${path} ${quote(v)} is not an image reference Docker accepts; write it like busybox:latest or 192.168.1.11:5000/busybox:v1 (lower-case repository, tag of letters, digits, _ . -)`);
    }
    return v;
}
