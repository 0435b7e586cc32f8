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

/**
 * Requests the receivers refuse for want of a valid token: gRPC status 16 and HTTP 401. The
 * receivers' server instrumentation counts every call with its status; the collector keeps it only
 * at the "detailed" telemetry level (hence selfTelemetryViews).
 */
export const refusedRequests = {
    grpc: { metric: "rpc_server_call_duration_count", status: `rpc_response_status_code="UNAUTHENTICATED"` },
    http: { metric: "http_server_request_duration_count", status: `http_response_status_code="401"` },
};

const meters = {
    grpc: "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
    http: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
    processors: "go.opentelemetry.io/collector/processor/processorhelper",
    batch: "go.opentelemetry.io/collector/processor/batchprocessor",
    exporters: "go.opentelemetry.io/collector/exporter/exporterhelper",
    graph: "go.opentelemetry.io/collector/service",
};

const drop = (meter: string, instrument: string) => ({
    selector: { meter_name: meter, instrument_name: instrument },
    stream: { aggregation: { drop: {} } },
});

/**
 * Views for the collector's "detailed" telemetry level: everything the "normal" level would drop
 * (collector v0.161's default views) stays dropped, so the costly size histograms are never computed,
 * except the receivers' server call counts behind refusedRequests. The live test reads the result.
 */
export const selfTelemetryViews = [
    drop(meters.grpc, "rpc.client.*"),
    drop(meters.http, "http.client.*"),
    drop(meters.http, "http.server.*.body.size"),
    drop(meters.processors, "otelcol_processor_internal_duration"),
    drop(meters.batch, "otelcol_processor_batch_batch_send_size_bytes"),
    drop(meters.exporters, "otelcol_exporter_queue_batch_send_size*"),
    drop(meters.exporters, "otelcol_exporter_enqueue_size*"),
    drop(meters.graph, "otelcol.*.consumed.size"),
    drop(meters.graph, "otelcol.*.produced.size"),
    {
        selector: { meter_name: meters.exporters, instrument_name: "otelcol_exporter_send_failed_*" },
        stream: { attribute_keys: { excluded: ["error.type", "error.permanent"] } },
    },
];
