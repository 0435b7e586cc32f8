// Scrape jobs for the existing Prometheus, in the format of a `scrape_config_files` file
// (Prometheus 2.43 or later loads them from a glob in prometheus.yml).
import { isHostNameOrIPv4, requireGrammar } from "../../grammar/text";
import { renderYaml } from "../yaml";

/** Scrape job names: the alert rules and dashboards select series by them. */
export const scrapeJobs = { health: "otel-collector-health", exporter: "otel-collector-exporter", jaeger: "jaeger" };

export interface ScrapeSettings {
    environment: string;
    /** Host name Prometheus reaches the collector by. */
    address: string;
    ports: { prometheusExporter: number; internalMetrics: number; jaegerMetrics: number };
}

/** Each job with its one target ("host:port"). */
export function scrapeTargets(s: ScrapeSettings): { job: string; target: string }[] {
    requireGrammar(isHostNameOrIPv4(s.address), "the scrape address", s.address);
    return [
        // The collector's own health: pipeline counters, queue, process CPU and memory.
        { job: scrapeJobs.health, target: `${s.address}:${s.ports.internalMetrics}` },
        // The app metrics ivatar sends over OTLP, exposed by the collector's Prometheus exporter.
        { job: scrapeJobs.exporter, target: `${s.address}:${s.ports.prometheusExporter}` },
        // Jaeger's own: spans written, store size, query latency.
        { job: scrapeJobs.jaeger, target: `${s.address}:${s.ports.jaegerMetrics}` },
    ];
}

export function scrapeConfigs(s: ScrapeSettings): Record<string, unknown>[] {
    return scrapeTargets(s).map(({ job, target }) => ({
        job_name: job,
        metrics_path: "/metrics",
        scrape_interval: "30s",
        static_configs: [{ targets: [target], labels: { environment: s.environment } }],
    }));
}

export function renderScrapeConfig(s: ScrapeSettings): string {
    return renderYaml("Rendered by ivatar-otel (components/prometheus/scrape.ts); do not edit on the host.", { scrape_configs: scrapeConfigs(s) });
}
