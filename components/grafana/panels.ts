// What each dashboard shows: titles, descriptions, PromQL and the limits drawn on them. Pure data
// from the stack's sizing; dashboards.ts turns it into Grafana's JSON model.
import { requireGrammar } from "../../grammar/text";
import { certificateAlertDays, jaegerStoreMetrics } from "../prometheus/rules";
import { collectorMetrics, refusedRequests } from "../selfMetrics";
import { certificateExpiryMetric } from "../tls/steps";

export interface DashboardSettings {
    environment: string;
    /** The collector container's limits, drawn as lines on its CPU and memory panels. */
    collector: { cpus: number; memoryMb: number; goMemLimitMiB: number };
    /** Scrape job names of the collector's own metrics, the app metrics it exports, and Jaeger's. */
    jobs: { collector: string; exporter: string; jaeger: string };
    /** The certificate's expiry reaches Prometheus through node_exporter (tls.expiryMetricsDir). */
    certificateExpiry?: boolean;
}

export interface PanelQuery {
    expr: string;
    /** Grafana's legend template, like "{{transport}}". */
    legend: string;
    /** Show the series' exemplars (their traces open in Jaeger with the stack's Prometheus data source). */
    exemplar?: boolean;
}

export interface PanelSpec {
    title: string;
    /** One line an operator reads on the panel's info icon (also in README, Dashboards). */
    description: string;
    /** Grafana unit id: "ops" (per second), "reqps" (requests per second), "bytes", "short", "ms", "d" (days), "percentunit". */
    unit: string;
    queries: PanelQuery[];
    /** Limits drawn as horizontal lines, lowest first. */
    limits?: { value: number; label: string }[];
}

export interface DashboardSpec {
    /** Stable across renders: Grafana keys provisioned dashboards by it. */
    uid: string;
    title: string;
    description: string;
    panels: PanelSpec[];
}

/** Grafana picks the window from the scrape interval; the live test substitutes a fixed one. */
export const rateWindow = "$__rate_interval";

/** A label selector on the environment and scrape job; both come from the plan, never from free text. */
function selector(job: string, environment: string, extra = ""): string {
    requireGrammar(/^[a-z0-9][a-z0-9-]*$/.test(job), "a scrape job name", job);
    requireGrammar(/^[a-z0-9][a-z0-9-]*$/.test(environment), "an environment name", environment);
    return `{job="${job}", environment="${environment}"${extra ? `, ${extra}` : ""}}`;
}

const rate = (metric: string, sel: string, by: string) => `sum by (${by}) (rate(${metric}${sel}[${rateWindow}]))`;
const quantile = (q: number, bucket: string, sel: string, by: string) =>
    `histogram_quantile(${q}, sum by (le, ${by}) (rate(${bucket}${sel}[${rateWindow}])))`;

/**
 * Days the served certificate has left, from node_exporter (the operator's scrape job, so by the
 * environment label the TLS step writes); the line is where OtelCollectorCertificateExpiring fires.
 */
function certificatePanel(environment: string): PanelSpec {
    requireGrammar(/^[a-z0-9][a-z0-9-]*$/.test(environment), "an environment name", environment);
    return {
        title: "Certificate: days left",
        description:
            "Days until the collector's TLS certificate expires, per name it serves; the daily renewal re-issues it from 30 days, so a line falling below that means the renewal fails.",
        unit: "d",
        queries: [
            {
                expr: `(min by (server) (${certificateExpiryMetric}{environment="${environment}"}) - time()) / 86400`,
                legend: "{{server}}",
            },
        ],
        limits: [{ value: certificateAlertDays, label: "alert" }],
    };
}

