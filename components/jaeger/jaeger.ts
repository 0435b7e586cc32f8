// Jaeger v2: its config.yaml and container, pure. Badger storage on a named volume, OTLP on the
// private network (and, with several collector hosts, published over TLS with client
// certificates for the other hosts' samplers), the query UI/API published for admin networks.
import { renderYaml } from "../yaml";
import { ContainerSpec, imageUser } from "../container";
import { prometheusNameStyle } from "../selfMetrics";

export const jaegerPaths = { config: "/etc/jaeger/config.yaml", data: "/badger", tlsDir: "/etc/jaeger/tls", clientCa: "/etc/jaeger/tier/ca.crt" };
export const jaegerContainerName = "ivatar-otel-jaeger";
export const jaegerDataVolume = "ivatar-otel-jaeger-data";
/** Ports inside the container. */
export const jaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, tierOtlpGrpc: 4319, query: 16686, queryGrpc: 16685, health: 13133, metrics: 8888 };
/** Jaeger is not sized by the stack: one CPU and 2 GB carry ivatar's trace volume after sampling. */
const jaegerSize = { cpus: 1, memoryMb: 2048 };

export interface JaegerSettings {
    image: string;
    /** Go duration spans are kept, like 168h. */
    traceRetention: string;
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

export function jaegerConfig(s: Pick<JaegerSettings, "traceRetention" | "tier">): Record<string, unknown> {
    const all = (port: number) => ({ endpoint: `0.0.0.0:${port}` });
    return {
        service: {
            extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            pipelines: {
                traces: { receivers: s.tier ? ["otlp", "otlp/tier"] : ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] },
            },
            telemetry: {
                resource: { "service.name": "jaeger" },
                logs: { level: "info" },
                // Named as the collector's own metrics are (the same without_* options), so one
                // set of rules and dashboards reads both.
                metrics: { level: "basic", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: jaegerPorts.metrics, ...prometheusNameStyle } } } }] },
            },
        },
        extensions: {
            healthcheckv2: { use_v2: true, http: all(jaegerPorts.health) },
            jaeger_query: {
                storage: { traces: "traces" },
                http: all(jaegerPorts.query),
                grpc: all(jaegerPorts.queryGrpc),
            },
            jaeger_storage: {
                backends: {
                    traces: {
                        badger: {
                            directories: { keys: `${jaegerPaths.data}/keys`, values: `${jaegerPaths.data}/values` },
                            // Badger defaults to a throwaway store.
                            ephemeral: false,
                            // Fixed per span when written: a change applies to new spans only.
                            ttl: { spans: s.traceRetention },
                        },
                    },
                },
            },
        },
        receivers: {
            otlp: { protocols: { grpc: all(jaegerPorts.otlpGrpc), http: all(jaegerPorts.otlpHttp) } },
            ...(s.tier ? { "otlp/tier": tierReceiver(s.tier) } : {}),
        },
        processors: { batch: {} },
        exporters: { jaeger_storage_exporter: { trace_storage: "traces" } },
    };
}

export function renderJaegerConfig(s: Pick<JaegerSettings, "traceRetention" | "tier">): string {
    return renderYaml("Rendered by ivatar-otel (components/jaeger/jaeger.ts); do not edit on the host.", jaegerConfig(s));
}

export function jaegerContainer<Content = string>(s: JaegerContainerSettings<Content>): ContainerSpec<string | Content> {
    if (s.tier && s.clientCa === undefined) throw new Error("Jaeger's OTLP for the tier needs the collector hosts' CA bundle (clientCa)");
    const tierFiles = s.tier && s.clientCa !== undefined ? [{ path: jaegerPaths.clientCa, content: s.clientCa }] : [];
    return {
        name: jaegerContainerName,
        image: s.image,
        args: ["--config", jaegerPaths.config],
        user: imageUser,
        cpus: jaegerSize.cpus,
        memoryMb: jaegerSize.memoryMb,
        env: {},
        // The query UI/API and the metrics leave the host; the collector reaches OTLP on the private network.
        ports: [
            { internal: jaegerPorts.query, external: s.uiPort }, { internal: jaegerPorts.metrics, external: s.metricsPort },
            ...(s.tier ? [{ internal: jaegerPorts.tierOtlpGrpc, external: s.tier.otlpPort }] : []),
        ],
        mounts: [
            { volume: jaegerDataVolume, containerPath: jaegerPaths.data },
            ...(s.tier ? [{ hostPath: s.tier.tlsHostDir, containerPath: jaegerPaths.tlsDir }] : []),
        ],
        files: [{ path: jaegerPaths.config, content: renderJaegerConfig(s) }, ...tierFiles],
        network: s.network,
        restart: "unless-stopped",
        labels: { "io.ivatar-otel.component": "jaeger" },
    };
}

/** host:port the collector exports to. */
export const jaegerOtlpEndpoint = `${jaegerContainerName}:${jaegerPorts.otlpGrpc}`;
