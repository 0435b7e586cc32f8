// Alert rules for the collector, and the promtool unit tests that prove each one fires on a bad
// series and stays quiet on a healthy one. Pure: thresholds come from the stack's sizing.
import { durationHours, isHttpUrl, isRelativeLink, requireGrammar } from "../../grammar/text";
import { renderYaml } from "../yaml";
import { collectorMetrics, refusedRequests } from "../selfMetrics";
import { certificateExpiryMetric, renewalWindowDays } from "../tls/steps";
import { scrapeJobs } from "./scrape";

export interface RuleSettings {
    environment: string;
    /** The collector container's limits: CPU and memory alerts are relative to them. */
    cpus: number;
    memoryMb: number;
    /** Base of the runbook links; each alert appends "#<alert name in lower case>". */
    runbookBaseUrl: string;
    /** The collector tier, when there is one: how many samplers every front must know. */
    tier?: { samplers: number };
    /** How long the apps may send no span before OtelCollectorNoSpans fires (Go duration); none: no such alert. */
    noSpansFor?: string;
    /** The TLS step writes the certificate's expiry for node_exporter (tls.expiryMetricsDir). */
    certificateExpiry?: boolean;
    /** Bytes badger's trace store may take (jaeger.storeDiskGiB); none with a search cluster. */
    jaegerStoreBytes?: number;
}

/** Days left under which OtelCollectorCertificateExpiring fires: three daily renewals missed. */
export const certificateAlertDays = renewalWindowDays - 3;

interface AlertRule {
    alert: string;
    expr: string;
    for: string;
    labels: { severity: "critical" | "warning" };
    annotations: { summary: string; description: string; runbook_url: string };
}

/** A series that makes an alert fire and one that keeps it quiet, for the promtool tests. */
interface AlertCase {
    rule: AlertRule;
    /** Labels the firing alert carries besides severity. */
    labels: Record<string, string>;
    firing: { series: string; values: string }[];
    /** Another way the alert must fire, where its expression has two branches. */
    alsoFiring?: { series: string; values: string }[];
    healthy: { series: string; values: string }[];
}

const instance = "collector:8888";
const jaegerInstance = "collector:14269";
const selector = `job="${scrapeJobs.health}"`;

/**
 * The runbook link of an alert. Prometheus runs annotations through its template engine, so a
 * base with braces would be executed: only an http(s) URL or a plain relative link is rendered.
 */
export function runbookLink(base: string, alert: string): string {
    requireGrammar(isHttpUrl(base) || isRelativeLink(base), "the runbook link of an alert", base);
    return `${base}#${alert.toLowerCase()}`;
}

/** The collector's own job and instance, as the promtool tests' series carry them. */
const base = { job: scrapeJobs.health, instance };

/** A series of the promtool tests: the collector's job and instance unless `extra` overrides them. */
function series(metric: string, extra: Record<string, string> = {}): string {
    return `${metric}{${Object.entries({ ...base, ...extra })
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`;
}

type MakeRule = (
    alert: string,
    expr: string,
    forDuration: string,
    severity: "critical" | "warning",
    summary: string,
    description: string,
) => AlertRule;

