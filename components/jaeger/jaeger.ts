// Jaeger v2: its config.yaml and container, pure. Badger storage on a named volume, OTLP on the
// private network (and, with several collector hosts, published over TLS with client
// certificates for the other hosts' samplers), the query UI/API published for admin networks.
import { renderYaml } from "../yaml";
import { memoryLimiter } from "../collector/config";
import { ContainerFile, ContainerSpec, goMemLimit, imageUser, restartPolicy } from "../container";
import { prometheusNameStyle } from "../selfMetrics";
import { RetentionSettings } from "./retention";

export const jaegerPaths = {
    config: "/etc/jaeger/config.yaml",
    data: "/badger",
    tlsDir: "/etc/jaeger/tls",
    clientCa: "/etc/jaeger/tier/ca.crt",
    storagePassword: "/etc/jaeger/secrets/storage-password",
    storageCa: "/etc/jaeger/storage/ca.crt",
};
export const jaegerContainerName = "ivatar-otel-jaeger";
export const jaegerDataVolume = "ivatar-otel-jaeger-data";
/** Ports inside the container. */
export const jaegerPorts = {
    otlpGrpc: 4317,
    otlpHttp: 4318,
    tierOtlpGrpc: 4319,
    query: 16686,
    queryGrpc: 16685,
    health: 13133,
    metrics: 8888,
};
/**
 * Jaeger is not sized by the stack. At 2 GB it was OOM-killed at 5,000 spans/s; with 4 GB and its
 * memory limiter it holds about 4,000 stored spans/s on one CPU (npm run bench -- e2e), the whole
 * path's limit and far above what ivatar keeps.
 */
const jaegerSize = { cpus: 1, memoryMb: 4096 };

/** Where the traces go: badger on a volume, or an existing OpenSearch/Elasticsearch cluster. */
export type JaegerStorage =
    | { backend: "badger" }
    | {
          backend: "opensearch" | "elasticsearch";
          servers: string[];
          /** Indices are <indexPrefix>-jaeger-span-<day> and so on. */
          indexPrefix: string;
          shards: number;
          replicas: number;
          /** Basic auth: the password comes as a secret file. */
          username?: string;
          /** PEM CA of the cluster; the system's trust store without it. */
          caCertificate?: string;
      };
export type SearchStorage = Exclude<JaegerStorage, { backend: "badger" }>;

export interface JaegerSettings {
    image: string;
    /** Go duration spans are kept, like 168h (badger's TTL; a search cluster's by the retention timer). */
    traceRetention: string;
    storage: JaegerStorage;
    /** With a search cluster: the daily index cleaner, placed on the Jaeger host by a step. */
    retention?: RetentionSettings;
    /** Published host port of the query UI/API. */
    uiPort: number;
    /** Published host port of Jaeger's own metrics, for Prometheus. */
    metricsPort: number;
    network: string;
    /** With several collector hosts: OTLP for the other hosts' samplers, published, over TLS with client certificates. */
    tier?: JaegerTier;
}

export interface JaegerTier {
    /** Published host port. */
    otlpPort: number;
    /** The first host's TLS directory (its server certificate serves here too). */
    tlsHostDir: string;
    /** How often the certificate is re-read. */
    reloadInterval: string;
}

export interface JaegerContainerSettings<Content = string> extends JaegerSettings {
    /** With a tier: every collector host's CA; client certificates must chain to one. */
    clientCa?: Content;
    /** The search cluster's password, with storage.username (a placeholder when rendering for review). */
    storagePassword?: Content;
}

/** Daily indices: what the retention deletes is whole days. */
function dailyIndex(s: SearchStorage): Record<string, unknown> {
    return { date_layout: "2006-01-02", rollover_frequency: "day", shards: s.shards, replicas: s.replicas };
}

/** The backend block of jaeger_storage for the stack's store. */
function traceBackend(storage: JaegerStorage, traceRetention: string): Record<string, unknown> {
    if (storage.backend === "badger") {
        return {
            badger: {
                directories: { keys: `${jaegerPaths.data}/keys`, values: `${jaegerPaths.data}/values` },
                // Badger defaults to a throwaway store.
                ephemeral: false,
                // Fixed per span when written: a change applies to new spans only.
                ttl: { spans: traceRetention },
            },
        };
    }
    const daily = dailyIndex(storage);
    return {
        [storage.backend]: {
            server_urls: storage.servers,
            indices: {
                index_prefix: storage.indexPrefix,
                spans: daily,
                services: daily,
                dependencies: daily,
                sampling: daily,
            },
            ...(storage.username
                ? { auth: { basic: { username: storage.username, password_file: jaegerPaths.storagePassword } } }
                : {}),
            ...(storage.caCertificate ? { tls: { ca_file: jaegerPaths.storageCa } } : {}),
        },
    };
}

