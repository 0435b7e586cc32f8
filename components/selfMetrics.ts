// How the collector and Jaeger (built on the collector) name their own metrics for Prometheus,
// and the names the alert rules and dashboards read.

/** Written out, not left to defaults, so the alert rules' metric names hold for both binaries. */
export const prometheusNameStyle = { without_type_suffix: true, without_units: true, without_scope_info: true };

/** Metric names as collector v0.161 exposes them with the suffix flags the config writes out. */
export const collectorMetrics = {
    cpuSeconds: "otelcol_process_cpu_seconds",
    memoryRss: "otelcol_process_memory_rss",
    acceptedSpans: "otelcol_receiver_accepted_spans",
    refusedSpans: "otelcol_receiver_refused_spans",
    sentSpans: "otelcol_exporter_sent_spans",
    sendFailedSpans: "otelcol_exporter_send_failed_spans",
    enqueueFailedSpans: "otelcol_exporter_enqueue_failed_spans",
    queueSize: "otelcol_exporter_queue_size",
    queueCapacity: "otelcol_exporter_queue_capacity",
    tracesEvictedUndecided: "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early",
    // The fronts of the collector tier (load_balancing exporter).
    loadBalancerBackends: "otelcol_loadbalancer_num_backends",
    loadBalancerOutcome: "otelcol_loadbalancer_backend_outcome",
};
