// Every file the program places on hosts, for every stack file, proven by the program that reads
// it in production: the collector at the pinned version, Jaeger, promtool, nft, sh.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { collectorPaths } from "../../components/collector/config";
import { StackArtifacts, stackArtifacts } from "../../stack/files";
import { planFor, StackPlan } from "../../stack/plan";
import { allStackNames } from "../harness";
import { generateTlsScript, removeTlsScript, TlsStepSettings } from "../../components/tls/steps";
import { containerAddress, containerLogs, removeContainer, removeVolume, startContainer } from "../podman";
import { ensureToolchain, run, runOk, tempDir, Tools, waitFor, writeTree } from "../tools";
import { tlsStepUnder } from "../deployed";
import { collectorMetrics } from "../../components/selfMetrics";
import { renderRules, renderRuleTests } from "../../components/prometheus/rules";

const testSecrets = { bearerToken: "artifact-test-token-0123456789", canaryKey: "artifactTestCanaryKey" };

/**
 * `otelcol validate` inside the pinned image, with the config, the canary's key file (which the
 * config reads) and the queue volume mounted as deployed.
 */
function validateCollectorConfig(configPath: string, image: string): ReturnType<typeof run> {
    const canaryKeyFile = path.join(path.dirname(configPath), "canary-key");
    fs.writeFileSync(canaryKeyFile, testSecrets.canaryKey, { mode: 0o644 });
    return run("podman", [
        "run",
        "--rm",
        "--pull=never",
        "--user",
        "10001:10001",
        "-v",
        `${configPath}:${collectorPaths.config}:ro`,
        "-v",
        `${canaryKeyFile}:${collectorPaths.canaryKey}:ro`,
        "--mount",
        "type=tmpfs,destination=/var/lib/otelcol/queue,tmpfs-mode=1777",
        image,
        "validate",
        "--config",
        "/etc/otelcol-contrib/config.yaml",
    ]);
}

/** Every collector config a stack renders: the one collector's, or a tier's front and samplers. */
const collectorConfigs = (files: Record<string, string>) =>
    Object.keys(files)
        .filter((f) => /^(collector|sampler(-\d+)?)\/config\.yaml$/.test(f))
        .sort();

