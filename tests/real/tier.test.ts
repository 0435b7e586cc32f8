// Live: the two-tier collector on this machine's Podman, containers standing in for hosts. Two
// fronts and three samplers from the tier renderers, Jaeger from the stack's own spec, TLS from the
// program's TLS step. Spans of one trace go through different fronts; one sampler is stopped
// and started again mid-run.
import * as assert from "assert";
import * as fs from "fs";
import { collectorContainer } from "../../components/collector/container";
import { collectorPaths } from "../../components/collector/config";
import { frontConfig, samplerConfig, tierCaPath, TierSettings } from "../../components/collector/tier";
import { ContainerSpec } from "../../components/container";
import { renderRules } from "../../components/prometheus/rules";
import { renderYaml } from "../../components/yaml";
import { generateTlsScript, removeTlsScript } from "../../components/tls/steps";
import { stackArtifacts } from "../../stack/files";
import { StackPlan } from "../../stack/plan";
import { tlsStepOf } from "../deployed";
import { livePlan, waitForHealth } from "../live";
import { distinctTraces, exportSpans, jaegerSpans, makeSpans, succeeded, Target, waitForJaeger } from "../otlp";
import { containerLogs, removeContainersAndVolumes, startContainer } from "../podman";
import { ensureToolchain, metricSums, runOk, run, tempDir, waitFor } from "../tools";

const metricSum = (text: string, name: string) => metricSums(text).get(name) ?? 0;

const runId = Date.now().toString(36);
const samplerPort = 4319;
const fronts = [0, 1].map((i) => ({ name: `ivatar-otel-tier-front-${i}`, grpc: 24317 + i, health: 23133 + i, metrics: 28888 + i }));
const samplers = [0, 1, 2].map((i) => ({ name: `ivatar-otel-tier-sampler-${i}`, health: 23143 + i, metrics: 28898 + i }));

/** A collector container of the tier: the stack's collector spec with its own name, config, ports and queue. */
function tierContainer(base: ContainerSpec, name: string, config: Record<string, unknown>, ports: [number, number][], ca: string): ContainerSpec {
    return {
        ...base,
        name,
        cpus: 0.5,
        ports: ports.map(([internal, external]) => ({ internal, external })),
        mounts: base.mounts.map((m) => ("volume" in m ? { ...m, volume: `${name}-queue` } : m)),
        files: [
            { path: collectorPaths.config, content: renderYaml("tier test", config) },
            ...base.files.filter((f) => f.path !== collectorPaths.config),
            { path: tierCaPath, content: ca },
        ],
    };
}

