// The two-tier collector configs, on literal settings (the pinned collector validates them and
// runs them in tests/real/tier.test.ts).
import * as assert from "assert";
import { productionCollectorSettings } from "../../tests/collectorSettings";
import { collectorModules, ComponentKind } from "./distribution";
import { frontConfig, samplerConfig, tierCaPath, TierSettings } from "./tier";

const settings = productionCollectorSettings;
const tier: TierSettings = {
    samplers: ["collector-1.internal:4319", "collector-2.internal:4319", "collector-3.internal:4319"],
    samplerPort: 4319,
};

type Pipeline = { receivers: string[]; processors: string[]; exporters: string[] };
interface Rendered {
    service: { pipelines: Record<string, Pipeline>; extensions: string[] };
    receivers: Record<string, { protocols: Record<string, { endpoint: string; tls?: unknown; auth?: unknown }> }>;
    processors: Record<string, unknown>;
    exporters: Record<string, Record<string, unknown>>;
    extensions: Record<string, unknown>;
}

const front = frontConfig(settings, tier) as unknown as Rendered;
const sampler = samplerConfig(settings, tier) as unknown as Rendered;

describe("collector tier renderer", () => {
    it("front: OTLP in with TLS and the token, then routed by trace ID (masking is the samplers')", () => {
        assert.deepStrictEqual(front.service.pipelines.traces, {
            receivers: ["otlp"],
            processors: ["memory_limiter", "batch"],
            exporters: ["load_balancing"],
        });
        assert.ok(
            front.service.pipelines.metrics.processors.includes("redaction/pii"),
            "the app metrics are masked where they are exposed",
        );
        assert.ok(front.receivers.otlp.protocols.grpc.tls && front.receivers.otlp.protocols.grpc.auth);
        assert.ok(!("tail_sampling" in front.processors), "the front does not sample");
        assert.ok(front.service.pipelines.metrics.exporters.includes("prometheus"), "app metrics stay on the front");
    });

    it("front: the same sampler ring on every front, retried without end, the wait on disk", () => {
        const lb = front.exporters.load_balancing as {
            routing_key: string;
            resolver: { static: { hostnames: string[] } };
            protocol: {
                otlp: {
                    tls: { ca_file: string };
                    auth: { authenticator: string };
                    retry_on_failure: { max_elapsed_time: string };
                    sending_queue: { enabled: boolean };
                };
            };
            retry_on_failure: { max_elapsed_time: string };
            sending_queue: { storage: string; sizer: string; queue_size: number };
        };
        assert.strictEqual(lb.routing_key, "traceID");
        assert.deepStrictEqual(lb.resolver.static.hostnames, tier.samplers);
        assert.strictEqual(lb.protocol.otlp.tls.ca_file, tierCaPath);
        assert.ok(front.service.extensions.includes(lb.protocol.otlp.auth.authenticator));
        assert.strictEqual(lb.protocol.otlp.retry_on_failure.max_elapsed_time, "0s");
        assert.strictEqual(lb.protocol.otlp.sending_queue.enabled, false, "no in-memory queue per sampler");
        assert.strictEqual(lb.retry_on_failure.max_elapsed_time, "0s");
        assert.deepStrictEqual(
            [lb.sending_queue.storage, lb.sending_queue.sizer, lb.sending_queue.queue_size],
            ["file_storage/queue", "bytes", settings.queueBytes],
        );
    });

    it("sampler: only the fronts' gRPC, with TLS and the token; tail sampling, masking what it keeps; export to Jaeger through its disk queue", () => {
        assert.deepStrictEqual(Object.keys(sampler.receivers), ["otlp/tier"]);
        const grpc = sampler.receivers["otlp/tier"].protocols.grpc;
        assert.strictEqual(grpc.endpoint, "0.0.0.0:4319");
        assert.ok(grpc.tls && grpc.auth);
        assert.deepStrictEqual(sampler.service.pipelines, {
            traces: {
                receivers: ["otlp/tier"],
                processors: ["memory_limiter", "tail_sampling", "batch", "redaction/pii", "transform/pii"],
                exporters: ["otlp_grpc/jaeger"],
            },
        });
        assert.ok(!("prometheus" in sampler.exporters), "app metrics stay on the fronts");
    });

    it("uses only component types the test distribution builds", () => {
        for (const config of [front, sampler]) {
            for (const kind of ["receivers", "processors", "exporters", "extensions"] as ComponentKind[]) {
                for (const id of Object.keys(config[kind]))
                    assert.ok(collectorModules[kind][id.split("/")[0]], `${kind} ${id}`);
            }
        }
    });

    it("refuses a tier without samplers, or without TLS (no token travels over plaintext gRPC)", () => {
        assert.throws(() => frontConfig(settings, { ...tier, samplers: [] }), /at least one sampler/);
        assert.throws(() => frontConfig({ ...settings, tls: { ...settings.tls, enabled: false } }, tier), /needs TLS/);
    });
});
