// Live: the collector tier of docs/examples/Pulumi.three-hosts.yaml on this machine's Podman,
// containers standing in for hosts: the three samplers and two of the fronts from the stack's own
// container specs, Jaeger with its OTLP for the other hosts, a certificate per host from the
// program's TLS step (three CAs, one bundle). Spans of one trace go through different fronts;
// one sampler is stopped and started again mid-run.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ContainerSpec } from "../../components/container";
import { isSsh } from "../../components/host/settings";
import { renderRules } from "../../components/prometheus/rules";
import { generateTlsScript, removeTlsScript, TlsStepSettings } from "../../components/tls/steps";
import { readStackValues, validateStack } from "../../config/load";
import { stackConfig } from "../../config/stackFile";
import { stackArtifacts } from "../../stack/files";
import { planStack, StackPlan } from "../../stack/plan";
import { waitForHealth } from "../live";
import {
    distinctTraces,
    exportSpans,
    jaegerSpans,
    makeSpans,
    spansInJaeger,
    succeeded,
    Target,
    waitForJaeger,
} from "../otlp";
import { containerLogs, removeContainersAndVolumes, startContainer } from "../podman";
import { ensureToolchain, metricSums, runOk, run, tempDir, waitFor } from "../tools";
import { tlsStepUnder } from "../deployed";

const metricSum = (text: string, name: string) => metricSums(text).get(name) ?? 0;

const runId = Date.now().toString(36);
/** An address the samplers must mask before Jaeger stores it. */
const email = "avatar.owner@example.org";
/** Ports on this machine for what the test reads; the tier's own traffic stays on the Podman network. */
const fronts = [0, 1].map((i) => ({
    name: `ivatar-otel-tier-front-${i + 1}`,
    grpc: 24317 + i,
    health: 23133 + i,
    metrics: 28888 + i,
}));
const samplers = [0, 1, 2].map((i) => ({
    name: `ivatar-otel-tier-sampler-${i + 1}`,
    health: 23143 + i,
    metrics: 28898 + i,
}));

/** The collector hosts' names, as the fronts' ring has them. */
function hostNames(plan: StackPlan): string[] {
    return plan.collectorHosts.map((h) => (isSsh(h.host) ? h.host.address : "localhost"));
}

/** A host's container under a name of its own, with its queue volume and TLS directory per host, publishing only `ports`. */
function asHost(spec: ContainerSpec, name: string, hostDir: string, ports: [number, number][]): ContainerSpec {
    return {
        ...spec,
        name,
        // The example's sizing is per host; on this machine five collectors share two cores.
        cpus: 0.5,
        memoryMb: 1024,
        env: { GOMEMLIMIT: "800MiB" },
        ports: ports.map(([internal, external]) => ({ internal, external })),
        mounts: spec.mounts.map((m) =>
            "volume" in m ? { ...m, volume: `${name}-queue` } : { ...m, hostPath: path.join(hostDir, "tls") },
        ),
    };
}

