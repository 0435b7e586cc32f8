// The collector's config.yaml as data: pure, settings in, config out (container.ts renders it).
import { prometheusNameStyle, selfTelemetryViews } from "../selfMetrics";

/** Where things live inside the collector container (same layout as the official image). */
export const collectorPaths = {
    config: "/etc/otelcol-contrib/config.yaml",
    bearerToken: "/etc/otelcol-contrib/secrets/bearer-token",
    /** The deploy canary's key (see canaryAttribute): letters only, so the config's ${file:...} reads it as a YAML string. */
    canaryKey: "/etc/otelcol-contrib/secrets/canary-key",
    tlsDir: "/etc/otelcol-contrib/tls",
    queueDir: "/var/lib/otelcol/queue",
};

export interface CollectorConfigSettings {
    /** Share of non-error traces kept by tail sampling (0..1). */
    samplingRatio: number;
    ports: { otlpGrpc: number; otlpHttp: number; prometheusExporter: number; health: number; internalMetrics: number };
    /** Bytes the persistent sending queue may hold (the protobuf size of the queued spans). */
    queueBytes: number;
    /** Tail sampling's event loops (by trace ID): one per CPU, or one core caps the collector. */
    samplingShards: number;
    /** TLS on the OTLP receivers; clientCa turns on mutual TLS; the certificate is re-read every reloadInterval. */
    tls: { enabled: boolean; clientCa: boolean; reloadInterval: string };
    /** host:port of Jaeger's OTLP gRPC receiver on the private network. */
    jaegerEndpoint: string;
    /** Client IP address attributes: truncated (IPv4 to /24, IPv6 to /48) before export, or kept whole. */
    clientAddresses: "truncate" | "keep";
}

/** Values that look like e-mail addresses, anywhere in an attribute value. */
export const emailPattern = "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}";
/** Bearer and basic credentials that instrumentation may copy from headers. */
export const credentialPattern = "(?i)(bearer|basic)\\s+[A-Za-z0-9._~+/=-]{8,}";

/**
 * Both patterns as one, written without backslashes or quotes so it can stand inside an OTTL
 * string as it is ("[.]" for a dot, "[[:space:]]" for white space).
 */
export const sensitiveTextPattern =
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}|(?i:(bearer|basic)[[:space:]]+[A-Za-z0-9._~+/=-]{8,})";

/** Texts outside attributes that the redaction processor does not look at, by OTTL context. */
const maskedSpanTexts = ["span.name", "span.status.message"];
const maskedEventTexts = ["spanevent.name"];
const mask = (path: string) => `replace_pattern(${path}, "${sensitiveTextPattern}", "****")`;

/**
 * The span attribute that marks the deploy check's canary (verify/canary.ts). Its value is the
 * stack's secret canary key; masking deletes it after the sampling decision, so Jaeger never holds it.
 */
export const canaryAttribute = "ivatar_otel.canary";
const canaryKeyRemoval = [`delete_key(span.attributes, "${canaryAttribute}")`];

// Span links can carry attributes, and neither the redaction processor nor OTTL (collector 0.161)
// reaches them. Links are removed after sampling; dropped_links_count keeps how many there were.
const linkRemoval = [
    "set(span.dropped_links_count, span.dropped_links_count + Len(span.links)) where Len(span.links) > 0",
    "set(span.links, nil) where Len(span.links) > 0",
];

// Tail sampling decides a trace this long after its root span arrived (ivatar's request span
// ends last, after its children), or after decisionWait for a trace whose root never comes. It
// holds at most tracesPerShard undecided traces per shard and evicts the oldest beyond that,
// undecided: deciding soon after the root keeps that number low (npm run bench counts evictions).
const decisionWaitAfterRoot = "1s";
const decisionWait = "10s";
const tracesPerShard = 25_000;
// Decisions are remembered for spans that arrive after them (an error trace stays whole).
const decisionsPerShard = 100_000;

/** The OTLP receivers' TLS settings; undefined when TLS is disabled. */
export function receiverTls(s: Pick<CollectorConfigSettings, "tls">): Record<string, unknown> | undefined {
    if (!s.tls.enabled) return undefined;
    return {
        cert_file: `${collectorPaths.tlsDir}/server.crt`,
        key_file: `${collectorPaths.tlsDir}/server.key`,
        ...(s.tls.clientCa ? { client_ca_file: `${collectorPaths.tlsDir}/client-ca.crt` } : {}),
        min_version: "1.2",
        // A renewed certificate on the host is served without a restart (read at the next
        // handshake after this interval).
        reload_interval: s.tls.reloadInterval,
    };
}

// The pieces a collector's config is composed of. The single collector uses them all; a tier's
// front and sampler (tier.ts) each take the ones their part needs.

type Section = Record<string, unknown>;

