// Scrape jobs for the existing Prometheus, in the format of a `scrape_config_files` file
// (Prometheus 2.43 or later loads them from a glob in prometheus.yml).
import { isHostNameOrIPv4, requireGrammar } from "../../grammar/text";
import { renderYaml } from "../yaml";

/** Scrape job names: the alert rules and dashboards select series by them. */
export const scrapeJobs = { health: "otel-collector-health", exporter: "otel-collector-exporter", jaeger: "jaeger" };

export interface ScrapeSettings {
    environment: string;
    /** Host names Prometheus reaches the collector hosts by; Jaeger runs on the first. */
    addresses: string[];
    /** samplerMetrics: with several collector hosts, each sampler's own metrics. */
    ports: { prometheusExporter: number; internalMetrics: number; jaegerMetrics: number; samplerMetrics?: number };
}

/** Every target ("host:port") with its job, in job order. */
export function scrapeTargets(s: ScrapeSettings): { job: string; target: string }[] {
    for (const address of s.addresses) requireGrammar(isHostNameOrIPv4(address), "the scrape address", address);
    const on = (job: string, port: number, addresses = s.addresses) =>
        addresses.map((a) => ({ job, target: `${a}:${port}` }));
    const samplers = s.ports.samplerMetrics;
    return [
        // The collectors' own health: pipeline counters, queue, process CPU and memory.
        ...on(scrapeJobs.health, s.ports.internalMetrics),
        ...(samplers === undefined ? [] : on(scrapeJobs.health, samplers)),
        // The app metrics ivatar sends over OTLP, exposed by the collectors' Prometheus exporter.
        ...on(scrapeJobs.exporter, s.ports.prometheusExporter),
        // Jaeger's own: spans written, store size, query latency.
        ...on(scrapeJobs.jaeger, s.ports.jaegerMetrics, s.addresses.slice(0, 1)),
    ];
}

export function scrapeConfigs(s: ScrapeSettings): Record<string, unknown>[] {
    const targets = scrapeTargets(s);
    const jobs = [...new Set(targets.map((t) => t.job))];
    return jobs.map((job) => ({
        job_name: job,
        metrics_path: "/metrics",
        scrape_interval: "30s",
        static_configs: [
            {
                targets: targets.filter((t) => t.job === job).map((t) => t.target),
                labels: { environment: s.environment },
            },
        ],
    }));
}

export function renderScrapeConfig(s: ScrapeSettings): string {
    return renderYaml("Rendered by ivatar-otel (components/prometheus/scrape.ts); do not edit on the host.", {
        scrape_configs: scrapeConfigs(s),
    });
}
