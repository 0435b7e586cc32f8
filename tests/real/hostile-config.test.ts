// Hostile strings in every free-form config key, property-style (fast-check): each key gets
// variants of a valid value with pieces that would become code in some sink (tests/hostileInput.ts).
// Whatever the schema accepts must render into files their real readers accept, carrying the
// value unchanged; whatever it refuses is named in the error. Nothing may ever run.
import * as assert from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { grafanaPlacement } from "../../components/grafana/placement";
import { appEnvironment } from "../../components/appEnvironment";
import { placePrometheusFilesScript } from "../../components/prometheus/steps";
import { stackArtifacts, StackArtifacts } from "../../stack/files";
import { generateTlsScript } from "../../components/tls/steps";
import { canonicalCidr } from "../../grammar/cidr";
import { readStackValues, StackConfigError, validateStack } from "../../config/load";
import { planStack, StackPlan } from "../../stack/plan";
import { stackConfig } from "../../config/stackFile";
import {
    canary,
    durations,
    hostileRuns,
    leaves,
    networks,
    readEnvFile,
    scratchWithCurl,
    secrets,
    variantOf,
} from "../hostileInput";
import { ensureToolchain, run, Tools } from "../tools";
import { tlsStepOf } from "../deployed";

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

const keyName = (keyPath: KeyPath) =>
    keyPath
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
        .join("")
        .slice(1);

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
            const ok = (r: { status: number | null; stdout: string; stderr: string }) =>
                assert.strictEqual(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
            if (name.endsWith(".sh")) ok(run("sh", ["-n", file]));
            if (/\.ya?ml$/.test(name)) {
                const doc = parseDocument(artifacts.files[name]);
                assert.deepStrictEqual(doc.errors, [], name);
                decoded.push(...leaves(doc.toJS()));
            }
            if (name === "containers.json" || name === "deploy-check.json" || /^grafana\/.*\.json$/.test(name))
                decoded.push(...leaves(JSON.parse(artifacts.files[name])));
            if (name.endsWith(".nft")) {
                ok(run("nft", ["-c", "-f", file]));
                decoded.push(
                    ...[...artifacts.files[name].matchAll(/elements = \{ ([^}]*) \}/g)].flatMap((m) =>
                        m[1].split(", "),
                    ),
                );
            }
            if (/\.(service|timer)$/.test(name)) {
                const verify = run("systemd-analyze", ["verify", file]);
                assert.deepStrictEqual([verify.status, verify.stderr], [0, ""], name);
                decoded.push(
                    ...[...artifacts.files[name].matchAll(/^Exec\w+=-?(.*)$/gm)].flatMap((m) => m[1].split(" ")),
                );
            }
            if (name === `prometheus/${path.basename(plan.prometheus.rulesPath)}`) {
                ok(run(tools.promtool, ["check", "rules", file]));
                // The shipped rule tests expect each annotation as written: Prometheus's template
                // engine, which expands annotations, must leave every runbook link unchanged.
                fs.writeFileSync(
                    path.join(path.dirname(file), plan.prometheus.ruleTestsFile),
                    artifacts.files[`prometheus/${plan.prometheus.ruleTestsFile}`],
                );
                ok(run(tools.promtool, ["test", "rules", plan.prometheus.ruleTestsFile], { cwd: path.dirname(file) }));
            }
            if (name === "app.env") {
                const env = readEnvFile(file);
                const expected = appEnvironment(plan.app, secrets.bearerToken);
                assert.deepStrictEqual(env.split, expected, "podman --env-file reads the values set");
                for (const [k, v] of Object.entries(expected))
                    assert.strictEqual(env.sourced[k], v, `a shell sourcing app.env reads ${k} unchanged`);
                decoded.push(...Object.values(env.sourced));
            }
        }
        // The Prometheus step, run with its paths under the scratch directory: the files land at
        // exactly those paths, and curl is asked for exactly the reload URL.
        if (changed.includes("steps/prometheus-create.sh")) {
            const p = plan.prometheus;
            const [rulesPath, scrapePath] = [scratch.dir + p.rulesPath, scratch.dir + p.scrapePath];
            const script = placePrometheusFilesScript({
                rulesPath,
                scrapePath,
                rules: "groups: []\n",
                scrape: "scrape_configs: []\n",
                reloadUrl: p.reloadUrl,
            });
            const placed = run("sh", ["-s"], { input: script, env: scratch.env });
            assert.strictEqual(placed.status, 0, placed.stderr);
            assert.ok(
                fs.existsSync(rulesPath) && fs.existsSync(scrapePath),
                `placed at ${rulesPath} and ${scrapePath}`,
            );
            decoded.push(p.rulesPath, p.scrapePath, ...scratch.curlArgs());
        }
        // The Grafana step, run with its paths under the scratch directory: the files land there.
        if (changed.includes("steps/grafana-create.sh") && plan.grafana) {
            const g = plan.grafana;
            const moved = {
                ...g,
                providerPath: scratch.dir + g.providerPath,
                dashboardsDir: scratch.dir + g.dashboardsDir,
            };
            const placed = run("sh", ["-s"], { input: grafanaPlacement(moved).step.create, env: scratch.env });
            assert.strictEqual(placed.status, 0, placed.stderr);
            assert.ok(
                fs.existsSync(moved.providerPath) && fs.readdirSync(moved.dashboardsDir).length === 3,
                `placed at ${moved.providerPath} and in ${moved.dashboardsDir}`,
            );
            decoded.push(g.providerPath, g.dashboardsDir);
        }
        // The TLS step, run with its directories under the scratch directory: the certificate
        // carries exactly the configured names.
        if (changed.includes("steps/tls-create.sh")) {
            const step = { ...tlsStepOf(plan), dir: `${scratch.dir}/tls`, caDir: `${scratch.dir}/ca`, owner: "0:0" };
            const issued = run("sh", ["-s"], { input: generateTlsScript(step), env: scratch.env });
            assert.strictEqual(issued.status, 0, issued.stderr);
            const text = run("openssl", [
                "x509",
                "-noout",
                "-ext",
                "subjectAltName",
                "-in",
                `${step.dir}/server.crt`,
            ]).stdout;
            decoded.push(...[...text.matchAll(/(?:DNS|IP Address):([^,\s]+)/g)].map((m) => m[1]));
        }
    } finally {
        fs.rmSync(scratch.dir, { recursive: true, force: true });
    }
    return decoded;
}