describe("live: the three-host example's tier, two fronts and three samplers on local Podman", function () {
    this.timeout(900_000);
    let plan: StackPlan;
    let dir: string;
    let specs: ContainerSpec[] = [];
    let jaegerUrl: string;
    let token: string;
    let bundle: string;
    let tlsSteps: TlsStepSettings[] = [];
    const logs = () => specs.map((s) => `--- ${s.name}\n${containerLogs(s.name)}`).join("\n");
    const target = (front: number): Target => ({
        protocol: "grpc",
        address: `localhost:${fronts[front].grpc}`,
        token,
        ca: bundle,
    });
    const remove = () => removeContainersAndVolumes(specs);

    before(async () => {
        ensureToolchain();
        dir = tempDir("tier");
        plan = planStack(validateStack(readStackValues(stackConfig("three-hosts"))));
        token = `tier-${runId}-token`;
        // Each host's certificate from its own CA, made by the program's TLS step (as root, like on a host).
        const hostDirs = plan.collectorHosts.map((_, i) => path.join(dir, `host-${i + 1}`));
        tlsSteps = plan.collectorHosts.map((h, i) => {
            if (h.tls.mode !== "generate") throw new Error("the example generates its certificates");
            return tlsStepUnder(h.tls.step, hostDirs[i]);
        });
        bundle = tlsSteps.map((step) => runOk("sh", ["-s"], { input: generateTlsScript(step) })).join("");
        const { containers } = stackArtifacts(plan, {
            bearerToken: token,
            canaryKey: "tierTestCanaryKey",
            tierCa: bundle,
        });
        const ports = (spec: ContainerSpec) => spec.ports.map((p) => p.internal);
        const jaeger = {
            ...containers.jaeger,
            mounts: containers.jaeger.mounts.map((m) =>
                "volume" in m ? m : { ...m, hostPath: path.join(hostDirs[0], "tls") },
            ),
        };
        const samplerSpecs = samplers.map((s, i) => {
            const spec = containers.byHost[i].sampler;
            if (!spec) throw new Error(`host ${i + 1} has no sampler`);
            const [, health, metrics] = ports(spec);
            return asHost(spec, s.name, hostDirs[i], [
                [health, s.health],
                [metrics, s.metrics],
            ]);
        });
        const frontSpecs = fronts.map((f, i) => {
            const spec = containers.byHost[i].collector;
            const [grpc, , , health, metrics] = ports(spec);
            return asHost(spec, f.name, hostDirs[i], [
                [grpc, f.grpc],
                [health, f.health],
                [metrics, f.metrics],
            ]);
        });
        specs = [jaeger, ...samplerSpecs, ...frontSpecs];
        remove();
        startContainer(jaeger);
        // The other hosts' samplers reach Jaeger as collector-1.internal at its published port:
        // here that is this machine, seen from the Podman network at its gateway.
        const gateway = runOk("podman", [
            "network",
            "inspect",
            jaeger.network,
            "--format",
            "{{range .Subnets}}{{.Gateway}}{{end}}",
        ]).trim();
        const firstHost = hostNames(plan)[0];
        samplerSpecs.forEach((spec, i) => startContainer(spec, i === 0 ? {} : { addHosts: { [firstHost]: gateway } }));
        for (const spec of frontSpecs) startContainer(spec);
        jaegerUrl = `http://127.0.0.1:${plan.jaeger.uiPort}`;
        try {
            for (const c of [...fronts, ...samplers]) await waitForHealth(c.health, `${c.name} healthy`);
            await waitForJaeger(jaegerUrl);
        } catch (error) {
            throw new Error(`${(error as Error).message}\n${logs()}`, { cause: error });
        }
    });
    after(() => {
        remove();
        // The step also placed its renewal timer on this machine.
        for (const step of tlsSteps) runOk("sh", ["-s"], { input: removeTlsScript(step) });
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Sends each trace's root span through front 0 and its children through front 1. */
    async function sendSplit(service: string, traces: number, error: boolean, sensitive = false): Promise<void> {
        const spans = makeSpans({
            service,
            traces,
            children: 2,
            error,
            ...(sensitive ? { name: `lookup ${email}`, attributes: { "enduser.email": email } } : {}),
        });
        const roots = spans.filter((s) => !s.parentSpanId);
        const children = spans.filter((s) => s.parentSpanId);
        for (const [front, part] of [
            [0, roots],
            [1, children],
        ] as const) {
            for (let i = 0; i < part.length; i += 500) {
                const result = await exportSpans(target(front), part.slice(i, i + 500));
                assert.ok(succeeded(result), `front ${front}: ${result.error}\n${logs()}`);
            }
        }
    }

    /**
     * Jaeger's spans of the service, by trace, once the count has stopped growing for 5 s. A
     * trace's later spans reach Jaeger after its root's (a sampler decides 1 s after the root and
     * forwards what comes later from its decision cache, each hop batching), so a shorter quiet
     * spell can end the wait between the two.
     */
    async function settledTraces(service: string, atLeast: number): Promise<Map<string, number>> {
        const quietMs = 5_000;
        let last = -1;
        let grewAt = Date.now();
        let spans = await jaegerSpans(jaegerUrl, service);
        await waitFor(
            `${service} settled in Jaeger`,
            async () => {
                spans = await jaegerSpans(jaegerUrl, service);
                if (spans.length !== last) grewAt = Date.now();
                last = spans.length;
                return (Date.now() - grewAt >= quietMs && distinctTraces(spans) >= atLeast) || undefined;
            },
            180_000,
        ).catch(() => undefined);
        const byTrace = new Map<string, number>();
        for (const s of spans) byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? 0) + 1);
        return byTrace;
    }

    /** "n traces with k spans" for each k, to say what a trace that is not whole holds. */
    function spansPerTrace(byTrace: Map<string, number>): string {
        const counts = new Map<number, number>();
        for (const n of byTrace.values()) counts.set(n, (counts.get(n) ?? 0) + 1);
        return [...counts].map(([spans, traces]) => `${traces} traces with ${spans} spans`).join(", ");
    }

    it("every front knows all three samplers", async () => {
        for (const f of fronts) {
            const text = await (await fetch(`http://127.0.0.1:${f.metrics}/metrics`)).text();
            assert.match(
                text,
                /^otelcol_loadbalancer_num_backends\{[^}]*\} 3$/m,
                `${f.name}:\n${text
                    .split("\n")
                    .filter((l) => l.includes("loadbalancer"))
                    .join("\n")}`,
            );
        }
    });

    it("samples a trace whose spans arrive through different fronts as one: every error trace whole, the others at the ratio and whole", async () => {
        const ok = `tier-ok-${runId}`;
        const errors = `tier-errors-${runId}`;
        const sent = 1500;
        const errorTraces = 150;
        await sendSplit(ok, sent, false);
        await sendSplit(errors, errorTraces, true, true);

        const kept = await settledTraces(errors, errorTraces);
        assert.strictEqual(kept.size, errorTraces, `error traces kept\n${logs()}`);
        assert.ok(
            [...kept.values()].every((n) => n === 3),
            `every error trace whole: ${spansPerTrace(kept)}\n${logs()}`,
        );
        // Masked by the samplers, whichever host's: not one span in Jaeger holds the address.
        const stored = JSON.stringify(await jaegerSpans(jaegerUrl, errors));
        assert.ok(
            !stored.includes(email),
            `an e-mail address reached Jaeger unmasked: ${stored.slice(Math.max(0, stored.indexOf(email) - 400), stored.indexOf(email) + 100)}`,
        );
        assert.match(stored, /"name":"lookup \*\*\*\*"/, "the span name stays, masked");

        const ratio = plan.collectorHosts[0].collector.config.samplingRatio;
        const sampled = await settledTraces(ok, 1);
        const sigma = Math.sqrt(sent * ratio * (1 - ratio));
        console.log(`      kept ${sampled.size} of ${sent} (expected ${sent * ratio} ± ${(4.5 * sigma).toFixed(0)})`);
        assert.ok(Math.abs(sampled.size - sent * ratio) <= 4.5 * sigma, `kept ${sampled.size} of ${sent}`);
        const partial = [...sampled.values()].filter((n) => n !== 3).length;
        assert.strictEqual(partial, 0, `${partial} sampled traces are not whole: ${spansPerTrace(sampled)}`);
        // The other hosts' samplers delivered through Jaeger's TLS receiver, with their own hosts' certificates.
        const jaegerMetrics = await (await fetch(`http://127.0.0.1:${plan.jaeger.metricsPort}/metrics`)).text();
        const viaTier = jaegerMetrics
            .split("\n")
            .filter((l) => /^otelcol_receiver_accepted_spans\{[^}]*receiver="otlp\/tier"/.test(l));
        assert.ok(
            viaTier.some((l) => Number(l.split(" ").pop()) > 0),
            `spans through Jaeger's otlp/tier receiver:\n${viaTier.join("\n")}`,
        );
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
        const queued = await Promise.all(
            fronts.map(async (f) =>
                metricSum(
                    await (await fetch(`http://127.0.0.1:${f.metrics}/metrics`)).text(),
                    "otelcol_exporter_queue_size",
                ),
            ),
        );
        console.log(`      while the sampler was away the fronts held ${queued.join(" + ")} bytes on disk`);
        assert.ok(
            queued.some((q) => q > 0),
            "the fronts hold the stopped sampler's share",
        );
        // The tier's alert rules read these names and labels: the failures name the sampler that is away.
        const rules = renderRules({ ...plan.prometheus.rules, tier: { samplers: samplers.length } });
        const used = [...new Set(rules.match(/\botelcol_loadbalancer_[a-z_]+/g))];
        assert.ok(used.length >= 2, used.join(", "));
        const exposed = (
            await Promise.all(fronts.map(async (f) => (await fetch(`http://127.0.0.1:${f.metrics}/metrics`)).text()))
        ).join("\n");
        for (const name of used) assert.match(exposed, new RegExp(`^${name}\\{`, "m"), `a front exposes ${name}`);
        assert.match(
            exposed,
            new RegExp(
                `^otelcol_loadbalancer_backend_outcome\\{[^}]*endpoint="${hostNames(plan)[1]}:4319"[^}]*success="false"[^}]*\\} [1-9]`,
                "m",
            ),
            exposed
                .split("\n")
                .filter((l) => l.startsWith("otelcol_loadbalancer_backend_outcome"))
                .join("\n"),
        );
        run("podman", ["start", samplers[1].name]);
        // The fronts retry the sampler on their own schedules (up to 30 s apart), so Jaeger's
        // count can stand still for a while before the rest arrives: wait for every span, and
        // only a count that never gets there is a loss.
        const started = Date.now();
        const stored = await spansInJaeger(jaegerUrl, service, traces * 3, 180_000);
        console.log(
            `      every span back in Jaeger ${((Date.now() - started) / 1000).toFixed(0)} s after the sampler's start`,
        );
        assert.strictEqual(stored, traces * 3, `every span\n${logs()}`);
        const kept = await settledTraces(service, traces);
        assert.strictEqual(kept.size, traces, `traces in Jaeger\n${logs()}`);
        assert.ok(
            [...kept.values()].every((n) => n === 3),
            "every trace whole",
        );
    });
});
