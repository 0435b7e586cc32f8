// The apps' OTEL_* environment, on literal settings.
import * as assert from "assert";
import {
    appEnvironment,
    AppEnvironmentSettings,
    instanceEnvironments,
    instanceOverrides,
    renderEnvFile,
} from "./appEnvironment";

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

    it("turns telemetry on only in the instances the rollout names, and names each instance on its spans", () => {
        const first = instanceOverrides({ instances: ["web-1", "web-2", "web-3"], telemetryOn: ["web-2"] });
        assert.deepStrictEqual(
            Object.entries(first).map(([name, env]) => [name, env.OTEL_ENABLED, env.OTEL_SDK_DISABLED]),
            [
                ["web-1", "false", "true"],
                ["web-2", "true", "false"],
                ["web-3", "false", "true"],
            ],
        );
        assert.strictEqual(first["web-3"].OTEL_RESOURCE_ATTRIBUTES, "service.instance.id=web-3");
        const all = instanceOverrides({ instances: ["web-1", "web-2"], telemetryOn: "all" });
        assert.ok(Object.values(all).every((env) => env.OTEL_ENABLED === "true"));
        const whole = instanceEnvironments(appEnvironment(settings, "t0ken"), first);
        assert.strictEqual(whole["web-1"].OTEL_ENABLED, "false");
        assert.strictEqual(whole["web-1"].OTEL_EXPORTER_OTLP_HEADERS, "authorization=Bearer%20t0ken");
        assert.throws(() => instanceOverrides({ instances: ["../etc"], telemetryOn: "all" }), /app instance name/);
    });
});
