// The collector's config renderer, on literal settings (what the pinned collector makes of the
// rendered file is tested in tests/real/artifacts.test.ts).
import * as assert from "assert";
import {
    canaryAttribute,
    collectorConfig,
    collectorPaths,
    credentialPattern,
    emailPattern,
    sensitiveTextPattern,
} from "./config";
import { productionCollectorSettings } from "../../tests/collectorSettings";
import { goMemLimit } from "../container";
import { collectorModules, ComponentKind } from "./distribution";

const settings = productionCollectorSettings;
type Pipeline = { receivers: string[]; processors: string[]; exporters: string[] };

describe("collector config renderer", () => {
    const config = collectorConfig(settings) as {
        service: { pipelines: Record<string, Pipeline>; extensions: string[] };
        processors: Record<string, unknown>;
        receivers: Record<string, unknown>;
        exporters: Record<string, unknown>;
        extensions: Record<string, unknown>;
    };

    it("puts memory_limiter first and masks in every pipeline; traces are masked last, after sampling and batching", () => {
        for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
            assert.strictEqual(pipeline.processors[0], "memory_limiter", name);
            assert.ok(pipeline.processors.includes("redaction/pii"), `${name} redacts`);
            assert.ok(pipeline.processors.includes("batch"), `${name} batches`);
        }
        assert.deepStrictEqual(config.service.pipelines.traces.processors, [
            "memory_limiter",
            "tail_sampling",
            "batch",
            "redaction/pii",
            "transform/pii",
        ]);
    });

    it("uses only component types the test distribution builds", () => {
        const used: [ComponentKind, string][] = [
            ...Object.keys(config.receivers).map((k) => ["receivers", k] as [ComponentKind, string]),
            ...Object.keys(config.processors).map((k) => ["processors", k] as [ComponentKind, string]),
            ...Object.keys(config.exporters).map((k) => ["exporters", k] as [ComponentKind, string]),
            ...Object.keys(config.extensions).map((k) => ["extensions", k] as [ComponentKind, string]),
        ];
        for (const [kind, id] of used) {
            const type = id.split("/")[0];
            assert.ok(collectorModules[kind][type], `${kind} ${type} is not in components/collector/distribution.ts`);
        }
    });

    it("keeps every error trace and samples the rest at the stack's ratio", () => {
        for (const [ratio, percent] of [
            [0.1, 10],
            [1, 100],
            [0, 0],
            [0.333, 33.3],
        ]) {
            const c = collectorConfig({ ...settings, samplingRatio: ratio }) as {
                processors: {
                    tail_sampling: {
                        policies: Record<
                            string,
                            { sampling_percentage?: number; status_codes?: string[]; key?: string; values?: string[] }
                        >[];
                    };
                };
            };
            const [errors, rest, canaries] = c.processors.tail_sampling.policies;
            assert.deepStrictEqual(errors.status_code, { status_codes: ["ERROR"] });
            assert.strictEqual(rest.probabilistic.sampling_percentage, percent);
            // The deploy canary: by the secret key in its file, never a value in the config itself.
            assert.deepStrictEqual(canaries.string_attribute, {
                key: canaryAttribute,
                values: [`\${file:${collectorPaths.canaryKey}}`],
            });
        }
    });

    it("leaves TLS out only when it is disabled, and asks for client certificates only with a client CA", () => {
        const plain = collectorConfig({ ...settings, tls: { enabled: false, clientCa: false, reloadInterval: "1h" } });
        const mutual = collectorConfig({ ...settings, tls: { enabled: true, clientCa: true, reloadInterval: "1h" } });
        const grpc = (c: Record<string, unknown>) =>
            (c.receivers as { otlp: { protocols: { grpc: { tls?: { client_ca_file?: string }; auth: unknown } } } })
                .otlp.protocols.grpc;
        assert.strictEqual(grpc(plain).tls, undefined);
        assert.ok(grpc(plain).auth, "the token is required even without TLS");
        assert.strictEqual(grpc(mutual).tls?.client_ca_file, "/etc/otelcol-contrib/tls/client-ca.crt");
    });

    it("redaction patterns catch e-mail addresses and credentials, and leave avatar hashes alone", () => {
        const email = new RegExp(emailPattern);
        const credential = new RegExp(credentialPattern.replace("(?i)", ""), "i");
        for (const hit of ["alice@example.org", "GET /avatar?email=bob.smith+tag@mail.example.co.uk"])
            assert.ok(email.test(hit), hit);
        for (const hit of ["Bearer abcdefgh12345678", "basic dXNlcjpwYXNzd29yZA=="])
            assert.ok(credential.test(hit), hit);
        for (const miss of ["/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346", "user at example dot org"]) {
            assert.ok(!email.test(miss) && !credential.test(miss), miss);
        }
        // The one pattern for names and messages catches the same, and needs no OTTL escaping.
        const both = new RegExp(sensitiveTextPattern.replace("(?i:", "(?:").replace("[[:space:]]", "\\s"), "i");
        for (const hit of ["alice@example.org", "Bearer abcdefgh12345678"]) assert.ok(both.test(hit), hit);
        for (const miss of ["/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346", "user at example dot org"])
            assert.ok(!both.test(miss), miss);
        assert.ok(!/[\\"]/.test(sensitiveTextPattern));
    });

    it("sets GOMEMLIMIT to 80 % of the container limit", () => {
        assert.deepStrictEqual(
            [goMemLimit(4096), goMemLimit(8192), goMemLimit(1000)],
            ["3276MiB", "6553MiB", "800MiB"],
        );
    });
});
