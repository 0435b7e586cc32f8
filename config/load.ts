// Reads the stack config, merges the environment's defaults, validates everything at once.
// Nothing here registers resources: the program calls this first and stops on any problem.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { withDefaults } from "./defaults";
import { joinPath, valueAt } from "./keyPaths";
import { secretKeys, stackSchema, StackSettings } from "./schema";
import { crossCheck, Problem } from "./crossChecks";

export const namespace = "ivatar-otel";

/** Top-level keys that hold numbers; Pulumi hands every top-level value over as a string. */
const numericKeys = new Set(["samplingRatio"]);

/** One error listing every bad key: "<key>: <expected>, found <value>" per line. */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: Problem[]) {
        super(
            `ivatar-otel: the stack config has ${problems.length} problem(s); nothing was deployed:\n` +
                problems
                    .map(
                        (p) =>
                            `  - ${namespace}:${redactCredentials(p.path)}: ${redactCredentials(p.expected)}, found ${describe(p.path, p.found)}`,
                    )
                    .join("\n"),
        );
        this.name = "StackConfigError";
    }
}

/** Keys an earlier version read, and what replaced them. */
const renamedKeys: Record<string, string> = {
    "collector.queueSize": "collector.queueDiskGiB: the queue is sized in bytes on disk, not in batches",
};

/** Marks a value that must not be printed: that of a key the schema does not know. */
const notShown = Symbol("not shown");

/** Key names that look like they hold a secret, known or misspelt. */
const secretLooking = /key|secret|token|passw|credential/i;

/**
 * What may look like a credential pasted where it does not belong, in a printed value: a URL's or
 * SSH address's `user:password@`, a query parameter named like a secret, a bearer credential, a
 * PEM block, a JWT, and a long unbroken run of letters and digits (tokens, keys).
 */
const credentialShapes: [RegExp, string][] = [
    [/[^\s/@:"]+:[^\s/@"]*@/g, "[credentials hidden]@"],
    [/([?&][^=&\s"]*(?:key|secret|token|passw|credential|auth|sig)[^=&\s"]*=)[^&\s"]*/gi, "$1[hidden]"],
    [/\b(Bearer|Basic)\s+[^\s"]+/gi, "$1 [hidden]"],
    [/-----BEGIN [^-]*-----[\s\S]*?(-----END [^-]*-----|$)/g, "[PEM block hidden]"],
    [/\beyJ[A-Za-z0-9_-]{8,}(\.[A-Za-z0-9_-]+){0,2}/g, "[token hidden]"],
];

/**
 * A long run of letters and digits mixing digits with both cases (base64, most issued tokens), or
 * of hex digits, is taken for a token; names, paths, versions and images are not shaped so.
 */
const tokenLike = /[A-Za-z0-9+=_-]{20,}/g;
const count = (run: string, chars: RegExp) => (run.match(chars) ?? []).length;
const looksIssued = (run: string) =>
    /^[0-9a-f]{32,}$/i.test(run) || (count(run, /\d/g) >= 3 && count(run, /[a-z]/g) >= 3 && count(run, /[A-Z]/g) >= 3);

/** A printed value or key name with anything shaped like a credential replaced. */
export function redactCredentials(text: string): string {
    const shaped = credentialShapes.reduce((out, [shape, replacement]) => out.replace(shape, replacement), text);
    return shaped.replace(tokenLike, (run) => (looksIssued(run) ? "[token-like value hidden]" : run));
}

function describe(path: string, value: unknown): string {
    if (value === undefined) return "nothing (the key is not set, or empty)";
    // Never echo a secret, not even a malformed one; nor anything under a key nobody declared
    // (a misspelt secret key would otherwise print its value).
    if (value === notShown) return "a value (not shown)";
    const leaf = path.replace(/\[\d+\]/g, "").split(".");
    if (
        (secretKeys as readonly string[]).includes(leaf[0]) ||
        leaf.some((part) => secretLooking.test(part) && part !== "hostKey")
    )
        return "[secret]";
    const json = redactCredentials(JSON.stringify(value));
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** Parses Pulumi's string form of one config value into what the schema expects. */
export function parseConfigValue(key: string, text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return text;
        }
    }
    if (numericKeys.has(key) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
    return text;
}

/**
 * Every key of this project's namespace in the stack config, parsed, without defaults. An empty
 * value ("", {} or []) is the key's Pulumi.yaml default and means "not set": the environment's
 * default applies, or validation reports the key as missing.
 */
export function readStackValues(all: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith(`${namespace}:`)) continue;
        const key = fullKey.slice(namespace.length + 1);
        const value = parseConfigValue(key, text);
        if (isEmpty(value)) continue;
        values[key] = value;
    }
    return values;
}

function isEmpty(value: unknown): boolean {
    if (value === "" || (Array.isArray(value) && value.length === 0)) return true;
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function problemsFrom(issues: readonly z.core.$ZodIssue[], input: unknown, base: PropertyKey[] = []): Problem[] {
    const problems: Problem[] = [];
    for (const issue of issues) {
        const path = [...base, ...issue.path];
        if (issue.code === "unrecognized_keys") {
            for (const key of issue.keys) {
                const full = joinPath([...path, key]);
                const expected = renamedKeys[full]
                    ? `expected no such key (replaced by ${renamedKeys[full]})`
                    : "expected no such key (unknown key)";
                problems.push({ path: full, expected, found: notShown });
            }
        } else if (issue.code === "invalid_union" && issue.errors.length === 2) {
            // Host entries: report the inner problems of the form the value is trying to be.
            const value = valueAt(input, path);
            const isObject = typeof value === "object" && value !== null;
            const branch = isObject && "local" in value ? 1 : 0;
            if (isObject) problems.push(...problemsFrom(issue.errors[branch], input, path));
            else problems.push({ path: joinPath(path), expected: issue.message, found: value });
        } else {
            problems.push({ path: joinPath(path), expected: issue.message, found: valueAt(input, path) });
        }
    }
    return problems;
}

/** Validates stack values (as read by readStackValues) merged over the defaults. */
export function validateStack(stackValues: Record<string, unknown>): StackSettings {
    const merged = withDefaults(stackValues);
    const parsed = stackSchema.safeParse(merged);
    const problems = [...(parsed.success ? [] : problemsFrom(parsed.error.issues, merged)), ...crossCheck(merged)];
    if (problems.length > 0 || !parsed.success) throw new StackConfigError(problems);
    return parsed.data;
}

/** The validated settings of the running stack; throws StackConfigError before anything is registered. */
export function loadStackSettings(): StackSettings {
    return validateStack(readStackValues());
}