function collectorDashboard(s: DashboardSettings): DashboardSpec {
    const own = selector(s.jobs.collector, s.environment);
    const toJaeger = selector(s.jobs.collector, s.environment, `exporter="otlp_grpc/jaeger"`);
    const mib = 1024 * 1024;
    return {
        uid: `ivatar-otel-collector-${s.environment}`,
        title: `ivatar-otel collector (${s.environment})`,
        description:
            "The OpenTelemetry Collector in front of Jaeger: intake, tail sampling, the export queue and the container's limits.",
        panels: [
            {
                title: "Spans accepted and refused",
                description:
                    "Spans per second the OTLP receivers took in, and those refused (memory limiter or a full pipeline), by transport.",
                unit: "ops",
                queries: [
                    {
                        expr: rate("otelcol_receiver_accepted_spans", own, "transport"),
                        legend: "accepted {{transport}}",
                    },
                    { expr: rate(collectorMetrics.refusedSpans, own, "transport"), legend: "refused {{transport}}" },
                ],
            },
            {
                title: "Requests refused: no valid token",
                description:
                    "OTLP requests per second refused for a missing or wrong token (gRPC UNAUTHENTICATED, HTTP 401), by collector: an app with an old token, or a stranger on a trusted network.",
                unit: "reqps",
                queries: [
                    {
                        expr: rate(
                            refusedRequests.grpc.metric,
                            selector(s.jobs.collector, s.environment, refusedRequests.grpc.status),
                            "instance",
                        ),
                        legend: "gRPC {{instance}}",
                    },
                    {
                        expr: rate(
                            refusedRequests.http.metric,
                            selector(s.jobs.collector, s.environment, refusedRequests.http.status),
                            "instance",
                        ),
                        legend: "HTTP {{instance}}",
                    },
                ],
            },
            {
                title: "Metric points accepted and refused",
                description: "App metric points per second taken in over OTLP, and those refused, by transport.",
                unit: "ops",
                queries: [
                    {
                        expr: rate("otelcol_receiver_accepted_metric_points", own, "transport"),
                        legend: "accepted {{transport}}",
                    },
                    {
                        expr: rate("otelcol_receiver_refused_metric_points", own, "transport"),
                        legend: "refused {{transport}}",
                    },
                ],
            },
            {
                title: "Tail sampling: traces kept and dropped",
                description:
                    "Traces per second the sampler decided to keep (every error trace plus the sampling ratio of the rest) or drop, and traces evicted before a decision.",
                unit: "ops",
                queries: [
                    {
                        expr: rate("otelcol_processor_tail_sampling_global_count_traces_sampled", own, "sampled"),
                        legend: "sampled={{sampled}}",
                    },
                    {
                        expr: `sum(rate(${collectorMetrics.tracesEvictedUndecided}${own}[${rateWindow}]))`,
                        legend: "evicted before a decision",
                    },
                ],
            },
            {
                title: "Export queue: size against capacity",
                description:
                    "Bytes waiting in the persistent queue to Jaeger, against the queue's capacity (collector.queueDiskGiB); it grows while Jaeger is away.",
                unit: "bytes",
                queries: [
                    { expr: `sum(${collectorMetrics.queueSize}${toJaeger})`, legend: "in the queue" },
                    { expr: `sum(${collectorMetrics.queueCapacity}${toJaeger})`, legend: "capacity" },
                ],
            },
            {
                title: "Export to Jaeger: sent and failed",
                description:
                    "Spans per second delivered to Jaeger, spans given up on (retries never stop, so only a permanent error counts), and spans the full queue could not take (lost).",
                unit: "ops",
                queries: [
                    { expr: `sum(rate(${collectorMetrics.sentSpans}${toJaeger}[${rateWindow}]))`, legend: "sent" },
                    {
                        expr: `sum(rate(${collectorMetrics.sendFailedSpans}${toJaeger}[${rateWindow}]))`,
                        legend: "given up",
                    },
                    {
                        expr: `sum(rate(${collectorMetrics.enqueueFailedSpans}${toJaeger}[${rateWindow}]))`,
                        legend: "lost: queue full",
                    },
                ],
            },
            {
                title: "App metrics exported to Prometheus",
                description:
                    "Metric points per second the collector's Prometheus exporter took from the metrics pipeline.",
                unit: "ops",
                queries: [
                    {
                        expr: rate(
                            "otelcol_exporter_sent_metric_points",
                            selector(s.jobs.collector, s.environment, `exporter="prometheus"`),
                            "exporter",
                        ),
                        legend: "{{exporter}}",
                    },
                ],
            },
            {
                title: "CPU against the container limit",
                description: "CPUs the collector process uses; the line is the container's CPU limit (collector.cpus).",
                unit: "short",
                queries: [
                    { expr: `sum(rate(${collectorMetrics.cpuSeconds}${own}[${rateWindow}]))`, legend: "CPUs used" },
                ],
                limits: [{ value: s.collector.cpus, label: "container limit" }],
            },
            {
                title: "Memory against GOMEMLIMIT and the container limit",
                description:
                    "Resident memory and Go heap of the collector; the lines are GOMEMLIMIT (80 % of the limit, where Go's GC works hardest) and the container's memory limit.",
                unit: "bytes",
                queries: [
                    { expr: `sum(${collectorMetrics.memoryRss}${own})`, legend: "resident" },
                    { expr: `sum(otelcol_process_runtime_heap_alloc_bytes${own})`, legend: "Go heap" },
                ],
                limits: [
                    { value: s.collector.goMemLimitMiB * mib, label: "GOMEMLIMIT" },
                    { value: s.collector.memoryMb * mib, label: "container limit" },
                ],
            },
            ...(s.certificateExpiry ? [certificatePanel(s.environment)] : []),
        ],
    };
}