function alertCases(s: RuleSettings): AlertCase[] {
    const memoryBytes = s.memoryMb * 1024 * 1024;
    const rule: MakeRule = (alert, expr, forDuration, severity, summary, description) => ({
        alert,
        expr,
        for: forDuration,
        labels: { severity },
        annotations: { summary, description, runbook_url: runbookLink(s.runbookBaseUrl, alert) },
    });
    const exporter = { exporter: "otlp_grpc/jaeger" };
    const receiver = { receiver: "otlp", transport: "grpc" };
    // Counters: rising by 60 per minute is 1 per second; flat is 0.
    const rising = "0+60x30";
    const flat = "100+0x30";
    return [
        {
            rule: rule(
                "OtelCollectorDown",
                `up{job=~"${scrapeJobs.health}|${scrapeJobs.exporter}"} == 0`,
                "2m",
                "critical",
                "OpenTelemetry collector is down",
                "Prometheus cannot scrape {{ $labels.job }} on {{ $labels.instance }}: no traces or app metrics arrive.",
            ),
            labels: base,
            firing: [{ series: series("up"), values: "0x30" }],
            healthy: [{ series: series("up"), values: "1x30" }],
        },
        {
            // Jaeger down also stalls the export (OtelCollectorExportStalled), but says why only here.
            rule: rule(
                "JaegerDown",
                `up{job="${scrapeJobs.jaeger}"} == 0`,
                "2m",
                "critical",
                "Jaeger is down",
                "Prometheus cannot scrape Jaeger on {{ $labels.instance }}: traces wait in the collector's queue and the UI is away.",
            ),
            labels: { job: scrapeJobs.jaeger, instance: jaegerInstance },
            firing: [{ series: series("up", { job: scrapeJobs.jaeger, instance: jaegerInstance }), values: "0x30" }],
            healthy: [{ series: series("up", { job: scrapeJobs.jaeger, instance: jaegerInstance }), values: "1x30" }],
        },
        {
            rule: rule(
                "HighCollectorCPU",
                `rate(${collectorMetrics.cpuSeconds}{${selector}}[5m]) / ${s.cpus} > 0.8`,
                "5m",
                "warning",
                "Collector CPU above 80 % of its limit",
                `The collector on {{ $labels.instance }} uses more than 80 % of its ${s.cpus} CPUs.`,
            ),
            labels: base,
            // 0.9 of the limit vs 0.5 of it, in CPU-seconds per minute.
            firing: [{ series: series(collectorMetrics.cpuSeconds), values: `0+${round(s.cpus * 0.9 * 60)}x30` }],
            healthy: [{ series: series(collectorMetrics.cpuSeconds), values: `0+${round(s.cpus * 0.5 * 60)}x30` }],
        },
        {
            rule: rule(
                "HighCollectorMemory",
                `${collectorMetrics.memoryRss}{${selector}} / ${memoryBytes} > 0.8`,
                "5m",
                "warning",
                "Collector memory above 80 % of its limit",
                `The collector on {{ $labels.instance }} uses more than 80 % of its ${s.memoryMb} MB; the memory limiter refuses data from 80 %.`,
            ),
            labels: base,
            firing: [{ series: series(collectorMetrics.memoryRss), values: `${Math.round(memoryBytes * 0.9)}x30` }],
            healthy: [{ series: series(collectorMetrics.memoryRss), values: `${Math.round(memoryBytes * 0.5)}x30` }],
        },
        {
            rule: rule(
                "OtelCollectorRefusedSpans",
                `sum by (job, instance, receiver, transport) (rate(${collectorMetrics.refusedSpans}{${selector}}[5m])) > 0`,
                "2m",
                "warning",
                "Collector refuses spans",
                "The collector on {{ $labels.instance }} refuses spans on {{ $labels.receiver }}/{{ $labels.transport }}: memory pressure or bad requests.",
            ),
            labels: { ...base, ...receiver },
            firing: [{ series: series(collectorMetrics.refusedSpans, receiver), values: rising }],
            healthy: [{ series: series(collectorMetrics.refusedSpans, receiver), values: flat }],
        },
        accessRefusedCase(rule),
        {
            // Counted only when an export fails for good (a permanent error): those spans are lost.
            rule: rule(
                "OtelCollectorExportFailures",
                `sum by (job, instance, exporter) (rate(${collectorMetrics.sendFailedSpans}{${selector}}[5m])) > 0`,
                "2m",
                "critical",
                "Collector drops spans Jaeger rejected",
                "Jaeger rejects spans from {{ $labels.exporter }} on {{ $labels.instance }} with a permanent error: they are dropped.",
            ),
            labels: { ...base, ...exporter },
            firing: [{ series: series(collectorMetrics.sendFailedSpans, exporter), values: rising }],
            healthy: [{ series: series(collectorMetrics.sendFailedSpans, exporter), values: flat }],
        },
        {
            // Retries never give up (the queue is persistent), so an outage shows as a queue that
            // holds data while nothing is sent, not as send failures.
            rule: rule(
                "OtelCollectorExportStalled",
                `sum by (job, instance, exporter) (rate(${collectorMetrics.sentSpans}{${selector}}[5m])) == 0 and on (job, instance, exporter) max by (job, instance, exporter) (${collectorMetrics.queueSize}{${selector}}) > 0`,
                "5m",
                "critical",
                "Collector cannot deliver spans to Jaeger",
                "The collector on {{ $labels.instance }} has sent nothing through {{ $labels.exporter }} for 5 minutes while spans wait in its persistent queue.",
            ),
            labels: { ...base, ...exporter },
            firing: [
                { series: series(collectorMetrics.sentSpans, exporter), values: flat },
                { series: series(collectorMetrics.queueSize, exporter), values: "5x30" },
            ],
            healthy: [
                { series: series(collectorMetrics.sentSpans, exporter), values: rising },
                { series: series(collectorMetrics.queueSize, exporter), values: "5x30" },
            ],
        },
        {
            rule: rule(
                "OtelCollectorEnqueueFailures",
                `sum by (job, instance, exporter) (rate(${collectorMetrics.enqueueFailedSpans}{${selector}}[5m])) > 0`,
                "1m",
                "critical",
                "Collector drops spans: sending queue full",
                "The collector on {{ $labels.instance }} cannot queue spans for {{ $labels.exporter }}: they are lost.",
            ),
            labels: { ...base, ...exporter },
            firing: [{ series: series(collectorMetrics.enqueueFailedSpans, exporter), values: rising }],
            healthy: [{ series: series(collectorMetrics.enqueueFailedSpans, exporter), values: flat }],
        },
        {
            rule: rule(
                "OtelCollectorQueueNearlyFull",
                `max by (job, instance, exporter) (${collectorMetrics.queueSize}{${selector}} / ${collectorMetrics.queueCapacity}{${selector}}) > 0.8`,
                "1m",
                "warning",
                "Collector sending queue above 80 %",
                "The sending queue of {{ $labels.exporter }} on {{ $labels.instance }} is above 80 % of its capacity; spans will be dropped when it is full.",
            ),
            labels: { ...base, ...exporter },
            firing: [
                { series: series(collectorMetrics.queueSize, exporter), values: "900x30" },
                { series: series(collectorMetrics.queueCapacity, exporter), values: "1000x30" },
            ],
            healthy: [
                { series: series(collectorMetrics.queueSize, exporter), values: "100x30" },
                { series: series(collectorMetrics.queueCapacity, exporter), values: "1000x30" },
            ],
        },
        ...(s.tier ? tierCases(s.tier.samplers, rule) : []),
        ...(s.noSpansFor ? [noSpansCase(s.noSpansFor, rule)] : []),
        ...(s.certificateExpiry ? [certificateCase(s.environment, rule)] : []),
        ...(s.jaegerStoreBytes ? [jaegerStoreCase(s.jaegerStoreBytes, rule)] : []),
        {
            // More traces arrive than tail sampling holds: the oldest go undecided, errors included.
            rule: rule(
                "OtelCollectorTracesEvictedUndecided",
                `sum by (job, instance) (rate(${collectorMetrics.tracesEvictedUndecided}{${selector}}[5m])) > 0`,
                "2m",
                "critical",
                "Collector drops traces before sampling them",
                "Tail sampling on {{ $labels.instance }} evicts traces before deciding on them: error traces among them are lost.",
            ),
            labels: base,
            firing: [{ series: series(collectorMetrics.tracesEvictedUndecided), values: rising }],
            healthy: [{ series: series(collectorMetrics.tracesEvictedUndecided), values: flat }],
        },
    ];
}