/** A config's sections; the service's extension list is the extensions' names, in order. */
export interface ConfigParts {
    extensions: Section;
    receivers: Section;
    processors: Section;
    exporters: Section;
    pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
}

/** A config made of its parts, with the collector's own telemetry on the internal metrics port. */
export function composeConfig(s: Pick<CollectorConfigSettings, "ports">, parts: ConfigParts): Record<string, unknown> {
    return {
        extensions: parts.extensions,
        receivers: parts.receivers,
        processors: parts.processors,
        exporters: parts.exporters,
        service: {
            extensions: Object.keys(parts.extensions),
            telemetry: {
                logs: { level: "info" },
                metrics: {
                    // Detailed only for the receivers' per-call status (refused tokens); the views drop the rest.
                    level: "detailed",
                    views: selfTelemetryViews,
                    readers: [
                        {
                            pull: {
                                exporter: {
                                    prometheus: {
                                        host: "0.0.0.0",
                                        port: s.ports.internalMetrics,
                                        ...prometheusNameStyle,
                                    },
                                },
                            },
                        },
                    ],
                },
            },
            pipelines: parts.pipelines,
        },
    };
}

/** Health, the ingest token, and the disk the sending queue lives on. */
export function baseExtensions(s: CollectorConfigSettings): Section {
    return {
        health_check: { endpoint: `0.0.0.0:${s.ports.health}` },
        "bearertokenauth/ingest": { filename: collectorPaths.bearerToken },
        "file_storage/queue": {
            directory: collectorPaths.queueDir,
            create_directory: false,
            compaction: { on_start: true, on_rebound: true, directory: collectorPaths.queueDir },
        },
    };
}

/** OTLP over gRPC and HTTP from the apps, with TLS (when on) and the token. */
export function appReceivers(s: CollectorConfigSettings): Section {
    const tls = receiverTls(s);
    const auth = { authenticator: "bearertokenauth/ingest" };
    const protocol = (port: number) => ({ endpoint: `0.0.0.0:${port}`, ...(tls ? { tls } : {}), auth });
    return { otlp: { protocols: { grpc: protocol(s.ports.otlpGrpc), http: protocol(s.ports.otlpHttp) } } };
}

/** Refuses data (a retryable error for clients) before the container's limit is reached. */
export const memoryLimiter = {
    memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
};

/** Masks e-mail addresses and credentials in resource, scope, span and event attribute values. */
export const attributeMasking = {
    "redaction/pii": {
        allow_all_keys: true,
        blocked_values: [emailPattern, credentialPattern],
        summary: "silent",
    },
};

// Client IP addresses, under the old and the new semantic-convention names. The peer's address
// is the client's only on a server span (on a client span it is the server called).
const clientAddressKeys = ["client.address", "client.socket.address", "http.client_ip"];
const serverPeerAddressKeys = ["network.peer.address", "net.peer.ip", "net.sock.peer.addr"];
const hextet = "[0-9A-Fa-f]{1,4}";

/**
 * OTTL statements that truncate an address attribute: every IPv4 address in it to its /24 (so
 * an X-Forwarded-For list too), and a value that is one IPv6 address to its /48 (the first three
 * groups; where "::" comes sooner, what stands before it). Written without backslashes or quotes,
 * as the masking patterns; "$$" is a literal "$" in the collector's config.
 */
function truncateAddress(key: string, condition = ""): string[] {
    const value = `span.attributes["${key}"]`;
    return [
        `replace_pattern(${value}, "([0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3})[.][0-9]{1,3}", "$$1.0")${condition}`,
        `replace_pattern(${value}, "^(${hextet}:${hextet}:${hextet}):[0-9A-Fa-f:.]*$", "$$1::")${condition}`,
        `replace_pattern(${value}, "^([0-9A-Fa-f:]*?)::[0-9A-Fa-f:.]*$", "$$1::")${condition}`,
    ];
}

/**
 * Masks the same patterns in span names, status messages and event names, removes span links
 * (counting them as dropped: no processor can reach a link's attributes) and the canary's key,
 * and truncates client addresses unless the stack keeps them whole.
 */
export function textMasking(s: Pick<CollectorConfigSettings, "clientAddresses">): Section {
    const addresses =
        s.clientAddresses === "truncate"
            ? [
                  ...clientAddressKeys.flatMap((key) => truncateAddress(key)),
                  ...serverPeerAddressKeys.flatMap((key) =>
                      truncateAddress(key, " where span.kind == SPAN_KIND_SERVER"),
                  ),
              ]
            : [];
    return {
        "transform/pii": {
            error_mode: "ignore",
            // One group per context: in a single group the processor would infer the event
            // context for all of them and run them per event, so a span without events
            // would keep its name and status message unmasked.
            trace_statements: [
                {
                    context: "span",
                    statements: [...maskedSpanTexts.map(mask), ...linkRemoval, ...canaryKeyRemoval, ...addresses],
                },
                { context: "spanevent", statements: maskedEventTexts.map(mask) },
            ],
        },
    };
}

