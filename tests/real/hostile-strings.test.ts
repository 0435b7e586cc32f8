// Hostile strings, property-style (fast-check). Each free-form config key gets values that mix
// its valid form with pieces that would become code in some sink: shell, systemd, YAML,
// nftables, Prometheus templates, env files. Whatever the schema accepts must render into files
// their real readers accept, carrying the value unchanged; whatever it refuses is named in the
// error. Then the renderers alone, fed such strings past the schema: refused, or safe. Nothing
// may ever run: every piece that would run a command touches a canary file, checked at the end.
import * as assert from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { appEnvironment, renderEnvFile } from "../../components/appEnvironment";
import { renderRuleset } from "../../components/firewall/ruleset";
import { renderFirewallUnit } from "../../components/firewall/steps";
import { renderRules, renderRuleTests } from "../../components/prometheus/rules";
import { placePrometheusFilesScript } from "../../components/prometheus/steps";
import { stackArtifacts, StackArtifacts } from "../../components/stackFiles";
import { renderRenewalService } from "../../components/tls/renewal";
import { generateTlsScript } from "../../components/tls/steps";
import { canonicalCidr } from "../../config/cidr";
import { readStackValues, StackConfigError, validateStack } from "../../config/load";
import { planStack, StackPlan } from "../../config/plan";
import { stackConfig } from "../../config/stackFile";
import { ensureToolchain, run, tempDir, Tools } from "../tools";

const canary = path.join(os.tmpdir(), `ivatar-otel-canary-${process.pid}`);
const secrets = { bearerToken: "hostile-test-token-0123456789" };

/** Pieces that become code, a second line or a second argument if a sink forgets its language. */
const pieces = [
    `$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`, `\ntouch ${canary}\n`,
    "%H", "%%", "{{ .Value }}", "{{", "}}", "${HOME}", "$x", "..", "/", "\\", "#", ";", "|", "&", "*", "?", "~", "!",
    "=", ",", ":", "@", "+", "-", "_", ".", " ", "\t", "\r", "\n", "'", "\"", "<", ">", "[", "]", "é", "\u202e", "0",
];

/** Pieces most grammars allow, so that variants land on both sides of each grammar. */
const benign = ["a", "z", "Q", "0", "7", "-", ".", "/", ":", "1h", "30m", "x-y"];

/** The base value with one to three pieces, hostile or benign, inserted at one place. */
function variantOf(base: string): fc.Arbitrary<string> {
    const piece = fc.oneof(fc.constantFrom(...pieces), fc.constantFrom(...benign));
    return fc.tuple(fc.nat({ max: base.length }), fc.array(piece, { minLength: 1, maxLength: 3 }))
        .map(([at, inserted]) => base.slice(0, at) + inserted.join("") + base.slice(at));
}

/** The base value with benign pieces only: mostly inside the grammar, and varied. */
function benignVariantOf(base: string): fc.Arbitrary<string> {
    return fc.tuple(fc.nat({ max: base.length }), fc.array(fc.constantFrom(...benign), { minLength: 1, maxLength: 3 }))
        .map(([at, inserted]) => base.slice(0, at) + inserted.join("") + base.slice(at));
}

/** Any string: the pieces and arbitrary characters, for the renderers' own checks. */
const anyString = fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((p) => p.join("")));

/** For the renderers: a hostile variant, a benign one, or any string at all. */
const near = (base: string) => fc.oneof(variantOf(base), benignVariantOf(base), anyString);

type Values = Record<string, unknown>;
type KeyPath = (string | number)[];

function withValue(values: Values, keyPath: KeyPath, value: string): Values {
    const copy = structuredClone(values);
    let node = copy as Record<string | number, unknown>;
    for (const part of keyPath.slice(0, -1)) {
        node[part] ??= {};
        node = node[part] as Record<string | number, unknown>;
    }
    node[keyPath[keyPath.length - 1]] = value;
    return copy;
}

const keyName = (keyPath: KeyPath) => keyPath.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").slice(1);

/** Every string leaf of a parsed document. */
function leaves(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(leaves);
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap(leaves);
    return [];
}

