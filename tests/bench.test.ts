// The benchmark's pipelines: the production config moved to scratch places, and each variant
// different from it in exactly the one guarantee its name says it leaves out.
import * as assert from "assert";
import { atContainerSize, BenchPipeline, benchPipelines, BenchPlaces } from "../bench/pipelines";
import { errorShare, loadCommand, spansPerTrace } from "../bench/load";
import { buildTemplate, stamp } from "../bench/loadgen";
import { derivedRating, emptyCounts, PathCounts, searchRates, stepFailures } from "../bench/rating";
import { planFor } from "../stack/plan";

const settingsOf = (stack: string) => planFor(stack).collectorHosts[0].collector.config;
const rendered = settingsOf("production");
const places: BenchPlaces = {
    dir: "/tmp/bench",
    sink: "127.0.0.1:5999",
    ports: { otlpGrpc: 5001, otlpHttp: 5002, prometheusExporter: 5003, health: 5004, internalMetrics: 5005 },
};
const pipelines = benchPipelines({ production: rendered, local: settingsOf("local") }, places);
const byName = (name: string) => pipelines.find((p) => p.name === name) as BenchPipeline;
const traces = (p: BenchPipeline) =>
    ((p.config.service as Record<string, unknown>).pipelines as Record<string, { processors: string[] }>).traces;

/** Paths where two configs differ ("a.b.c"). */
function differences(a: unknown, b: unknown, at = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    if (
        typeof a !== "object" ||
        typeof b !== "object" ||
        a === null ||
        b === null ||
        Array.isArray(a) ||
        Array.isArray(b)
    )
        return [at];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
        differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
    );
}

describe("benchmark pipelines", () => {
    it("move every container path and published port of the production config to the scratch places", () => {
        const text = JSON.stringify(byName("production").config);
        assert.ok(!text.includes("/etc/otelcol-contrib") && !text.includes("/var/lib/otelcol"), text);
        assert.ok(!text.includes("0.0.0.0"), text);
        assert.ok(!text.includes(rendered.jaegerEndpoint), "the exporter goes to the sink");
        for (const port of Object.values(places.ports))
            assert.ok(text.includes(`127.0.0.1:${port}`) || text.includes(`"port":${port}`), String(port));
        assert.ok(text.includes(places.sink));
    });

    it("leave out exactly the guarantee each is named for", () => {
        const production = byName("production").config;
        assert.deepStrictEqual(differences(production, byName("production - masking").config).sort(), [
            "processors.redaction/pii",
            "processors.transform/pii",
            "service.pipelines.metrics.processors",
            "service.pipelines.traces.processors",
        ]);
        assert.deepStrictEqual(differences(production, byName("production - tail sampling").config).sort(), [
            "processors.tail_sampling",
            "service.pipelines.traces.processors",
        ]);
        assert.deepStrictEqual(differences(production, byName("production - persistent queue").config).sort(), [
            "exporters.otlp_grpc/jaeger.sending_queue.storage",
            "extensions.file_storage/queue",
            "service.extensions",
        ]);
        assert.deepStrictEqual(differences(production, byName("production - TLS").config).sort(), [
            "receivers.otlp.protocols.grpc.tls",
            "receivers.otlp.protocols.http.tls",
        ]);
        assert.deepStrictEqual(differences(production, byName("production - refused-request counts").config).sort(), [
            "service.telemetry.metrics.level",
            "service.telemetry.metrics.views",
        ]);
        const front = byName("tier front").config;
        assert.deepStrictEqual(differences(front, byName("tier front - persistent queue").config).sort(), [
            "exporters.load_balancing.sending_queue.storage",
            "extensions.file_storage/queue",
            "service.extensions",
        ]);
        assert.deepStrictEqual(differences(front, byName("tier front - TLS").config).sort(), [
            "receivers.otlp.protocols.grpc.tls",
            "receivers.otlp.protocols.http.tls",
        ]);
        assert.deepStrictEqual(traces(byName("contrib default")).processors, ["memory_limiter", "batch"]);
        // Clients use TLS and the token exactly where the config asks for them.
        assert.deepStrictEqual(
            pipelines.map((p) => [p.name, p.tls, p.token]),
            [
                ["contrib default", false, false],
                ["production", true, true],
                ["local", true, true],
                ["tier front", true, true],
                ["tier sampler", true, true],
                ["tier front - persistent queue", true, true],
                ["tier front - TLS", false, true],
                ["production - masking", true, true],
                ["production - tail sampling", true, true],
                ["production - persistent queue", true, true],
                ["production - TLS", false, true],
                ["production - refused-request counts", true, true],
            ],
        );
    });

    it("run the tier's front and sampler with the sink for the samplers and for Jaeger, the sampler taking the load", () => {
        const text = JSON.stringify(byName("tier front").config);
        assert.ok(!text.includes("/etc/otelcol-contrib") && !text.includes("0.0.0.0"), text);
        const balancer = (
            byName("tier front").config.exporters as Record<string, { resolver: { static: { hostnames: string[] } } }>
        ).load_balancing;
        assert.deepStrictEqual(balancer.resolver.static.hostnames, [places.sink]);
        const sampler = byName("tier sampler").config;
        assert.ok(
            JSON.stringify(sampler.receivers).includes(`127.0.0.1:${places.ports.otlpGrpc}`),
            JSON.stringify(sampler.receivers),
        );
        assert.ok(JSON.stringify(sampler.exporters).includes(places.sink));
    });

    it("at a container's size, memory_limiter's shares of the container become the same limits in MiB", () => {
        const production = byName("production").config;
        const sized = atContainerSize(production, 4096);
        assert.deepStrictEqual(differences(production, sized).sort(), [
            "processors.memory_limiter.limit_mib",
            "processors.memory_limiter.limit_percentage",
            "processors.memory_limiter.spike_limit_mib",
            "processors.memory_limiter.spike_limit_percentage",
        ]);
        const limiter = (sized.processors as Record<string, Record<string, unknown>>).memory_limiter;
        assert.deepStrictEqual(limiter, { check_interval: "1s", limit_mib: 3276, spike_limit_mib: 1024 });
    });

    it("load: the generator's command line asks for TLS and the token only when the pipeline does", () => {
        const command = loadCommand({
            endpoint: "localhost:5001",
            tracesPerSecond: 2000,
            seconds: 10,
            caFile: "/ca",
            token: "t",
        });
        assert.strictEqual(command[command.indexOf("--spans-per-second") + 1], String(2000 * spansPerTrace));
        assert.ok(command.includes("--ca") && command.includes("--token"));
        const plain = loadCommand({ endpoint: "x:1", tracesPerSecond: 20, seconds: 1 });
        assert.ok(!plain.includes("--ca") && !plain.includes("--token"));
    });

    it("load: each request is the template with fresh trace IDs, one trace in twenty an error", () => {
        const template = buildTemplate(40);
        assert.strictEqual(template.spans, 40 * spansPerTrace);
        // Every span of a trace carries its trace ID: ten offsets per trace.
        assert.ok(
            template.traceIdOffsets.every((o) => o.length === spansPerTrace),
            JSON.stringify(template.traceIdOffsets.map((o) => o.length)),
        );
        const [a, b] = [stamp(template), stamp(template)];
        assert.strictEqual(a.length, template.bytes.length);
        const idAt = (buf: Buffer, trace: number) =>
            buf.subarray(template.traceIdOffsets[trace][0], template.traceIdOffsets[trace][0] + 16).toString("hex");
        assert.notStrictEqual(idAt(a, 0), idAt(b, 0));
        assert.strictEqual(
            a.subarray(template.traceIdOffsets[3][9], template.traceIdOffsets[3][9] + 16).toString("hex"),
            idAt(a, 3),
            "all spans of a trace agree",
        );
        assert.strictEqual(template.bytes.toString("latin1").split("avatar lookup failed").length - 1, 40 * errorShare);
    });
});

