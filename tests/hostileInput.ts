// Hostile input for the property tests (fast-check): pieces that would become code, a second
// line or a second argument in some language (shell, systemd, YAML, nftables, Prometheus
// templates, env files), generators that mix them into valid values, and the readers' views of
// what the renderers wrote. Whatever would run a command touches the canary file.
import * as assert from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run, tempDir } from "./tools";

export const canary = path.join(os.tmpdir(), `ivatar-otel-canary-${process.pid}`);
export const secrets = {
    bearerToken: "hostile-test-token-0123456789",
    canaryKey: "hostileTestCanaryKey",
    storagePassword: "hostile-test-password-0123",
};

/**
 * fast-check run options: `runs` cases per property, scaled by HOSTILE_RUNS_SCALE for a longer
 * hunt, with HOSTILE_SEED to replay a failure exactly (fast-check prints the seed when one fails).
 */
export function hostileRuns(runs: number): { numRuns: number; seed?: number } {
    const scale = Number(process.env.HOSTILE_RUNS_SCALE ?? "1");
    const seed = process.env.HOSTILE_SEED === undefined ? undefined : Number(process.env.HOSTILE_SEED);
    return { numRuns: Math.max(1, Math.round(runs * scale)), ...(seed === undefined ? {} : { seed }) };
}

/** Pieces that become code, a second line or a second argument if a sink forgets its language. */
export const pieces = [
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `'; touch ${canary}; '`,
    `"; touch ${canary}; "`,
    `\ntouch ${canary}\n`,
    "%H",
    "%%",
    "{{ .Value }}",
    "{{",
    "}}",
    "${HOME}",
    "$x",
    "..",
    "/",
    "\\",
    "#",
    ";",
    "|",
    "&",
    "*",
    "?",
    "~",
    "!",
    "=",
    ",",
    ":",
    "@",
    "+",
    "-",
    "_",
    ".",
    " ",
    "\t",
    "\r",
    "\n",
    "'",
    '"',
    "<",
    ">",
    "[",
    "]",
    "é",
    "\u202e",
    "0",
];

/** Pieces most grammars allow, so that variants land on both sides of each grammar. */
export const benign = ["a", "z", "Q", "0", "7", "-", ".", "/", ":", "1h", "30m", "x-y"];

/** The base value with one to three of the given pieces inserted at one place. */
function inserted(base: string, piece: fc.Arbitrary<string>): fc.Arbitrary<string> {
    return fc
        .tuple(fc.nat({ max: base.length }), fc.array(piece, { minLength: 1, maxLength: 3 }))
        .map(([at, added]) => base.slice(0, at) + added.join("") + base.slice(at));
}

/** The base value with hostile or benign pieces inserted. */
export const variantOf = (base: string) =>
    inserted(base, fc.oneof(fc.constantFrom(...pieces), fc.constantFrom(...benign)));

/** The base value with benign pieces only: mostly inside the grammar, and varied. */
export const benignVariantOf = (base: string) => inserted(base, fc.constantFrom(...benign));

/** Any string: the pieces and arbitrary characters, for the renderers' own checks. */
export const anyString = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc
        .array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), { maxLength: 6 })
        .map((p) => p.join("")),
);

/** For the renderers: a hostile variant, a benign one, or any string at all. */
export const near = (base: string) => fc.oneof(variantOf(base), benignVariantOf(base), anyString);

/** Durations on both sides of the grammar: units Go knows or not, within ten years or past it. */
export const durations = fc
    .tuple(fc.nat({ max: 200_000 }), fc.constantFrom("h", "m", "s", "d", "", "ms", "H"))
    .map(([n, unit]) => `${n}${unit}`);
/** Networks with or without host bits, IPv4 and IPv6 (mixed forms included). */
export const networks = fc.oneof(
    fc.tuple(fc.ipV4(), fc.constantFrom(32, 32, 24, 8, 33)).map(([a, p]) => `${a}/${p}`),
    fc.tuple(fc.ipV6(), fc.constantFrom(128, 128, 64, 129)).map(([a, p]) => `${a}/${p}`),
);

/** Every string leaf of a parsed document. */
export function leaves(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(leaves);
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap(leaves);
    return [];
}

/** The env file as a shell that sources it sees it, and as podman's --env-file splits it. */
export function readEnvFile(file: string): { sourced: Record<string, string>; split: Record<string, string> } {
    const out = run("sh", ["-c", `set -a; . "$1"; env -0`, "sh", file], { env: { PATH: process.env.PATH } });
    assert.strictEqual(out.status, 0, out.stderr);
    const sourced = Object.fromEntries(
        out.stdout
            .split("\0")
            .filter(Boolean)
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const split = Object.fromEntries(
        fs
            .readFileSync(file, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return { sourced, split };
}

/** A scratch directory with a `curl` that records its arguments instead of reaching anything. */
export function scratchWithCurl(): { dir: string; env: NodeJS.ProcessEnv; curlArgs: () => string[] } {
    const dir = tempDir("hostile");
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin/curl"), `#!/bin/sh\nprintf '%s\\0' "$@" > ${dir}/curl-args\n`, {
        mode: 0o755,
    });
    const env = { PATH: `${dir}/bin:${process.env.PATH}` };
    const curlArgs = () =>
        fs.existsSync(`${dir}/curl-args`)
            ? fs.readFileSync(`${dir}/curl-args`, "utf8").split("\0").filter(Boolean)
            : [];
    return { dir, env, curlArgs };
}