/** The env file as a shell that sources it sees it, and as podman's --env-file splits it. */
function readEnvFile(file: string): { sourced: Record<string, string>; split: Record<string, string> } {
    const out = run("sh", ["-c", `set -a; . "$1"; env -0`, "sh", file], { env: { PATH: process.env.PATH } });
    assert.strictEqual(out.status, 0, out.stderr);
    const sourced = Object.fromEntries(out.stdout.split("\0").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const split = Object.fromEntries(fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    return { sourced, split };
}

/** A scratch directory with a `curl` that records its arguments instead of reaching anything. */
function scratchWithCurl(): { dir: string; env: NodeJS.ProcessEnv; curlArgs: () => string[] } {
    const dir = tempDir("hostile");
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin/curl"), `#!/bin/sh\nprintf '%s\\0' "$@" > ${dir}/curl-args\n`, { mode: 0o755 });
    const env = { PATH: `${dir}/bin:${process.env.PATH}` };
    const curlArgs = () => (fs.existsSync(`${dir}/curl-args`) ? fs.readFileSync(`${dir}/curl-args`, "utf8").split("\0").filter(Boolean) : []);
    return { dir, env, curlArgs };
}

/**
 * Proves the artifacts that differ from the baseline with the programs that read them, and
 * returns what those programs decoded (string leaves, env values, curl arguments, placed paths,
 * certificate names), for the round-trip check.
 */
function proveChanged(tools: Tools, plan: StackPlan, artifacts: StackArtifacts, baseline: StackArtifacts): string[] {
    const changed = Object.keys(artifacts.files).filter((f) => artifacts.files[f] !== baseline.files[f]);
    const scratch = scratchWithCurl();
    const decoded: string[] = [];
    try {
        for (const name of changed) {
            const file = path.join(scratch.dir, "files", name);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, artifacts.files[name]);
            const ok = (r: { status: number | null; stdout: string; stderr: string }) => assert.strictEqual(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
            if (name.endsWith(".sh")) ok(run("sh", ["-n", file]));
            if (/\.ya?ml$/.test(name)) {
                const doc = parseDocument(artifacts.files[name]);
                assert.deepStrictEqual(doc.errors, [], name);
                decoded.push(...leaves(doc.toJS()));
            }
            if (name === "containers.json") decoded.push(...leaves(JSON.parse(artifacts.files[name])));
            if (name.endsWith(".nft")) {
                ok(run("nft", ["-c", "-f", file]));
                decoded.push(...[...artifacts.files[name].matchAll(/elements = \{ ([^}]*) \}/g)].flatMap((m) => m[1].split(", ")));
            }
            if (/\.(service|timer)$/.test(name)) {
                const verify = run("systemd-analyze", ["verify", file]);
                assert.deepStrictEqual([verify.status, verify.stderr], [0, ""], name);
                decoded.push(...[...artifacts.files[name].matchAll(/^Exec\w+=-?(.*)$/gm)].flatMap((m) => m[1].split(" ")));
            }
            if (name === `prometheus/${path.basename(plan.prometheus.rulesPath)}`) {
                ok(run(tools.promtool, ["check", "rules", file]));
                // The shipped rule tests expect each annotation as written: Prometheus's template
                // engine, which expands annotations, must leave every runbook link unchanged.
                fs.writeFileSync(path.join(path.dirname(file), plan.prometheus.ruleTestsFile), artifacts.files[`prometheus/${plan.prometheus.ruleTestsFile}`]);
                ok(run(tools.promtool, ["test", "rules", plan.prometheus.ruleTestsFile], { cwd: path.dirname(file) }));
            }
            if (name === "app.env") {
                const env = readEnvFile(file);
                const expected = appEnvironment(plan.app, secrets.bearerToken);
                assert.deepStrictEqual(env.split, expected, "podman --env-file reads the values set");
                for (const [k, v] of Object.entries(expected)) assert.strictEqual(env.sourced[k], v, `a shell sourcing app.env reads ${k} unchanged`);
                decoded.push(...Object.values(env.sourced));
            }
        }
        // The Prometheus step, run with its paths under the scratch directory: the files land at
        // exactly those paths, and curl is asked for exactly the reload URL.
        if (changed.includes("steps/prometheus-create.sh")) {
            const p = plan.prometheus;
            const [rulesPath, scrapePath] = [scratch.dir + p.rulesPath, scratch.dir + p.scrapePath];
            const script = placePrometheusFilesScript({ rulesPath, scrapePath, rules: "groups: []\n", scrape: "scrape_configs: []\n", reloadUrl: p.reloadUrl });
            const placed = run("sh", ["-s"], { input: script, env: scratch.env });
            assert.strictEqual(placed.status, 0, placed.stderr);
            assert.ok(fs.existsSync(rulesPath) && fs.existsSync(scrapePath), `placed at ${rulesPath} and ${scrapePath}`);
            decoded.push(p.rulesPath, p.scrapePath, ...scratch.curlArgs());
        }
        // The TLS step, run with its directories under the scratch directory: the certificate
        // carries exactly the configured names.
        if (changed.includes("steps/tls-create.sh")) {
            const step = { ...plan.tls.step, dir: `${scratch.dir}/tls`, caDir: `${scratch.dir}/ca`, owner: "0:0" };
            const issued = run("sh", ["-s"], { input: generateTlsScript(step), env: scratch.env });
            assert.strictEqual(issued.status, 0, issued.stderr);
            const text = run("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", `${step.dir}/server.crt`]).stdout;
            decoded.push(...[...text.matchAll(/(?:DNS|IP Address):([^,\s]+)/g)].map((m) => m[1]));
        }
    } finally {
        fs.rmSync(scratch.dir, { recursive: true, force: true });
    }
    return decoded;
}

