// The environment ivatar's app containers need to send telemetry to this stack. Pure.
import { isAppInstanceName, requireGrammar } from "../grammar/text";

export interface AppEnvironmentSettings {
    environment: string;
    serviceName: string;
    serviceVersion: string;
    /** The collector as the apps reach it. */
    endpointHost: string;
    otlpGrpcPort: number;
    tlsEnabled: boolean;
    /** Path of the collector's CA inside the app containers, when the CA is self-issued. */
    selfIssuedCaPath?: string;
}

/** Variables that carry secrets (they are secret outputs and placeholders in rendered files). */
export const secretAppVariables = ["OTEL_EXPORTER_OTLP_HEADERS"];

/**
 * Head sampling in the apps stays at 100 %: the collector's tail sampling applies the stack's
 * samplingRatio after it has seen each whole trace, which is the only way to keep every error
 * trace. A head ratio below 1 would drop error traces before the collector could keep them.
 */
export function appEnvironment(s: AppEnvironmentSettings, bearerToken: string): Record<string, string> {
    const scheme = s.tlsEnabled ? "https" : "http";
    return {
        OTEL_ENABLED: "true",
        OTEL_SERVICE_NAME: s.serviceName,
        OTEL_ENVIRONMENT: s.environment,
        OTEL_EXPORTER_OTLP_ENDPOINT: `${scheme}://${s.endpointHost}:${s.otlpGrpcPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        // W3C baggage form: the space after "Bearer" is percent-encoded.
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${bearerToken}`,
        ...(s.selfIssuedCaPath ? { OTEL_EXPORTER_OTLP_CERTIFICATE: s.selfIssuedCaPath } : {}),
        // Where the app's own Prometheus exporter listens (ivatar's plan); with several Gunicorn
        // workers, prefer OTLP metrics, which the collector exposes on its exporter port.
        OTEL_PROMETHEUS_ENDPOINT: "0.0.0.0:9464",
        OTEL_SAMPLING_RATIO: "1.0",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "1.0",
        // The Python SDK's logging instrumentation puts trace_id and span_id into every log record
        // (and its default format), so Grafana finds a span's log lines in Loki by the trace ID.
        OTEL_PYTHON_LOG_CORRELATION: "true",
        // Measurements made inside a sampled span keep its trace ID as an exemplar.
        OTEL_METRICS_EXEMPLAR_FILTER: "trace_based",
        IVATAR_VERSION: s.serviceVersion,
    };
}

/** ivatar's app containers by name, and those of them that send telemetry. */
export interface RolloutSettings {
    instances: string[];
    telemetryOn: "all" | string[];
}

/**
 * What each named app container changes in the stack's environment: telemetry on or off (ivatar
 * reads OTEL_ENABLED; the OpenTelemetry SDK itself reads OTEL_SDK_DISABLED), and its name on its
 * spans and metrics, so the first container can be watched beside the others.
 */
export function instanceOverrides(r: RolloutSettings): Record<string, Record<string, string>> {
    return Object.fromEntries(
        r.instances.map((name) => {
            requireGrammar(isAppInstanceName(name), "an app instance name", name);
            const on = r.telemetryOn === "all" || r.telemetryOn.includes(name);
            return [
                name,
                {
                    OTEL_ENABLED: String(on),
                    OTEL_SDK_DISABLED: String(!on),
                    OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${name}`,
                },
            ];
        }),
    );
}

/** Each named instance's whole environment: the stack's, with the instance's changes. */
export function instanceEnvironments(
    env: Record<string, string>,
    overrides: Record<string, Record<string, string>>,
): Record<string, Record<string, string>> {
    return Object.fromEntries(Object.entries(overrides).map(([name, own]) => [name, { ...env, ...own }]));
}

/**
 * KEY=value lines, as a deployment job's env file (read by podman's --env-file and by shells).
 * A value with a line break, a quote or a shell character could add or change a variable: refused.
 */
export function renderEnvFile(env: Record<string, string>): string {
    return (
        Object.entries(env)
            .map(([k, v]) => {
                requireGrammar(/^[A-Z][A-Z0-9_]*$/.test(k), "an environment variable name", k);
                requireGrammar(
                    /^[A-Za-z0-9._~%:/,=+@-]*$/.test(v),
                    `the value of ${k}`,
                    k === "OTEL_EXPORTER_OTLP_HEADERS" ? "[secret]" : v,
                );
                return `${k}=${v}`;
            })
            .join("\n") + "\n"
    );
}