/** Policies are OR-ed: every error trace, every deploy canary, plus samplingRatio of the others. */
export function tailSampling(s: CollectorConfigSettings): Section {
    return {
        tail_sampling: {
            decision_wait: decisionWait,
            decision_wait_after_root_received: decisionWaitAfterRoot,
            // Both limits are shared out among the shards.
            num_shards: s.samplingShards,
            num_traces: tracesPerShard * s.samplingShards,
            decision_cache: {
                sampled_cache_size: decisionsPerShard * s.samplingShards,
                non_sampled_cache_size: decisionsPerShard * s.samplingShards,
            },
            policies: [
                { name: "keep-every-error", type: "status_code", status_code: { status_codes: ["ERROR"] } },
                {
                    name: "sample-the-rest",
                    type: "probabilistic",
                    probabilistic: { sampling_percentage: round(s.samplingRatio * 100) },
                },
                {
                    // The deploy check's canary, whatever the ratio. Only a span that carries the
                    // stack's secret key qualifies, so no app can opt out of sampling with it.
                    name: "keep-deploy-canaries",
                    type: "string_attribute",
                    string_attribute: { key: canaryAttribute, values: [`\${file:${collectorPaths.canaryKey}}`] },
                },
            ],
        },
    };
}

/** ivatar's plan: 1 s or 1024 items, whichever comes first. */
export const batching = { batch: { timeout: "1s", send_batch_size: 1024 } };

/**
 * Retries of what waits in a persistent queue: without end, but at most 10 s apart, so once the
 * target is back the backlog starts to drain within seconds (npm run bench -- recovery).
 */
export const retryFromQueue = { enabled: true, initial_interval: "5s", max_interval: "10s", max_elapsed_time: "0s" };

/**
 * Jaeger's OTLP receiver: on the private Podman network with no TLS, or across the network with
 * the TLS given. Retried until delivered; the persistent queue keeps the backlog across restarts.
 */
export function jaegerExporter(s: CollectorConfigSettings, tls: Section = { insecure: true }): Section {
    return {
        "otlp_grpc/jaeger": {
            endpoint: s.jaegerEndpoint,
            tls,
            // No compression: gzip would cost collector CPU to save bandwidth on a local bridge.
            compression: "none",
            // Jaeger answers once badger has written the batch, which stalls for seconds while it
            // compacts. At the default 5 s the exporter gave up on batches Jaeger went on writing
            // and sent them again: stored twice, and Jaeger's memory grew until its limiter
            // refused (npm run bench -- e2e).
            timeout: "30s",
            retry_on_failure: retryFromQueue,
            sending_queue: {
                enabled: true,
                storage: "file_storage/queue",
                sizer: "bytes",
                queue_size: s.queueBytes,
            },
        },
    };
}

/** The apps' OTLP metrics, for Prometheus to scrape. */
export function metricsExporter(s: CollectorConfigSettings): Section {
    return {
        prometheus: {
            endpoint: `0.0.0.0:${s.ports.prometheusExporter}`,
            resource_to_telemetry_conversion: { enabled: true },
            // The apps' exemplars (a trace ID on a latency bucket) reach Prometheus only in
            // OpenMetrics, which Prometheus asks for first.
            enable_open_metrics: true,
        },
    };
}

/**
 * Masking runs on what tail sampling keeps, in whole batches: nothing leaves the collector
 * unmasked, and the dropped share is never scanned (npm run bench).
 */
export const sampledTraceProcessors = ["memory_limiter", "tail_sampling", "batch", "redaction/pii", "transform/pii"];

/** The processors sampledTraceProcessors names, as the single collector and a sampler configure them. */
export function sampledTraceProcessing(s: CollectorConfigSettings): Section {
    return { ...memoryLimiter, ...attributeMasking, ...textMasking(s), ...tailSampling(s), ...batching };
}

/** The apps' metrics, masked, to the Prometheus exporter. */
export const metricsPipeline = {
    receivers: ["otlp"],
    processors: ["memory_limiter", "redaction/pii", "batch"],
    exporters: ["prometheus"],
};

/** The one collector of a single host: OTLP in, tail sampling and masking, Jaeger and Prometheus out. */
export function collectorConfig(s: CollectorConfigSettings): Record<string, unknown> {
    return composeConfig(s, {
        extensions: baseExtensions(s),
        receivers: appReceivers(s),
        processors: sampledTraceProcessing(s),
        exporters: { ...jaegerExporter(s), ...metricsExporter(s) },
        pipelines: {
            traces: { receivers: ["otlp"], processors: sampledTraceProcessors, exporters: ["otlp_grpc/jaeger"] },
            metrics: metricsPipeline,
        },
    });
}

function round(value: number): number {
    return Math.round(value * 1e6) / 1e6;
}
