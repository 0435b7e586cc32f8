// How the collector and Jaeger (built on the collector) name their own metrics for Prometheus.

/** Written out, not left to defaults, so the alert rules' metric names hold for both binaries. */
export const prometheusNameStyle = { without_type_suffix: true, without_units: true, without_scope_info: true };
