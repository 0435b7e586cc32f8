// Jaeger v2: its config.yaml and container, pure. Badger storage on a named volume, OTLP only on
// the private network, the query UI/API published for admin networks (see the firewall).
import { renderYaml } from "../yaml";
import { ContainerSpec, imageUser } from "../container";
import { prometheusNameStyle } from "../selfMetrics";

export const jaegerPaths = { config: "/etc/jaeger/config.yaml", data: "/badger" };
export const jaegerContainerName = "ivatar-otel-jaeger";
export const jaegerDataVolume = "ivatar-otel-jaeger-data";
/** Ports inside the container. */
export const jaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, query: 16686, queryGrpc: 16685, health: 13133, metrics: 8888 };
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
}

export function jaegerConfig(s: Pick<JaegerSettings, "traceRetention">): Record<string, unknown> {
    const all = (port: number) => ({ endpoint: `0.0.0.0:${port}` });
    return {
        service: {
            extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            pipelines: {
                traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] },
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
        receivers: { otlp: { protocols: { grpc: all(jaegerPorts.otlpGrpc), http: all(jaegerPorts.otlpHttp) } } },
        processors: { batch: {} },
        exporters: { jaeger_storage_exporter: { trace_storage: "traces" } },
    };
}

export function renderJaegerConfig(s: Pick<JaegerSettings, "traceRetention">): string {
    return renderYaml("Rendered by ivatar-otel (components/jaeger/jaeger.ts); do not edit on the host.", jaegerConfig(s));
}

export function jaegerContainer(s: JaegerSettings): ContainerSpec {
    return {
        name: jaegerContainerName,
        image: s.image,
        args: ["--config", jaegerPaths.config],
        user: imageUser,
        cpus: jaegerSize.cpus,
        memoryMb: jaegerSize.memoryMb,
        env: {},
        // The query UI/API and the metrics leave the host; the collector reaches OTLP on the private network.
        ports: [{ internal: jaegerPorts.query, external: s.uiPort }, { internal: jaegerPorts.metrics, external: s.metricsPort }],
        mounts: [{ volume: jaegerDataVolume, containerPath: jaegerPaths.data }],
        files: [{ path: jaegerPaths.config, content: renderJaegerConfig(s) }],
        network: s.network,
        restart: "unless-stopped",
        labels: { "io.ivatar-otel.component": "jaeger" },
    };
}

/** host:port the collector exports to. */
export const jaegerOtlpEndpoint = `${jaegerContainerName}:${jaegerPorts.otlpGrpc}`;