/** The fronts of the collector tier: every sampler known, and every sampler taking what it is sent. */
function tierCases(samplers: number, rule: MakeRule): AlertCase[] {
    const failing = { endpoint: "collector-2.internal:4319", success: "false" };
    return [
        {
            // A front with fewer samplers than the others hashes trace IDs differently: traces split.
            rule: rule(
                "OtelCollectorTierBackendsMissing",
                `min by (job, instance) (${collectorMetrics.loadBalancerBackends}{${selector}}) < ${samplers}`,
                "2m",
                "critical",
                "A front collector knows fewer samplers than configured",
                `The front on {{ $labels.instance }} routes over fewer than ${samplers} samplers: traces may be split and sampled in parts.`,
            ),
            labels: base,
            firing: [{ series: series(collectorMetrics.loadBalancerBackends), values: `${samplers - 1}x30` }],
            healthy: [{ series: series(collectorMetrics.loadBalancerBackends), values: `${samplers}x30` }],
        },
        {
            // Retries never give up: a sampler that is away shows as failed attempts while its share waits on disk.
            rule: rule(
                "OtelCollectorTierBackendFailing",
                `sum by (job, instance, endpoint) (rate(${collectorMetrics.loadBalancerOutcome}{${selector}, success="false"}[5m])) > 0`,
                "5m",
                "critical",
                "A front collector cannot deliver to a sampler",
                "The front on {{ $labels.instance }} fails to send to the sampler {{ $labels.endpoint }}; what it holds for that sampler waits in its disk queue.",
            ),
            labels: { ...base, endpoint: failing.endpoint },
            firing: [{ series: series(collectorMetrics.loadBalancerOutcome, failing), values: "0+60x30" }],
            healthy: [{ series: series(collectorMetrics.loadBalancerOutcome, failing), values: "100+0x30" }],
        },
    ];
}