/** Durations on both sides of the grammar: units Go knows or not, within ten years or past it. */
const durations = fc.tuple(fc.nat({ max: 200_000 }), fc.constantFrom("h", "m", "s", "d", "", "ms", "H")).map(([n, unit]) => `${n}${unit}`);
/** Networks with or without host bits, IPv4 and IPv6 (mixed forms included). */
const networks = fc.oneof(
    fc.tuple(fc.ipV4(), fc.constantFrom(32, 32, 24, 8, 33)).map(([a, p]) => `${a}/${p}`),
    fc.tuple(fc.ipV6(), fc.constantFrom(128, 128, 64, 129)).map(([a, p]) => `${a}/${p}`),
);

/** Free-form keys of the production stack file: a valid value to vary, and more candidates. */
const targets: { key: KeyPath; base: string; more?: fc.Arbitrary<string>; landsAs?: (value: string) => string }[] = [
    { key: ["serviceName"], base: "ivatar-production" },
    { key: ["serviceVersion"], base: "1.8.0" },
    { key: ["traceRetention"], base: "168h", more: durations },
    { key: ["collector", "endpointHost"], base: "collector.internal", more: fc.domain() },
    { key: ["collector", "hostDir"], base: "/etc/ivatar-otel" },
    { key: ["collector", "image"], base: "otel/opentelemetry-collector-contrib:0.115.1" },
    { key: ["jaeger", "image"], base: "jaegertracing/jaeger:2.1.0" },
    { key: ["prometheus", "rulesDir"], base: "/etc/prometheus/rules.d" },
    { key: ["prometheus", "scrapeConfigDir"], base: "/etc/prometheus/scrape.d" },
    { key: ["prometheus", "reloadUrl"], base: "http://localhost:9090/-/reload", more: fc.webUrl() },
    { key: ["prometheus", "runbookBaseUrl"], base: "https://wiki.internal/ivatar/runbook", more: fc.webUrl() },
    { key: ["prometheus", "scrapeAddress"], base: "collector.internal", more: fc.domain() },
    // The ruleset writes IPv6 networks in the one form nft always parses.
    { key: ["trustedNetworks", "ingest", 0], base: "10.10.1.0/24", more: networks, landsAs: canonicalCidr },
    { key: ["trustedNetworks", "admin", 0], base: "fd00:10:8::/48", more: networks, landsAs: canonicalCidr },
    { key: ["tls", "appCaPath"], base: "/etc/ivatar/otel-ca.pem" },
    { key: ["tls", "reloadInterval"], base: "1h", more: durations },
];

