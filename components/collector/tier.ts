// The two-tier collector for more than one collector host, pure: the single collector's config
// split into a front (OTLP in, trace-ID load balancing) and a sampler (tail sampling, masking,
// export to Jaeger). Every front routes a trace ID to the same sampler, so each sampler sees
// whole traces whichever front received their spans.
import { collectorConfig, CollectorConfigSettings, collectorPaths, receiverTls } from "./config";

/**
 * The collector hosts' CAs, one bundle: the fronts check the samplers against it, and the samplers
 * of the other hosts check Jaeger.
 */
export const tierCaPath = "/etc/otelcol-contrib/tier/ca.crt";

export interface TierSettings {
    /** Every sampler as the fronts reach it (host:port), the same on every front: the hash ring. */
    samplers: string[];
    /** Port the sampler's OTLP gRPC receiver listens on, inside its container and on its host. */
    samplerPort: number;
}

/** A collector's part in the tier; the exporter to a remote Jaeger shows its certificate as a client. */
export type TierRole =
    { role: "front"; tier: TierSettings } | { role: "sampler"; tier: TierSettings; jaegerOverTls: boolean };

type Config = Record<string, Record<string, unknown>> & {
    service: {
        extensions: string[];
        pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
    };
};

function baseConfig(s: CollectorConfigSettings): Config {
    return structuredClone(collectorConfig(s)) as Config;
}

export function frontConfig(s: CollectorConfigSettings, tier: TierSettings): Record<string, unknown> {
    if (tier.samplers.length === 0) throw new Error("the collector tier needs at least one sampler");
    // gRPC sends no token over a plaintext connection: the tier is TLS or nothing.
    if (!s.tls.enabled)
        throw new Error(
            "the collector tier needs TLS: the fronts authenticate to the samplers with the token, which gRPC sends only over TLS",
        );
    const config = baseConfig(s);
    delete config.processors.tail_sampling;
    delete config.exporters["otlp_grpc/jaeger"];
    // Authenticates to the samplers with the ingest token, over TLS checked against the CA bundle
    // at tierCaPath (the CAs of the samplers' hosts).
    config.extensions["bearertokenauth/tier"] = { filename: collectorPaths.bearerToken };
    config.service.extensions.push("bearertokenauth/tier");
    config.exporters.load_balancing = {
        routing_key: "traceID",
        protocol: {
            otlp: {
                tls: { ca_file: tierCaPath },
                auth: { authenticator: "bearertokenauth/tier" },
                timeout: "10s",
                // A sampler that is away gets its share retried without end: its traces may not
                // go to another sampler (that one would see them split). No queue per sampler, so
                // the wait backs up into the persistent queue below, on disk, not into memory.
                retry_on_failure: {
                    enabled: true,
                    initial_interval: "1s",
                    max_interval: "10s",
                    max_elapsed_time: "0s",
                },
                sending_queue: { enabled: false },
            },
        },
        resolver: { static: { hostnames: tier.samplers } },
        // What the front accepted waits on disk until every sampler it belongs to has it.
        retry_on_failure: { enabled: true, initial_interval: "5s", max_interval: "30s", max_elapsed_time: "0s" },
        sending_queue: { enabled: true, storage: "file_storage/queue", sizer: "bytes", queue_size: s.queueBytes },
    };
    // Masking waits for the sampler, after its decision, as on a single collector: masking every
    // span here would cost more CPU than the tier adds (npm run bench -- compare). The price:
    // spans pass through this front's disk queue unmasked, and stay there while their sampler is away.
    delete config.processors["transform/pii"];
    config.service.pipelines.traces = {
        receivers: ["otlp"],
        processors: ["memory_limiter", "batch"],
        exporters: ["load_balancing"],
    };
    return config;
}

export function samplerConfig(
    s: CollectorConfigSettings,
    tier: TierSettings,
    jaegerOverTls = false,
): Record<string, unknown> {
    const config = baseConfig(s);
    const tls = receiverTls(s);
    // Only the fronts send here: OTLP gRPC with the token, over TLS.
    config.receivers = {
        "otlp/tier": {
            protocols: {
                grpc: {
                    endpoint: `0.0.0.0:${tier.samplerPort}`,
                    ...(tls ? { tls } : {}),
                    auth: { authenticator: "bearertokenauth/ingest" },
                },
            },
        },
    };
    delete config.exporters.prometheus;
    delete config.service.pipelines.metrics;
    // The single collector's trace pipeline: masking on what tail sampling keeps.
    config.service.pipelines.traces = { ...config.service.pipelines.traces, receivers: ["otlp/tier"] };
    if (jaegerOverTls) {
        // Jaeger on the first host, across the network: its certificate is checked against the
        // hosts' CAs, and this host's own certificate is the client's (Jaeger asks for one).
        (config.exporters["otlp_grpc/jaeger"] as Record<string, unknown>).tls = {
            ca_file: tierCaPath,
            cert_file: `${collectorPaths.tlsDir}/server.crt`,
            key_file: `${collectorPaths.tlsDir}/server.key`,
            min_version: "1.2",
            reload_interval: s.tls.reloadInterval,
        };
    }
    return config;
}

/** The config of a collector in its role: the one collector of a single host, a front, or a sampler. */
export function configFor(s: CollectorConfigSettings, role?: TierRole): Record<string, unknown> {
    if (role === undefined) return collectorConfig(s);
    return role.role === "front" ? frontConfig(s, role.tier) : samplerConfig(s, role.tier, role.jaegerOverTls);
}