describe("end-to-end rating", () => {
    const counts = (over: Partial<PathCounts> = {}): PathCounts => ({ ...emptyCounts, ...over });
    const mib = 2 ** 20;
    const held = {
        start: counts(),
        end: counts({ accepted: 600_000, stored: 600_000 }),
        queueSamples: [mib, 2 * mib, mib],
    };

    it("a step holds with nothing lost and the queue within a few batches", () => {
        assert.deepStrictEqual(stepFailures(held), []);
    });

    it("a step fails on anything refused, dropped, evicted or unstored, each named with its count", () => {
        const failing = stepFailures({
            ...held,
            end: counts({ refused: 5, enqueueFailed: 6, evictedTraces: 7, storeFailed: 8, clientFailures: 9 }),
        });
        assert.deepStrictEqual(failing, [
            "9 requests failed at the client",
            "5 spans refused by the collector",
            "6 spans the queue could not take",
            "7 traces evicted undecided",
            "8 spans Jaeger failed to store",
        ]);
    });

    it("a step fails when the queue ends above twice its first quarter's peak and the slack", () => {
        const growing = [1, 2, 3, 4, 6, 8, 10, 12].map((m) => m * mib);
        assert.match(stepFailures({ ...held, queueSamples: growing }).join(), /the queue grew to 12\.0 MiB/);
        // A backlog that shrinks is no failure, however large it started.
        assert.deepStrictEqual(
            stepFailures({ ...held, queueSamples: [400 * mib, 300 * mib, 200 * mib, 100 * mib] }),
            [],
        );
    });

    it("the search steps up by the factor to the ceiling, on round rates", () => {
        assert.deepStrictEqual(searchRates(4000, 10_000, 1.25), [4000, 5000, 6500, 8000, 10_000]);
        assert.throws(() => searchRates(4000, 1000, 1.25), /bad search/);
    });

    it("the derived rating is three quarters of the component that carries least, scaled by its share", () => {
        const r = derivedRating({
            collector: { spansPerCpuSecond: 100_000, cpus: 4, shareOfOffered: 1 },
            jaeger: { spansPerCpuSecond: 7000, cpus: 1, shareOfOffered: 0.14 },
        });
        assert.strictEqual(r.bottleneck, "jaeger");
        assert.strictEqual(Math.round(r.capacities.jaeger), 50_000);
        assert.strictEqual(r.rating, 37_000);
    });
});