describe("live: two fronts and three samplers on local Podman", function () {
    this.timeout(900_000);
    let plan: StackPlan;
    let hostDir: string;
    let specs: ContainerSpec[] = [];
    let jaegerUrl: string;
    let token: string;
    let ca: string;
    const logs = () => specs.map((s) => `--- ${s.name}\n${containerLogs(s.name)}`).join("\n");
    const target = (front: number): Target => ({ protocol: "grpc", address: `localhost:${fronts[front].grpc}`, token, ca });
    const remove = () => removeContainersAndVolumes(specs);

    before(async () => {
        ensureToolchain();
        hostDir = tempDir("tier");
        plan = livePlan("development", hostDir, { samplingRatio: 0.1 });
        token = `tier-${runId}-token`;
        const artifacts = stackArtifacts(plan, { bearerToken: token });
        const tls = { ...tlsStepOf(plan), serverNames: ["localhost", "127.0.0.1", ...samplers.map((s) => s.name)] };
        ca = runOk("sh", ["-s"], { input: generateTlsScript(tls) });
        const tier: TierSettings = { samplers: samplers.map((s) => `${s.name}:${samplerPort}`), samplerPort };
        const base = collectorContainer({ ...plan.collector, bearerToken: token });
        const internal = plan.collector.ports;
        specs = [
            artifacts.containers.jaeger,
            ...samplers.map((s) => tierContainer(base, s.name, samplerConfig(plan.collector.config, tier), [[internal.health, s.health], [internal.internalMetrics, s.metrics]], ca)),
            ...fronts.map((f) => tierContainer(base, f.name, frontConfig(plan.collector.config, tier),
                [[internal.otlpGrpc, f.grpc], [internal.health, f.health], [internal.internalMetrics, f.metrics]], ca)),
        ];
        remove();
        for (const spec of specs) startContainer(spec);
        jaegerUrl = `http://127.0.0.1:${plan.jaeger.uiPort}`;
        try {
            for (const c of [...fronts, ...samplers]) await waitForHealth(c.health, `${c.name} healthy`);
            await waitForJaeger(jaegerUrl);
        } catch (error) {
            throw new Error(`${(error as Error).message}\n${logs()}`);
        }
    });
    after(() => {
        remove();
        runOk("sh", ["-s"], { input: removeTlsScript(tlsStepOf(plan)) });
        fs.rmSync(hostDir, { recursive: true, force: true });
    });

    /** Sends each trace's root span through front 0 and its children through front 1. */
    async function sendSplit(service: string, traces: number, error: boolean): Promise<void> {
        const spans = makeSpans({ service, traces, children: 2, error });
        const roots = spans.filter((s) => !s.parentSpanId);
        const children = spans.filter((s) => s.parentSpanId);
        for (const [front, part] of [[0, roots], [1, children]] as const) {
            for (let i = 0; i < part.length; i += 500) {
                const result = await exportSpans(target(front), part.slice(i, i + 500));
                assert.ok(succeeded(result), `front ${front}: ${result.error}\n${logs()}`);
            }
        }
    }

    /** Jaeger's spans of the service, by trace, once the count stops growing. */
    async function settledTraces(service: string, atLeast: number): Promise<Map<string, number>> {
        let last = -1;
        let spans = await jaegerSpans(jaegerUrl, service);
        await waitFor(`${service} settled in Jaeger`, async () => {
            spans = await jaegerSpans(jaegerUrl, service);
            const settled = spans.length === last && distinctTraces(spans) >= atLeast;
            last = spans.length;
            return settled || undefined;
        }, 180_000).catch(() => undefined);
        const byTrace = new Map<string, number>();
        for (const s of spans) byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? 0) + 1);
        return byTrace;
    }

    it("every front knows all three samplers", async () => {
        for (const f of fronts) {
            const text = await (await fetch(`http://127.0.0.1:${f.metrics}/metrics`)).text();
            assert.match(text, /^otelcol_loadbalancer_num_backends\{[^}]*\} 3$/m, `${f.name}:\n${text.split("\n").filter((l) => l.includes("loadbalancer")).join("\n")}`);
        }
    });

    it("samples a trace whose spans arrive through different fronts as one: every error trace whole, the others at the ratio and whole", async () => {
        const ok = `tier-ok-${runId}`;
        const errors = `tier-errors-${runId}`;
        const sent = 1500;
        const errorTraces = 150;
        await sendSplit(ok, sent, false);
        await sendSplit(errors, errorTraces, true);

        const kept = await settledTraces(errors, errorTraces);
        assert.strictEqual(kept.size, errorTraces, `error traces kept\n${logs()}`);
        assert.ok([...kept.values()].every((n) => n === 3), "every error trace whole");

        const ratio = plan.collector.config.samplingRatio;
        const sampled = await settledTraces(ok, 1);
        const sigma = Math.sqrt(sent * ratio * (1 - ratio));
        console.log(`      kept ${sampled.size} of ${sent} (expected ${sent * ratio} ± ${(4.5 * sigma).toFixed(0)})`);
        assert.ok(Math.abs(sampled.size - sent * ratio) <= 4.5 * sigma, `kept ${sampled.size} of ${sent}`);
        const partial = [...sampled.values()].filter((n) => n !== 3).length;
        assert.strictEqual(partial, 0, `${partial} sampled traces are not whole`);
    });

    it("loses no span sent while a sampler is stopped: the fronts hold its share until it is back", async () => {
        const service = `tier-outage-${runId}`;
        const traces = 300;
        await sendSplit(service, traces / 2, true);
        // A sampler holds each trace in memory until it decides (1 s after the root, at most
        // 10 s): what it holds when stopped is lost, as with one collector (README, Reliability).
        await new Promise((resolve) => setTimeout(resolve, 12_000));
        run("podman", ["stop", "--time", "2", samplers[1].name]);
        await sendSplit(service, traces / 2, true);
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        const queued = await Promise.all(fronts.map(async (f) => metricSum(await (await fetch(`http://127.0.0.1:${f.metrics}/metrics`)).text(), "otelcol_exporter_queue_size")));
        console.log(`      while the sampler was away the fronts held ${queued.join(" + ")} bytes on disk`);
        assert.ok(queued.some((q) => q > 0), "the fronts hold the stopped sampler's share");
        // The tier's alert rules read these names and labels: the failures name the sampler that is away.
        const rules = renderRules({ ...plan.prometheus.rules, tier: { samplers: samplers.length } });
        const used = [...new Set(rules.match(/\botelcol_loadbalancer_[a-z_]+/g))];
        assert.ok(used.length >= 2, used.join(", "));
        const exposed = (await Promise.all(fronts.map(async (f) => (await fetch(`http://127.0.0.1:${f.metrics}/metrics`)).text()))).join("\n");
        for (const name of used) assert.match(exposed, new RegExp(`^${name}\\{`, "m"), `a front exposes ${name}`);
        assert.match(exposed, new RegExp(`^otelcol_loadbalancer_backend_outcome\\{[^}]*endpoint="${samplers[1].name}:${samplerPort}"[^}]*success="false"[^}]*\\} [1-9]`, "m"),
            exposed.split("\n").filter((l) => l.startsWith("otelcol_loadbalancer_backend_outcome")).join("\n"));
        run("podman", ["start", samplers[1].name]);
        const kept = await settledTraces(service, traces);
        assert.strictEqual(kept.size, traces, `traces in Jaeger\n${logs()}`);
        assert.strictEqual([...kept.values()].reduce((a, b) => a + b, 0), traces * 3, "every span");
    });
});
