// The data sources for the existing Grafana, provisioned from a file beside the dashboards:
// Jaeger with this stack's traces, and from a span the logs of its service around it (traces to
// logs, to the existing Loki data source); and a Prometheus data source whose exemplars open their
// traces in that Jaeger. Pure.
import { isHttpUrl, requireGrammar } from "../../grammar/text";
import { renderYaml } from "../yaml";

export interface TracesDatasourceSettings {
    environment: string;
    /** Jaeger's query API as the Grafana host reaches it. */
    jaegerUrl: string;
    /** The existing Loki data source, and the label its streams carry the service name in; absent: no links to logs. */
    loki?: { uid: string; serviceLabel: string };
    /** Prometheus as the Grafana host reaches it; absent: no Prometheus data source of the stack's. */
    prometheusUrl?: string;
}

/** The exemplar label that holds the trace ID, as the collector's Prometheus exporter writes it. */
export const exemplarTraceLabel = "trace_id";

/** Stable across renders: Grafana keys provisioned data sources by it, and links may name it. */
export const jaegerDatasourceUid = (environment: string) => `ivatar-otel-jaeger-${environment}`;
export const prometheusDatasourceUid = (environment: string) => `ivatar-otel-prometheus-${environment}`;

/** How far around a span the logs are searched: the apps log a request's lines within it. */
const logWindow = { spanStartTimeShift: "-5m", spanEndTimeShift: "5m" };

/** Grafana expands $VAR and ${VAR} in provisioning files; "$$" is its literal "$". */
const grafanaLiteral = (value: string) => value.replace(/\$/g, "$$$$");

/** The data source file; the URLs are written so that Grafana's expansion gives them back unchanged. */
export function renderDatasources(s: TracesDatasourceSettings): string {
    requireGrammar(/^[a-z0-9][a-z0-9-]*$/.test(s.environment), "an environment name", s.environment);
    requireGrammar(isHttpUrl(s.jaegerUrl), "Jaeger's URL for Grafana", s.jaegerUrl);
    if (s.prometheusUrl !== undefined)
        requireGrammar(isHttpUrl(s.prometheusUrl), "Prometheus's URL for Grafana", s.prometheusUrl);
    if (s.loki) {
        requireGrammar(/^[A-Za-z0-9_-]{1,40}$/.test(s.loki.uid), "a Grafana data source uid", s.loki.uid);
        requireGrammar(/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.loki.serviceLabel), "a Loki label name", s.loki.serviceLabel);
    }
    const tracesToLogs = s.loki
        ? {
              tracesToLogsV2: {
                  datasourceUid: s.loki.uid,
                  ...logWindow,
                  // The span's service.name as the Loki stream's label; the lines carry the trace ID
                  // (the apps' log correlation, OTEL_PYTHON_LOG_CORRELATION).
                  tags: [{ key: "service.name", value: s.loki.serviceLabel }],
                  filterByTraceID: true,
                  filterBySpanID: false,
              },
          }
        : {};
    return renderYaml("Rendered by ivatar-otel (components/grafana/datasources.ts); do not edit on the host.", {
        apiVersion: 1,
        datasources: [
            {
                name: `Jaeger ivatar-otel ${s.environment}`,
                uid: jaegerDatasourceUid(s.environment),
                type: "jaeger",
                access: "proxy",
                url: grafanaLiteral(s.jaegerUrl),
                editable: false,
                jsonData: tracesToLogs,
            },
            ...(s.prometheusUrl
                ? [
                      {
                          // The dashboards' data source picker offers it beside the existing one.
                          name: `Prometheus ivatar-otel ${s.environment}`,
                          uid: prometheusDatasourceUid(s.environment),
                          type: "prometheus",
                          access: "proxy",
                          url: grafanaLiteral(s.prometheusUrl),
                          editable: false,
                          jsonData: {
                              exemplarTraceIdDestinations: [
                                  { name: exemplarTraceLabel, datasourceUid: jaegerDatasourceUid(s.environment) },
                              ],
                          },
                      },
                  ]
                : []),
        ],
    });
}