function jaegerDashboard(s: DashboardSettings): DashboardSpec {
    const own = selector(s.jobs.jaeger, s.environment);
    const store = selector(s.jobs.jaeger, s.environment, `exporter="jaeger_storage_exporter"`);
    return {
        uid: `ivatar-otel-jaeger-${s.environment}`,
        title: `ivatar-otel Jaeger (${s.environment})`,
        description:
            "Jaeger's trace store (badger): spans written, bytes, size on disk, and how fast queries are answered.",
        panels: [
            {
                title: "Spans written to storage",
                description: "Spans per second Jaeger wrote to its store, and writes that failed.",
                unit: "ops",
                queries: [
                    { expr: `sum(rate(${collectorMetrics.sentSpans}${store}[${rateWindow}]))`, legend: "written" },
                    { expr: `sum(rate(${collectorMetrics.sendFailedSpans}${store}[${rateWindow}]))`, legend: "failed" },
                ],
            },
            {
                title: "Storage writes in bytes",
                description: "Bytes per second written to badger by Jaeger (its own counter, read as a rate).",
                unit: "Bps",
                queries: [
                    {
                        expr: `sum(deriv(jaeger_storage_badger_write_bytes_user${own}[${rateWindow}]))`,
                        legend: "written",
                    },
                ],
            },
            {
                title: "Store size on disk",
                description:
                    "Size of badger's key tree and value log; it levels off once traces older than the retention expire. OtelJaegerStoreNearlyFull fires when the key tree, which holds the spans, passes 80 % of jaeger.storeDiskGiB (the value log shows the size of a mostly empty file mapped in advance).",
                unit: "bytes",
                queries: [
                    { expr: `sum(${jaegerStoreMetrics.keys}${own})`, legend: "keys (LSM)" },
                    { expr: `sum(${jaegerStoreMetrics.values}${own})`, legend: "values (log)" },
                ],
            },
            {
                title: "Query latency",
                description:
                    "95th percentile time Jaeger's store took to answer, by operation (trace search, trace by ID, service list).",
                unit: "s",
                queries: [
                    {
                        expr: quantile(0.95, "jaeger_storage_latency_bucket", own, "operation"),
                        legend: "p95 {{operation}}",
                    },
                ],
            },
            {
                title: "Jaeger CPU and memory",
                description:
                    "CPUs and resident memory of the Jaeger process (its container is limited to 1 CPU and 2 GB).",
                unit: "short",
                queries: [
                    { expr: `sum(rate(${collectorMetrics.cpuSeconds}${own}[${rateWindow}]))`, legend: "CPUs used" },
                    { expr: `sum(${collectorMetrics.memoryRss}${own}) / 2^30`, legend: "resident GiB" },
                ],
            },
        ],
    };
}

/**
 * ivatar's Django instrumentation as the collector's Prometheus exporter names it: the HTTP
 * server duration histogram (milliseconds) and in-flight requests, per service.
 */
export const appMetrics = {
    durationMs: "http_server_duration_milliseconds",
    activeRequests: "http_server_active_requests",
};

function appDashboard(s: DashboardSettings): DashboardSpec {
    const app = selector(s.jobs.exporter, s.environment);
    return {
        uid: `ivatar-otel-app-${s.environment}`,
        title: `ivatar app (${s.environment})`,
        description: "ivatar's own HTTP metrics, sent over OTLP and exported by the collector.",
        panels: [
            {
                title: "Requests by status",
                description: "Requests per second the app served, by service and HTTP status code.",
                unit: "ops",
                queries: [
                    {
                        expr: rate(`${appMetrics.durationMs}_count`, app, "service_name, http_status_code"),
                        legend: "{{service_name}} {{http_status_code}}",
                    },
                ],
            },
            {
                title: "Request latency",
                description: "Median and 95th percentile request duration, by service.",
                unit: "ms",
                queries: [
                    {
                        expr: quantile(0.5, `${appMetrics.durationMs}_bucket`, app, "service_name"),
                        legend: "p50 {{service_name}}",
                    },
                    {
                        expr: quantile(0.95, `${appMetrics.durationMs}_bucket`, app, "service_name"),
                        legend: "p95 {{service_name}}",
                        exemplar: true,
                    },
                ],
            },
            {
                title: "Requests in flight",
                description: "Requests being served right now, by service.",
                unit: "short",
                queries: [
                    { expr: `sum by (service_name) (${appMetrics.activeRequests}${app})`, legend: "{{service_name}}" },
                ],
            },
        ],
    };
}

/** Every dashboard the stack provisions. */
export function dashboardSpecs(s: DashboardSettings): DashboardSpec[] {
    return [collectorDashboard(s), jaegerDashboard(s), appDashboard(s)];
}
