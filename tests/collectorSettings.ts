// Production's collector settings as stack/plan.ts makes them: the literal the renderer tests share.
import { CollectorConfigSettings } from "../components/collector/config";

export const productionCollectorSettings: CollectorConfigSettings = {
    samplingRatio: 0.1,
    clientAddresses: "truncate",
    ports: { otlpGrpc: 4317, otlpHttp: 4318, prometheusExporter: 9464, health: 13133, internalMetrics: 8888 },
    queueBytes: 96 * 2 ** 30,
    samplingShards: 4,
    tls: { enabled: true, clientCa: false, reloadInterval: "1h" },
    jaegerEndpoint: "ivatar-otel-jaeger:4317",
};
