// Per-environment defaults. Stack values are merged over these key by key (objects deeply,
// lists and host entries whole), then the result is validated against schema.ts.
import versions from "../versions.json";
import { isPlainObject, Plain } from "./keyPaths";

export type Environment = "production" | "development" | "local";
export const environments: readonly Environment[] = ["production", "development", "local"];

const common = {
    traceRetention: "168h",
    // ivatar's users' addresses are personal data, like their e-mail addresses.
    clientAddresses: "truncate",
    apps: { instances: [], telemetryOn: "all" },
    deployCheck: { enabled: true, trigger: "" },
    collector: {
        image: versions.collector.image,
        endpointHost: "collector.internal",
        ports: { otlpGrpc: 4317, otlpHttp: 4318, prometheusExporter: 9464, health: 13133, internalMetrics: 8888 },
        samplerPorts: { otlpGrpc: 4319, health: 13134, internalMetrics: 8889 },
        hostDir: "/etc/ivatar-otel",
    },
    jaeger: {
        image: versions.jaeger.image,
        uiPort: 16686,
        metricsPort: 14269,
        tierOtlpPort: 4320,
        storage: { backend: "badger" },
    },
    grafana: {
        enabled: true,
        provisioningDir: "/etc/grafana/provisioning/dashboards",
        dashboardsDir: "/var/lib/grafana/dashboards",
        folder: "ivatar-otel",
        datasourcesDir: "/etc/grafana/provisioning/datasources",
        lokiDatasourceUid: "loki",
        lokiServiceLabel: "service_name",
    },
    trustedNetworks: { ingest: [], metrics: [], admin: [], collectors: [] },
    tls: { mode: "generate", appCaPath: "/etc/ivatar/otel-ca.pem", reloadInterval: "1h", expiryMetricsDir: "" },
    prometheus: {
        rulesDir: "/etc/prometheus/rules.d",
        scrapeConfigDir: "/etc/prometheus/scrape.d",
        reloadUrl: "http://localhost:9090/-/reload",
        // The runbook shipped with this project; point it at where your repository is browsable.
        runbookBaseUrl: "docs/runbook.md",
        // ivatar's production takes requests all day; other stacks may be quiet for hours.
        noSpansAlertAfter: "off",
    },
};

const perEnvironment: Record<Environment, Plain> = {
    // ivatar's plan: 10 % sampling, 4 CPUs / 8 GB recommended for production.
    production: {
        serviceName: "ivatar-production",
        samplingRatio: 0.1,
        prometheus: { noSpansAlertAfter: "15m" },
        // The plan's 50 GB hold the queue and a week of traces at about 10 million requests a
        // day; the queue rides out over an hour of Jaeger outage at the rated load (README, Performance).
        collector: { cpus: 4, memoryMb: 8192, queueDiskGiB: 10 },
        jaeger: { storeDiskGiB: 35 },
        firewall: { enabled: true },
    },
    // 100 % sampling for debugging, the plan's minimum of 2 CPUs / 4 GB.
    development: {
        serviceName: "ivatar-development",
        samplingRatio: 1.0,
        // The plan's 10 GB hold the queue and a week of every trace at about 300,000 requests a day.
        collector: { cpus: 2, memoryMb: 4096, queueDiskGiB: 2 },
        jaeger: { storeDiskGiB: 7 },
        firewall: { enabled: true },
    },
    // This machine's own Podman: small, no firewall, files under /tmp.
    local: {
        serviceName: "ivatar-local",
        serviceVersion: "dev",
        samplingRatio: 1.0,
        collectorHost: { local: true },
        collector: {
            cpus: 1,
            memoryMb: 1024,
            queueDiskGiB: 1,
            endpointHost: "localhost",
            hostDir: "/tmp/ivatar-otel-local",
        },
        jaeger: { storeDiskGiB: 1 },
        trustedNetworks: { ingest: ["127.0.0.0/8"], metrics: ["127.0.0.0/8"], admin: ["127.0.0.0/8"] },
        firewall: { enabled: false },
        prometheus: {
            host: { local: true },
            rulesDir: "/tmp/ivatar-otel-local/prometheus/rules.d",
            scrapeConfigDir: "/tmp/ivatar-otel-local/prometheus/scrape.d",
            reloadUrl: "",
        },
        // A developer's machine has no Grafana to provision (the preflight would find its directory missing).
        grafana: {
            enabled: false,
            provisioningDir: "/tmp/ivatar-otel-local/grafana/provisioning/dashboards",
            dashboardsDir: "/tmp/ivatar-otel-local/grafana/dashboards",
            datasourcesDir: "/tmp/ivatar-otel-local/grafana/provisioning/datasources",
        },
    },
};

/** Keys whose value replaces the default whole instead of being merged into it. */
const replacedWhole = new Set(["collectorHost", "prometheus.host", "grafana.host"]);

function merge(base: Plain, over: Plain, prefix: string): Plain {
    const out: Plain = { ...base };
    for (const [key, value] of Object.entries(over)) {
        const path = prefix ? `${prefix}.${key}` : key;
        const current = out[key];
        out[key] =
            isPlainObject(current) && isPlainObject(value) && !replacedWhole.has(path)
                ? merge(current, value, path)
                : value;
    }
    return out;
}

/** The stack's values over the defaults of its environment (unknown environments get the common ones). */
export function withDefaults(stackValues: Plain): Plain {
    const environment = stackValues.environment;
    const specific = environments.includes(environment as Environment)
        ? perEnvironment[environment as Environment]
        : {};
    const merged = merge(merge(common, specific, ""), stackValues, "");
    // A list of collector hosts stands in for the one host, the local stack's default included.
    if (stackValues.collectorHosts !== undefined && stackValues.collectorHost === undefined)
        delete merged.collectorHost;
    return merged;
}