for (const stack of allStackNames) {
    describe(`artifacts of Pulumi.${stack}.yaml, checked by the real programs`, function () {
        this.timeout(300_000);
        let tools: Tools;
        let plan: StackPlan;
        let artifacts: StackArtifacts;
        let dir: string;
        /** With a tier: the first host's TLS material, made by the program's step here, for Jaeger's TLS receiver. */
        let tierTls: TlsStepSettings | undefined;

        before(() => {
            tools = ensureToolchain();
            plan = planFor(stack);
            dir = tempDir(`artifacts-${stack}`);
            const first = plan.collectorHosts[0].tls;
            if (plan.jaeger.tier && first.mode === "generate") {
                tierTls = tlsStepUnder(first.step, path.join(dir, "host"));
                artifacts = stackArtifacts(plan, {
                    ...testSecrets,
                    tierCa: runOk("sh", ["-s"], { input: generateTlsScript(tierTls) }),
                });
            } else {
                artifacts = stackArtifacts(plan, testSecrets);
            }
            writeTree(dir, artifacts.files);
        });
        after(() => {
            if (tierTls) runOk("sh", ["-s"], { input: removeTlsScript(tierTls) });
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("every collector config passes `validate` of the pinned collector image", () => {
            const configs = collectorConfigs(artifacts.files);
            assert.ok(
                configs.length === (plan.collectorHosts.length > 1 ? 1 + plan.collectorHosts.length : 1),
                configs.join(", "),
            );
            for (const config of configs) {
                const result = validateCollectorConfig(path.join(dir, config), plan.collectorHosts[0].collector.image);
                assert.strictEqual(result.status, 0, `${config}: ${result.stdout}${result.stderr}`);
            }
        });

        it("collector config with a misspelt key fails that same validation", () => {
            const broken = fs
                .readFileSync(path.join(dir, "collector/config.yaml"), "utf8")
                .replace("spike_limit_percentage:", "spike_limit_percentge:");
            fs.writeFileSync(path.join(dir, "collector/broken.yaml"), broken);
            const result = validateCollectorConfig(
                path.join(dir, "collector/broken.yaml"),
                plan.collectorHosts[0].collector.image,
            );
            assert.notStrictEqual(result.status, 0, "validation must reject an unknown key");
            assert.match(`${result.stdout}${result.stderr}`, /spike_limit_percentge/);
        });

        // A search cluster cannot run here: Jaeger's own validation reads that config instead.
        const searchBackend = planFor(stack).jaeger.storage.backend !== "badger";
        if (searchBackend) {
            it("Jaeger's own `validate` accepts the config for OpenSearch and for Elasticsearch, and refuses a misspelt key", () => {
                const config = fs.readFileSync(path.join(dir, "jaeger/config.yaml"), "utf8");
                const backend = plan.jaeger.storage.backend;
                const variants: [string, string, boolean][] = [
                    ["as-rendered.yaml", config, true],
                    [
                        "other-backend.yaml",
                        config.replace(`${backend}:`, backend === "opensearch" ? "elasticsearch:" : "opensearch:"),
                        true,
                    ],
                    ["misspelt.yaml", config.replace("replicas:", "replicaz:"), false],
                ];
                for (const [name, text, valid] of variants) {
                    fs.writeFileSync(path.join(dir, "jaeger", name), text);
                    const result = run(tools.jaeger, ["validate", "--config", path.join(dir, "jaeger", name)]);
                    assert.strictEqual(result.status === 0, valid, `${name}: ${result.stdout}${result.stderr}`);
                }
            });
        }

        if (!searchBackend)
            it("Jaeger starts with its rendered config and reports healthy on 13133", async () => {
                // Its data on a volume of its own; a tier's TLS receiver reads the certificate made above.
                const volume = `ivatar-otel-artifact-jaeger-${stack}`;
                const spec = {
                    ...artifacts.containers.jaeger,
                    name: `ivatar-otel-artifact-jaeger-${stack}`,
                    ports: [],
                    mounts: [
                        { volume, containerPath: "/badger" },
                        ...(tierTls ? [{ hostPath: tierTls.dir, containerPath: "/etc/jaeger/tls" }] : []),
                    ],
                };
                try {
                    startContainer(spec);
                    const address = containerAddress(spec.name);
                    const status = await waitFor(
                        "Jaeger health",
                        async () => {
                            const response = await fetch(`http://${address}:13133/status`);
                            return response.ok ? await response.text() : undefined;
                        },
                        60_000,
                    ).catch((error: Error) => {
                        throw new Error(`${error.message}\n${containerLogs(spec.name)}`);
                    });
                    assert.match(status, /StatusOK/);
                    // Its own metrics are named as the collector's are (no unit or type suffixes), so
                    // one set of rules and dashboards reads both.
                    const metrics = await (await fetch(`http://${address}:8888/metrics`)).text();
                    for (const name of [
                        collectorMetrics.cpuSeconds,
                        collectorMetrics.memoryRss,
                        "otelcol_process_uptime",
                    ]) {
                        assert.match(
                            metrics,
                            new RegExp(`^${name}[{ ]`, "m"),
                            `Jaeger exposes ${name} as the alert rules name it`,
                        );
                    }
                    assert.doesNotMatch(metrics, /^otelcol_\w+_total[{ ]/m, "no type suffix");
                    // Not ephemeral: badger keeps its files in the named volume.
                    const mountpoint = runOk("podman", [
                        "volume",
                        "inspect",
                        "--format",
                        "{{.Mountpoint}}",
                        volume,
                    ]).trim();
                    for (const sub of ["keys", "values"]) {
                        assert.ok(
                            fs.readdirSync(path.join(mountpoint, sub)).length > 0,
                            `badger wrote nothing under ${sub}/`,
                        );
                    }
                } finally {
                    removeContainer(spec.name);
                    removeVolume(volume);
                }
            });

        it("rule file passes `promtool check rules`", () => {
            const rules = path.join(dir, "prometheus", path.basename(plan.prometheus.rulesPath));
            const out = runOk(tools.promtool, ["check", "rules", rules]);
            assert.match(out, /SUCCESS: \d+ rules found/);
        });

        it("the shipped rule tests show every alert firing on a bad series and quiet on a healthy one", () => {
            const result = run(tools.promtool, ["test", "rules", plan.prometheus.ruleTestsFile], {
                cwd: path.join(dir, "prometheus"),
            });
            assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
            assert.match(result.stdout, /SUCCESS/);
        });

        it("with a collector tier, its rules pass `promtool check rules` and their own rule tests", () => {
            const tierDir = path.join(dir, "prometheus-tier");
            fs.mkdirSync(tierDir, { recursive: true });
            const settings = { ...plan.prometheus.rules, tier: { samplers: 3 } };
            fs.writeFileSync(path.join(tierDir, "rules.yml"), renderRules(settings));
            fs.writeFileSync(path.join(tierDir, "rules.test.yml"), renderRuleTests(settings, "rules.yml"));
            assert.match(runOk(tools.promtool, ["check", "rules", path.join(tierDir, "rules.yml")]), /SUCCESS/);
            const result = run(tools.promtool, ["test", "rules", "rules.test.yml"], { cwd: tierDir });
            assert.strictEqual(result.status, 0, `${result.stdout}${result.stderr}`);
            assert.match(
                fs.readFileSync(path.join(tierDir, "rules.test.yml"), "utf8"),
                /OtelCollectorTierBackendFailing fires/,
            );
        });

        it("a rule with a misspelt metric name fails the rule tests", () => {
            const rulesFile = path.join(dir, "prometheus", path.basename(plan.prometheus.rulesPath));
            const original = fs.readFileSync(rulesFile, "utf8");
            try {
                fs.writeFileSync(
                    rulesFile,
                    original.replace("otelcol_exporter_enqueue_failed_spans", "otelcol_exporter_enqueue_failed_span"),
                );
                const result = run(tools.promtool, ["test", "rules", plan.prometheus.ruleTestsFile], {
                    cwd: path.join(dir, "prometheus"),
                });
                assert.notStrictEqual(result.status, 0, "a misspelt metric must make its alert test fail");
                assert.match(`${result.stdout}${result.stderr}`, /OtelCollectorEnqueueFailures/);
            } finally {
                fs.writeFileSync(rulesFile, original);
            }
        });

        it("a Prometheus config with the rendered scrape jobs and rules passes `promtool check config`", () => {
            // Debian's Prometheus predates scrape_config_files: include the jobs inline.
            const scrape = fs.readFileSync(
                path.join(dir, "prometheus", path.basename(plan.prometheus.scrapePath)),
                "utf8",
            );
            const jobs = parse(scrape).scrape_configs;
            const config = {
                global: { scrape_interval: "30s" },
                rule_files: [path.basename(plan.prometheus.rulesPath)],
                scrape_configs: jobs,
            };
            fs.writeFileSync(path.join(dir, "prometheus/prometheus.yml"), stringify(config));
            const out = runOk(tools.promtool, ["check", "config", path.join(dir, "prometheus/prometheus.yml")]);
            assert.match(out, /SUCCESS/);
            assert.deepStrictEqual(
                jobs.map((j: { job_name: string }) => j.job_name),
                ["otel-collector-health", "otel-collector-exporter", "jaeger"],
            );
        });

        it("nftables ruleset passes `nft -c -f`", () => {
            for (const ruleset of Object.keys(artifacts.files).filter((f) =>
                /^firewall(-\d+)?\/ruleset\.nft$/.test(f),
            )) {
                const result = run("nft", ["-c", "-f", path.join(dir, ruleset)]);
                assert.strictEqual(result.status, 0, `${ruleset}: ${result.stderr}`);
            }
            const broken = path.join(dir, "firewall/broken.nft");
            fs.writeFileSync(
                broken,
                fs.readFileSync(path.join(dir, "firewall/ruleset.nft"), "utf8").replace("10.", "310."),
            );
            if (plan.collectorHosts[0].firewall.classes.some((c) => c.networks.some((n) => n.startsWith("10.")))) {
                assert.notStrictEqual(run("nft", ["-c", "-f", broken]).status, 0, "nft must reject a bad address");
            }
        });

        it("every systemd unit passes systemd-analyze verify without a warning", () => {
            const units = Object.keys(artifacts.files).filter((f) => /\.(service|timer)$/.test(f));
            assert.ok(units.length >= (plan.collectorHosts[0].tls.mode === "generate" ? 3 : 1), units.join(", "));
            const result = run("systemd-analyze", ["verify", ...units.map((u) => path.join(dir, u))]);
            assert.deepStrictEqual([result.status, result.stderr], [0, ""], units.join(", "));
        });

        it("every host step script parses as POSIX sh", () => {
            const scripts = Object.keys(artifacts.files).filter((f) => f.startsWith("steps/"));
            assert.ok(scripts.length >= 2);
            for (const script of scripts) {
                const result = run("sh", ["-n", path.join(dir, script)]);
                assert.strictEqual(result.status, 0, `${script}: ${result.stderr}`);
            }
        });
    });
}