/**
 * Requests refused for want of a valid token, over either transport: an app with a missing or old
 * token, a front whose token the samplers do not take, or someone on a trusted network probing.
 */
function accessRefusedCase(rule: MakeRule): AlertCase {
    const { grpc, http } = refusedRequests;
    const refused = (r: { metric: string; status: string }) => `rate(${r.metric}{${selector}, ${r.status}}[5m])`;
    const grpcLabels = { rpc_response_status_code: "UNAUTHENTICATED" };
    const grpcOk = { rpc_response_status_code: "OK" };
    const httpLabels = { http_response_status_code: "401" };
    return {
        rule: rule(
            "OtelCollectorAccessRefused",
            `sum by (job, instance) (${refused(grpc)} or ${refused(http)}) > 0`,
            "5m",
            "warning",
            "Collector refuses requests without a valid token",
            "The collector on {{ $labels.instance }} refuses OTLP requests for a missing or wrong token (gRPC UNAUTHENTICATED, HTTP 401): their spans are lost.",
        ),
        labels: base,
        firing: [
            { series: series(grpc.metric, grpcLabels), values: "0+60x30" },
            { series: series(grpc.metric, grpcOk), values: "0+600x30" },
        ],
        alsoFiring: [{ series: series(http.metric, httpLabels), values: "0+60x30" }],
        healthy: [
            { series: series(grpc.metric, grpcLabels), values: "100+0x30" },
            { series: series(grpc.metric, grpcOk), values: "0+600x30" },
            { series: series(http.metric, httpLabels), values: "3+0x30" },
        ],
    };
}

/**
 * Silence from the apps while the collectors are up: a broken app config (endpoint, token, CA)
 * looks like a quiet night otherwise. A counter that was never created (no span since the
 * collector started) counts as silence too.
 */
function noSpansCase(after: string, rule: MakeRule): AlertCase {
    const fromApps = `${collectorMetrics.acceptedSpans}{${selector}, receiver="otlp"}`;
    const accepted = { receiver: "otlp", transport: "grpc" };
    // Samples enough for the rate window, then the whole `for`, then a margin.
    const samples = evalMinutes(after) + 5;
    const up = { series: series("up"), values: `1x${samples}` };
    return {
        rule: rule(
            "OtelCollectorNoSpans",
            `(sum by (job) (rate(${fromApps}[5m])) == 0 or sum by (job) (absent(${fromApps}))) and on (job) sum by (job) (up{${selector}}) > 0`,
            after,
            "warning",
            "No spans arrive from the apps",
            `The collectors of {{ $labels.job }} are up but have taken in no span from the apps for ${after}: the apps' telemetry settings (endpoint, token, CA) may be broken, or the apps are not running.`,
        ),
        labels: { job: scrapeJobs.health },
        firing: [{ series: series(collectorMetrics.acceptedSpans, accepted), values: `100+0x${samples}` }, up],
        alsoFiring: [up],
        healthy: [{ series: series(collectorMetrics.acceptedSpans, accepted), values: `0+60x${samples}` }, up],
    };
}

/**
 * A certificate that nears its expiry without being renewed: the daily renewal re-issues it from
 * renewalWindowDays, so fewer days left than that, minus three, means three renewals failed (or
 * a provided certificate nobody replaced). The metric comes from node_exporter's textfile
 * collector, under the operator's own scrape job: it is selected by the stack's environment.
 */
function certificateCase(environment: string, rule: MakeRule): AlertCase {
    const labels = { environment, server: "collector.internal" };
    // Under the operator's node_exporter job, not the collector's.
    const expiry = series(certificateExpiryMetric, { ...labels, job: "node" });
    const day = 86_400;
    // Test time starts at 0: an expiry 20 days on fires, 100 days on stays quiet.
    return {
        rule: rule(
            "OtelCollectorCertificateExpiring",
            `(min by (environment, server) (${certificateExpiryMetric}{environment="${environment}"}) - time()) / ${day} < ${certificateAlertDays}`,
            "1h",
            "warning",
            "Collector certificate nears expiry without renewal",
            `The collector certificate for {{ $labels.server }} expires in less than ${certificateAlertDays} days: its renewal has failed (or a provided certificate was not replaced). At expiry the apps can no longer send.`,
        ),
        labels,
        firing: [{ series: expiry, values: `${20 * day}x80` }],
        healthy: [{ series: expiry, values: `${100 * day}x80` }],
    };
}