/** The stack files the keys are varied in: production, and the examples for the keys only they set. */
type BaseStack = "production" | "three-hosts" | "opensearch";
function baseValues(stack: BaseStack): Values {
    const values = readStackValues(stackConfig(stack));
    if (stack !== "opensearch") return values;
    // With a user, so that its name is varied too (the password is a secret: not a free-form key here).
    const jaeger = structuredClone(values.jaeger) as { storage: Values };
    jaeger.storage.username = "jaeger";
    return { ...values, jaeger, jaegerStoragePassword: "s3arch-Pa55w0rd!" };
}

/** Free-form keys of the stack files: a valid value to vary, and more candidates. */
const targets: {
    key: KeyPath;
    base: string;
    stack?: BaseStack;
    more?: fc.Arbitrary<string>;
    landsAs?: (value: string) => string;
}[] = [
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
    { key: ["prometheus", "apiUrl"], base: "http://prometheus.internal:9090", more: fc.webUrl() },
    { key: ["grafana", "lokiDatasourceUid"], base: "loki" },
    { key: ["grafana", "lokiServiceLabel"], base: "service_name" },
    // The ruleset writes IPv6 networks in the one form nft always parses.
    { key: ["trustedNetworks", "ingest", 0], base: "10.10.1.0/24", more: networks, landsAs: canonicalCidr },
    { key: ["trustedNetworks", "admin", 0], base: "fd00:10:8::/48", more: networks, landsAs: canonicalCidr },
    { key: ["tls", "appCaPath"], base: "/etc/ivatar/otel-ca.pem" },
    { key: ["grafana", "folder"], base: "ivatar-otel" },
    { key: ["grafana", "provisioningDir"], base: "/etc/grafana/provisioning/dashboards" },
    { key: ["grafana", "dashboardsDir"], base: "/var/lib/grafana/dashboards" },
    { key: ["tls", "reloadInterval"], base: "1h", more: durations },
    { stack: "three-hosts", key: ["collectorHosts", 1, "address"], base: "collector-2.internal", more: fc.domain() },
    {
        stack: "three-hosts",
        key: ["trustedNetworks", "collectors", 0],
        base: "10.10.2.0/24",
        more: networks,
        landsAs: canonicalCidr,
    },
    {
        stack: "opensearch",
        key: ["jaeger", "storage", "servers", 0],
        base: "https://search-1.internal:9200",
        more: fc.webUrl(),
    },
    { stack: "opensearch", key: ["jaeger", "storage", "indexPrefix"], base: "ivatar-otel" },
    { stack: "opensearch", key: ["jaeger", "storage", "username"], base: "jaeger" },
    {
        stack: "opensearch",
        key: ["jaeger", "storage", "indexCleanerImage"],
        base: "docker.io/jaegertracing/jaeger-es-index-cleaner:1.76.0",
    },
];

describe("hostile strings in every free-form key, checked by the real readers", function () {
    this.timeout(600_000);
    let tools: Tools;
    const stacks: BaseStack[] = ["production", "three-hosts", "opensearch"];
    const bases = Object.fromEntries(stacks.map((stack) => [stack, baseValues(stack)])) as Record<BaseStack, Values>;
    const baselines = Object.fromEntries(
        stacks.map((stack) => [stack, stackArtifacts(planStack(validateStack(bases[stack])), secrets)]),
    ) as Record<BaseStack, StackArtifacts>;

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
            fc.assert(
                fc.property(values, (value) => {
                    let plan: StackPlan;
                    try {
                        plan = planStack(
                            validateStack(withValue(bases[target.stack ?? "production"], target.key, value)),
                        );
                    } catch (error) {
                        assert.ok(error instanceof StackConfigError, String(error));
                        assert.ok(
                            error.message.includes(`ivatar-otel:${name}:`),
                            `the error names ${name}:\n${error.message}`,
                        );
                        counts.refused++;
                        return;
                    }
                    counts.accepted++;
                    if (value === target.base) return; // the baseline itself: nothing changed to prove
                    const decoded = proveChanged(
                        tools,
                        plan,
                        stackArtifacts(plan, secrets),
                        baselines[target.stack ?? "production"],
                    );
                    const landed = target.landsAs ? target.landsAs(value) : value;
                    assert.ok(
                        decoded.some((d) => d.includes(landed)),
                        `${JSON.stringify(landed)} should land unchanged; decoded: ${JSON.stringify(decoded)}`,
                    );
                }),
                hostileRuns(60),
            );
            // Both sides of the grammar were exercised.
            assert.ok(
                counts.refused > 0 && counts.accepted > 0,
                `${name}: ${counts.accepted} accepted, ${counts.refused} refused`,
            );
            console.log(`      ${name}: ${counts.accepted} accepted, ${counts.refused} refused`);
        });
    }
});