describe("hostile strings in every free-form key, checked by the real readers", function () {
    this.timeout(600_000);
    let tools: Tools;
    const production = readStackValues(stackConfig("production"));
    const baseline = stackArtifacts(planStack(validateStack(production)), secrets);

    before(() => {
        tools = ensureToolchain();
        fs.rmSync(canary, { force: true });
    });
    afterEach(() => assert.ok(!fs.existsSync(canary), `a hostile string ran a command: ${canary} exists`));

    for (const target of targets) {
        const name = keyName(target.key);
        it(`${name}: accepted values render safely and land unchanged; refused ones are named`, () => {
            const counts = { accepted: 0, refused: 0 };
            const values = target.more ? fc.oneof(variantOf(target.base), target.more) : variantOf(target.base);
            fc.assert(fc.property(values, (value) => {
                let plan: StackPlan;
                try {
                    plan = planStack(validateStack(withValue(production, target.key, value)));
                } catch (error) {
                    assert.ok(error instanceof StackConfigError, String(error));
                    assert.ok(error.message.includes(`ivatar-otel:${name}:`), `the error names ${name}:\n${error.message}`);
                    counts.refused++;
                    return;
                }
                counts.accepted++;
                if (value === target.base) return; // the baseline itself: nothing changed to prove
                const decoded = proveChanged(tools, plan, stackArtifacts(plan, secrets), baseline);
                const landed = target.landsAs ? target.landsAs(value) : value;
                assert.ok(decoded.some((d) => d.includes(landed)), `${JSON.stringify(landed)} should land unchanged; decoded: ${JSON.stringify(decoded)}`);
            }), { numRuns: 60 });
            // Both sides of the grammar were exercised.
            assert.ok(counts.refused > 0 && counts.accepted > 0, `${name}: ${counts.accepted} accepted, ${counts.refused} refused`);
            console.log(`      ${name}: ${counts.accepted} accepted, ${counts.refused} refused`);
        });
    }
});