/** The receiver the other hosts' samplers send to: gRPC only, TLS, a client certificate from one of the hosts' CAs. */
function tierReceiver(tier: JaegerTier): Record<string, unknown> {
    return {
        protocols: {
            grpc: {
                endpoint: `0.0.0.0:${jaegerPorts.tierOtlpGrpc}`,
                tls: {
                    cert_file: `${jaegerPaths.tlsDir}/server.crt`,
                    key_file: `${jaegerPaths.tlsDir}/server.key`,
                    client_ca_file: jaegerPaths.clientCa,
                    min_version: "1.2",
                    reload_interval: tier.reloadInterval,
                },
            },
        },
    };
}

export function jaegerConfig(s: Pick<JaegerSettings, "traceRetention" | "tier" | "storage">): Record<string, unknown> {
    const all = (port: number) => ({ endpoint: `0.0.0.0:${port}` });
    return {
        service: {
            extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            pipelines: {
                traces: {
                    receivers: s.tier ? ["otlp", "otlp/tier"] : ["otlp"],
                    // No batch processor: the collector sends batches already, and without one
                    // Jaeger answers an export only once badger has written it, so a span the
                    // collector saw acknowledged survives a crash of Jaeger. The limiter refuses
                    // (retryably) what would outgrow the container instead of being killed for it.
                    processors: ["memory_limiter"],
                    exporters: ["jaeger_storage_exporter"],
                },
            },
            telemetry: {
                resource: { "service.name": "jaeger" },
                logs: { level: "info" },
                // Named as the collector's own metrics are (the same without_* options), so one
                // set of rules and dashboards reads both.
                metrics: {
                    level: "basic",
                    readers: [
                        {
                            pull: {
                                exporter: {
                                    prometheus: { host: "0.0.0.0", port: jaegerPorts.metrics, ...prometheusNameStyle },
                                },
                            },
                        },
                    ],
                },
            },
        },
        extensions: {
            healthcheckv2: { use_v2: true, http: all(jaegerPorts.health) },
            jaeger_query: {
                storage: { traces: "traces" },
                http: all(jaegerPorts.query),
                grpc: all(jaegerPorts.queryGrpc),
            },
            jaeger_storage: { backends: { traces: traceBackend(s.storage, s.traceRetention) } },
        },
        receivers: {
            otlp: { protocols: { grpc: all(jaegerPorts.otlpGrpc), http: all(jaegerPorts.otlpHttp) } },
            ...(s.tier ? { "otlp/tier": tierReceiver(s.tier) } : {}),
        },
        processors: memoryLimiter,
        exporters: { jaeger_storage_exporter: { trace_storage: "traces" } },
    };
}

export function renderJaegerConfig(s: Pick<JaegerSettings, "traceRetention" | "tier" | "storage">): string {
    return renderYaml(
        "Rendered by ivatar-otel (components/jaeger/jaeger.ts); do not edit on the host.",
        jaegerConfig(s),
    );
}

export function jaegerContainer<Content = string>(
    s: JaegerContainerSettings<Content>,
): ContainerSpec<string | Content> {
    if (s.tier && s.clientCa === undefined)
        throw new Error("Jaeger's OTLP for the tier needs the collector hosts' CA bundle (clientCa)");
    const tierFiles = s.tier && s.clientCa !== undefined ? [{ path: jaegerPaths.clientCa, content: s.clientCa }] : [];
    const storage = s.storage;
    const search = storage.backend === "badger" ? undefined : storage;
    if (search?.username && s.storagePassword === undefined)
        throw new Error("jaeger.storage.username needs the password (jaegerStoragePassword)");
    const storageFiles: ContainerFile<string | Content>[] = [
        ...(search?.username && s.storagePassword !== undefined
            ? [{ path: jaegerPaths.storagePassword, content: s.storagePassword, secret: true }]
            : []),
        ...(search?.caCertificate ? [{ path: jaegerPaths.storageCa, content: search.caCertificate }] : []),
    ];
    return {
        name: jaegerContainerName,
        image: s.image,
        args: ["--config", jaegerPaths.config],
        user: imageUser,
        cpus: jaegerSize.cpus,
        memoryMb: jaegerSize.memoryMb,
        env: { GOMEMLIMIT: goMemLimit(jaegerSize.memoryMb) },
        // The query UI/API and the metrics leave the host; the collector reaches OTLP on the private network.
        ports: [
            { internal: jaegerPorts.query, external: s.uiPort },
            { internal: jaegerPorts.metrics, external: s.metricsPort },
            ...(s.tier ? [{ internal: jaegerPorts.tierOtlpGrpc, external: s.tier.otlpPort }] : []),
        ],
        mounts: [
            // Badger's files; a search cluster keeps the traces elsewhere.
            ...(search ? [] : [{ volume: jaegerDataVolume, containerPath: jaegerPaths.data }]),
            ...(s.tier ? [{ hostPath: s.tier.tlsHostDir, containerPath: jaegerPaths.tlsDir }] : []),
        ],
        files: [{ path: jaegerPaths.config, content: renderJaegerConfig(s) }, ...tierFiles, ...storageFiles],
        network: s.network,
        restart: restartPolicy,
        labels: { "io.ivatar-otel.component": "jaeger" },
    };
}

/** host:port the collector exports to. */
export const jaegerOtlpEndpoint = `${jaegerContainerName}:${jaegerPorts.otlpGrpc}`;
