// The benchmark's pipelines: the production config moved to scratch places, and each variant
// different from it in exactly the one guarantee its name says it leaves out.
import * as assert from "assert";
import { BenchPipeline, benchPipelines, BenchPlaces } from "../bench/pipelines";
import { loadCommands, spansPerTrace } from "../bench/load";
import { readStackValues, validateStack } from "../config/load";
import { planStack } from "../config/plan";
import { stackConfig } from "../config/stackFile";

const rendered = planStack(validateStack(readStackValues(stackConfig("production")))).collector.config;
const places: BenchPlaces = {
    dir: "/tmp/bench", sink: "127.0.0.1:5999",
    ports: { otlpGrpc: 5001, otlpHttp: 5002, prometheusExporter: 5003, health: 5004, internalMetrics: 5005 },
};
const pipelines = benchPipelines(rendered, places);
const byName = (name: string) => pipelines.find((p) => p.name === name) as BenchPipeline;
const traces = (p: BenchPipeline) => ((p.config.service as Record<string, unknown>).pipelines as Record<string, { processors: string[] }>).traces;

/** Paths where two configs differ ("a.b.c"). */
function differences(a: unknown, b: unknown, at = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) || Array.isArray(b)) return [at];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
}

describe("benchmark pipelines", () => {
    it("move every container path and published port of the production config to the scratch places", () => {
        const text = JSON.stringify(byName("production").config);
        assert.ok(!text.includes("/etc/otelcol-contrib") && !text.includes("/var/lib/otelcol"), text);
        assert.ok(!text.includes("0.0.0.0"), text);
        assert.ok(!text.includes(rendered.jaegerEndpoint), "the exporter goes to the sink");
        for (const port of Object.values(places.ports)) assert.ok(text.includes(`127.0.0.1:${port}`) || text.includes(`"port":${port}`), String(port));
        assert.ok(text.includes(places.sink));
    });

    it("leave out exactly the guarantee each is named for", () => {
        const production = byName("production").config;
        assert.deepStrictEqual(differences(production, byName("- redaction").config).sort(),
            ["processors.redaction/pii", "service.pipelines.metrics.processors", "service.pipelines.traces.processors"]);
        assert.deepStrictEqual(differences(production, byName("- tail sampling").config).sort(), ["processors.tail_sampling", "service.pipelines.traces.processors"]);
        assert.deepStrictEqual(differences(production, byName("- persistent queue").config).sort(),
            ["exporters.otlp_grpc/jaeger.sending_queue.storage", "extensions.file_storage/queue", "service.extensions"]);
        assert.deepStrictEqual(differences(production, byName("- TLS").config).sort(),
            ["receivers.otlp.protocols.grpc.tls", "receivers.otlp.protocols.http.tls"]);
        assert.deepStrictEqual(traces(byName("contrib default")).processors, ["memory_limiter", "batch"]);
    });

    it("load: ordinary and error traces at the stated share, with TLS and the token only when asked", () => {
        const [ordinary, errors] = loadCommands({ telemetrygen: "tg", endpoint: "localhost:5001", tracesPerSecond: 2000, seconds: 10, service: "s", caFile: "/ca", token: "t" });
        const rate = (cmd: string[]) => Number(cmd[cmd.indexOf("--rate") + 1]);
        // telemetrygen's rate is spans per second per worker (four workers).
        assert.strictEqual(rate(ordinary) * 4 + rate(errors) * 4, 2000 * spansPerTrace);
        assert.strictEqual(rate(errors) * 4, 100 * spansPerTrace);
        assert.ok(errors.includes("Error") && !ordinary.includes("Error"));
        assert.strictEqual(ordinary[ordinary.indexOf("--child-spans") + 1], String(spansPerTrace - 1));
        assert.ok(ordinary.includes("--ca-cert") && ordinary.includes('authorization="Bearer t"'));
        const plain = loadCommands({ telemetrygen: "tg", endpoint: "x:1", tracesPerSecond: 20, seconds: 1, service: "s" })[0];
        assert.ok(plain.includes("--otlp-insecure") && !plain.includes("--otlp-header"));
    });
});