/**
 * Badger's store past 80 % of the disk it was given: traces expire only after traceRetention, so
 * a store that outgrows its room fills the host's disk first. Jaeger's badger keeps values of
 * spans' size inside its key tree, so that tree is the store; its value log reports the size of
 * a mostly empty file mapped in advance (2 GiB at the start) and is left out.
 */
function jaegerStoreCase(storeBytes: number, rule: MakeRule): AlertCase {
    const jaeger = { job: scrapeJobs.jaeger, instance: jaegerInstance };
    const keys = (bytes: number) => [{ series: series(jaegerStoreMetrics.keys, jaeger), values: `${bytes}x30` }];
    return {
        rule: rule(
            "OtelJaegerStoreNearlyFull",
            `sum by (job, instance) (${jaegerStoreMetrics.keys}{job="${scrapeJobs.jaeger}"}) > ${Math.floor(storeBytes * 0.8)}`,
            "15m",
            "warning",
            "Jaeger's trace store above 80 % of its disk",
            `Badger's store on {{ $labels.instance }} holds more than 80 % of the ${round(storeBytes / 2 ** 30)} GiB given to it (jaeger.storeDiskGiB): at this rate it fills its disk before traces expire.`,
        ),
        labels: jaeger,
        firing: keys(Math.round(storeBytes * 0.9)),
        // The value log's mapped size does not count, however large.
        healthy: [
            ...keys(Math.round(storeBytes * 0.5)),
            { series: series(jaegerStoreMetrics.values, jaeger), values: `${storeBytes * 2}x30` },
        ],
    };
}

/** Badger's sizes as Jaeger reports them: the key tree (values of spans' size inline) and the value log. */
export const jaegerStoreMetrics = {
    keys: "jaeger_storage_badger_size_bytes_lsm",
    values: "jaeger_storage_badger_size_bytes_vlog",
};

/** When a promtool test evaluates an alert: once its 5-minute rate and its `for` have both passed. */
function evalMinutes(forDuration: string): number {
    return Math.max(10, Math.ceil(durationHours(forDuration) * 60) + 5);
}

function round(value: number): number {
    return Math.round(value * 1000) / 1000;
}

export function alertRules(s: RuleSettings): AlertRule[] {
    return alertCases(s).map((c) => c.rule);
}

/** The rule group Prometheus lists the stack's alerts under. */
export const ruleGroupName = (environment: string) => `ivatar-otel-collector-${environment}`;

export function renderRules(s: RuleSettings): string {
    return renderYaml("Rendered by ivatar-otel (components/prometheus/rules.ts); do not edit on the host.", {
        groups: [{ name: ruleGroupName(s.environment), rules: alertRules(s) }],
    });
}

/** `promtool test rules` suite for the rule file named ruleFile (relative to the test file). */
export function renderRuleTests(s: RuleSettings, ruleFile: string): string {
    // Once every "for" has elapsed (ten minutes in for most), the firing test expects exactly one
    // alert, the healthy test none.
    const tests = alertCases(s).flatMap((c) => {
        const evalTime = `${evalMinutes(c.rule.for)}m`;
        const expand = (text: string) =>
            text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, label: string) => c.labels[label] ?? "");
        const expected = {
            exp_labels: { ...c.labels, severity: c.rule.labels.severity },
            exp_annotations: {
                summary: c.rule.annotations.summary,
                description: expand(c.rule.annotations.description),
                runbook_url: c.rule.annotations.runbook_url,
            },
        };
        const fires = (name: string, series: AlertCase["firing"]) => ({
            name,
            interval: "1m",
            input_series: series,
            alert_rule_test: [{ eval_time: evalTime, alertname: c.rule.alert, exp_alerts: [expected] }],
        });
        return [
            fires(`${c.rule.alert} fires`, c.firing),
            ...(c.alsoFiring ? [fires(`${c.rule.alert} fires too`, c.alsoFiring)] : []),
            {
                name: `${c.rule.alert} stays quiet`,
                interval: "1m",
                input_series: c.healthy,
                alert_rule_test: [{ eval_time: evalTime, alertname: c.rule.alert, exp_alerts: [] }],
            },
        ];
    });
    return renderYaml("Rendered by ivatar-otel: run with `promtool test rules <this file>`.", {
        rule_files: [ruleFile],
        evaluation_interval: "1m",
        tests,
    });
}
