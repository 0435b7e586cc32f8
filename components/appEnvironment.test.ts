// The apps' OTEL_* environment, on literal settings.
import * as assert from "assert";
import { appEnvironment, AppEnvironmentSettings, renderEnvFile } from "./appEnvironment";

const settings: AppEnvironmentSettings = {
    environment: "production",
    serviceName: "ivatar-production",
    serviceVersion: "1.8.0",
    endpointHost: "collector.internal",
    otlpGrpcPort: 4317,
    tlsEnabled: true,
    selfIssuedCaPath: "/etc/ivatar/otel-ca.pem",
};

describe("app environment", () => {
    it("points the apps at the collector with the token and the self-issued CA", () => {
        const env = appEnvironment(settings, "t0ken");
        assert.strictEqual(env.OTEL_EXPORTER_OTLP_ENDPOINT, "https://collector.internal:4317");
        assert.strictEqual(env.OTEL_EXPORTER_OTLP_HEADERS, "authorization=Bearer%20t0ken");
        assert.strictEqual(env.OTEL_EXPORTER_OTLP_CERTIFICATE, "/etc/ivatar/otel-ca.pem");
        assert.strictEqual(env.OTEL_TRACES_SAMPLER_ARG, "1.0", "apps send every trace; the collector samples");
        assert.strictEqual(
            appEnvironment({ ...settings, selfIssuedCaPath: undefined }, "t").OTEL_EXPORTER_OTLP_CERTIFICATE,
            undefined,
        );
        assert.match(renderEnvFile(env), /^OTEL_ENABLED=true\n/);
    });
});