describe("renderers fed hostile strings past the schema: refused, or safe", function () {
    this.timeout(300_000);
    const refused = (error: unknown) => error instanceof Error && /^refusing to render .* is outside its grammar$/s.test(error.message);
    const counts = { rendered: 0, refused: 0 };
    /** Runs the renderer: a refusal passes; anything rendered goes to `check`. */
    const refusedOr = <T>(render: () => T, check: (rendered: T) => void) => {
        let rendered: T;
        try {
            rendered = render();
        } catch (error) {
            assert.ok(refused(error), String(error));
            counts.refused++;
            return;
        }
        counts.rendered++;
        check(rendered);
    };
    beforeEach(() => Object.assign(counts, { rendered: 0, refused: 0 }));
    // Both outcomes were exercised by every property.
    afterEach(function () {
        if (this.currentTest?.state !== "passed") return;
        console.log(`      ${counts.rendered} rendered, ${counts.refused} refused`);
        assert.ok(counts.rendered > 0 && counts.refused > 0, JSON.stringify(counts));
    });
    let tools: Tools;
    before(() => {
        tools = ensureToolchain();
        fs.rmSync(canary, { force: true });
    });
    afterEach(() => assert.ok(!fs.existsSync(canary), `a hostile string ran a command: ${canary} exists`));

    it("env file: a value is refused, or both a shell and podman read it unchanged", () => {
        const dir = tempDir("hostile-env");
        try {
            fc.assert(fc.property(near("1.8.0"), (value) => refusedOr(() => renderEnvFile({ IVATAR_VERSION: value, OTEL_ENABLED: "true" }), (text) => {
                fs.writeFileSync(`${dir}/app.env`, text);
                const env = readEnvFile(`${dir}/app.env`);
                assert.deepStrictEqual([env.sourced.IVATAR_VERSION, env.split.IVATAR_VERSION, env.sourced.OTEL_ENABLED], [value, value, "true"]);
                assert.deepStrictEqual(Object.keys(env.split), ["IVATAR_VERSION", "OTEL_ENABLED"]);
            })), { numRuns: 200 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("TLS step: a certificate name or directory is refused, or the script runs in its directory and issues exactly that name", () => {
        const dir = tempDir("hostile-tls");
        try {
            fc.assert(fc.property(fc.oneof(near("collector.internal"), near("10.1.2.3")), near("ls"), (name, sub) => refusedOr(
                () => generateTlsScript({ dir: `${dir}/t${sub}`, caDir: `${dir}/ca`, owner: "0:0", serverNames: [name] }),
                (script) => {
                    const issued = run("sh", ["-s"], { input: script });
                    assert.strictEqual(issued.status, 0, issued.stderr);
                    const text = run("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", `${dir}/t${sub}/server.crt`]).stdout;
                    assert.match(text, new RegExp(`(DNS|IP Address):${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|$)`, "i"));
                    fs.rmSync(`${dir}/t${sub}`, { recursive: true, force: true });
                })), { numRuns: 150 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("systemd units: a path is refused, or the unit verifies and runs exactly that path", () => {
        const dir = tempDir("hostile-unit");
        try {
            fc.assert(fc.property(near("firewall.nft"), (sub) => {
                const target = `/etc/ivatar-otel/${sub}`;
                for (const [unit, render] of [["f.service", renderFirewallUnit], ["r.service", renderRenewalService]] as const) {
                    refusedOr(() => render(target), (text) => {
                        fs.writeFileSync(`${dir}/${unit}`, text);
                        const verify = run("systemd-analyze", ["verify", `${dir}/${unit}`]);
                        assert.deepStrictEqual([verify.status, verify.stderr], [0, ""], text);
                        assert.ok(text.split("\n").some((l) => l.startsWith("ExecStart=") && l.split(" ").some((w) => w === target || w === `${target}/renew.sh`)), text);
                    });
                }
            }), { numRuns: 60 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("alert rules: a runbook base is refused, or Prometheus's template engine leaves each link as written", () => {
        const dir = tempDir("hostile-rules");
        try {
            fc.assert(fc.property(fc.oneof(near("https://wiki.internal/runbook"), near("docs/runbook.md")), (base) => {
                const settings = { environment: "production", cpus: 4, memoryMb: 8192, runbookBaseUrl: base };
                refusedOr(() => renderRules(settings), (text) => {
                    fs.writeFileSync(`${dir}/rules.yml`, text);
                    fs.writeFileSync(`${dir}/tests.yml`, renderRuleTests(settings, "rules.yml"));
                    const tested = run(tools.promtool, ["test", "rules", "tests.yml"], { cwd: dir });
                    assert.strictEqual(tested.status, 0, tested.stdout + tested.stderr);
                    const links = leaves(parseDocument(text).toJS()).filter((l) => l.includes("#otelcollector"));
                    assert.ok(links.length > 0 && links.every((l) => l.startsWith(`${base}#`)), JSON.stringify(links));
                });
            }), { numRuns: 60 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("nftables ruleset: a network is refused, or nft accepts the table with exactly that network", () => {
        const dir = tempDir("hostile-nft");
        const network = fc.oneof(near("10.10.1.0/24"), networks);
        try {
            fc.assert(fc.property(network, (cidr) => refusedOr(() => renderRuleset({ classes: [{ name: "ingest", purpose: "OTLP", ports: [4317], networks: [cidr] }] }), (text) => {
                fs.writeFileSync(`${dir}/r.nft`, text);
                const checked = run("nft", ["-c", "-f", `${dir}/r.nft`]);
                assert.strictEqual(checked.status, 0, checked.stderr);
                assert.ok(text.includes(`elements = { ${canonicalCidr(cidr)} }`), text);
            })), { numRuns: 150 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("Prometheus step: a path or reload URL is refused, or the files land exactly there and curl gets exactly that URL", () => {
        fc.assert(fc.property(near("otel.yml"), fc.oneof(near("http://localhost:9090/-/reload"), fc.constant("")), (sub, url) => {
            const scratch = scratchWithCurl();
            try {
                const rulesPath = `${scratch.dir}/rules/${sub}`;
                refusedOr(() => placePrometheusFilesScript({ rulesPath, scrapePath: `${scratch.dir}/scrape.yml`, rules: "groups: []\n", scrape: "x: 1\n", reloadUrl: url }), (script) => {
                    const placed = run("sh", ["-s"], { input: script, env: scratch.env });
                    assert.strictEqual(placed.status, 0, placed.stderr);
                    assert.strictEqual(fs.readFileSync(rulesPath, "utf8"), "groups: []\n");
                    if (url) assert.strictEqual(scratch.curlArgs().at(-1), url);
                });
            } finally {
                fs.rmSync(scratch.dir, { recursive: true, force: true });
            }
        }), { numRuns: 100 });
    });
});
