// The two-tier collector for more than one collector host, pure: a front (OTLP in, trace-ID load
// balancing) and a sampler (tail sampling, masking, export to Jaeger), each composed of the
// single collector's pieces that its part needs. Every front routes a trace ID to the same sampler, so each sampler sees
// whole traces whichever front received their spans.
import {
    appReceivers,
    attributeMasking,
    baseExtensions,
    batching,
    collectorConfig,
    CollectorConfigSettings,
    collectorPaths,
    composeConfig,
    jaegerExporter,
    memoryLimiter,
    metricsExporter,
    metricsPipeline,
    receiverTls,
    retryFromQueue,
    sampledTraceProcessing,
    sampledTraceProcessors,
} from "./config";

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

/** The front's way to the samplers: each trace ID always to the same sampler, waiting on disk while it is away. */
function samplerExporter(s: CollectorConfigSettings, tier: TierSettings): Record<string, unknown> {
    return {
        load_balancing: {
            routing_key: "traceID",
            protocol: {
                otlp: {
                    // Authenticates to the samplers with the ingest token, over TLS checked against
                    // the CA bundle at tierCaPath (the CAs of the samplers' hosts).
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
            retry_on_failure: retryFromQueue,
            sending_queue: { enabled: true, storage: "file_storage/queue", sizer: "bytes", queue_size: s.queueBytes },
        },
    };
}

/**
 * A front: the apps' OTLP in, traces routed by trace ID to the samplers, the apps' metrics to
 * Prometheus. Masking waits for the sampler, after its decision, as on a single collector:
 * masking every span here would cost more CPU than the tier adds (npm run bench -- compare). The
 * price: spans pass through this front's disk queue unmasked, and stay there while their sampler
 * is away.
 */
export function frontConfig(s: CollectorConfigSettings, tier: TierSettings): Record<string, unknown> {
    if (tier.samplers.length === 0) throw new Error("the collector tier needs at least one sampler");
    // gRPC sends no token over a plaintext connection: the tier is TLS or nothing.
    if (!s.tls.enabled)
        throw new Error(
            "the collector tier needs TLS: the fronts authenticate to the samplers with the token, which gRPC sends only over TLS",
        );
    return composeConfig(s, {
        extensions: { ...baseExtensions(s), "bearertokenauth/tier": { filename: collectorPaths.bearerToken } },
        receivers: appReceivers(s),
        // The metrics pipeline masks attribute values, as on a single collector.
        processors: { ...memoryLimiter, ...attributeMasking, ...batching },
        exporters: { ...metricsExporter(s), ...samplerExporter(s, tier) },
        pipelines: {
            traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["load_balancing"] },
            metrics: metricsPipeline,
        },
    });
}

/**
 * A sampler: the fronts' OTLP in, then the single collector's trace pipeline (tail sampling, then
 * masking on what it keeps) to Jaeger. Only the fronts send here: OTLP gRPC with the token, over TLS.
 */
export function samplerConfig(
    s: CollectorConfigSettings,
    tier: TierSettings,
    jaegerOverTls = false,
): Record<string, unknown> {
    const tls = receiverTls(s);
    // Jaeger on the first host, across the network: its certificate is checked against the hosts'
    // CAs, and this host's own certificate is the client's (Jaeger asks for one).
    const toJaeger = jaegerOverTls
        ? jaegerExporter(s, {
              ca_file: tierCaPath,
              cert_file: `${collectorPaths.tlsDir}/server.crt`,
              key_file: `${collectorPaths.tlsDir}/server.key`,
              min_version: "1.2",
              reload_interval: s.tls.reloadInterval,
          })
        : jaegerExporter(s);
    return composeConfig(s, {
        extensions: baseExtensions(s),
        receivers: {
            "otlp/tier": {
                protocols: {
                    grpc: {
                        endpoint: `0.0.0.0:${tier.samplerPort}`,
                        ...(tls ? { tls } : {}),
                        auth: { authenticator: "bearertokenauth/ingest" },
                    },
                },
            },
        },
        processors: sampledTraceProcessing(s),
        exporters: toJaeger,
        pipelines: {
            traces: { receivers: ["otlp/tier"], processors: sampledTraceProcessors, exporters: ["otlp_grpc/jaeger"] },
        },
    });
}

/** The config of a collector in its role: the one collector of a single host, a front, or a sampler. */
export function configFor(s: CollectorConfigSettings, role?: TierRole): Record<string, unknown> {
    if (role === undefined) return collectorConfig(s);
    return role.role === "front" ? frontConfig(s, role.tier) : samplerConfig(s, role.tier, role.jaegerOverTls);
}
