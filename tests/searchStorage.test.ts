// The whole program under mocks for docs/examples/Pulumi.opensearch.yaml: Jaeger on an existing
// OpenSearch cluster (no badger volume), and the daily index retention placed on its host.
import * as assert from "assert";
import { parse } from "yaml";
import { container, CONTAINER, ProgramRun, REMOTE, runStack, upload, writtenFiles } from "./harness";

describe("program with docs/examples/Pulumi.opensearch.yaml", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("opensearch");
    });

    it("points Jaeger at the cluster with daily indices, its CA uploaded, and keeps no badger volume", () => {
        const jaeger = container(run, "jaeger");
        const backend = parse(upload(jaeger, "/etc/jaeger/config.yaml")).extensions.jaeger_storage.backends.traces
            .opensearch;
        assert.deepStrictEqual(backend.server_urls, [
            "https://search-1.internal:9200",
            "https://search-2.internal:9200",
        ]);
        assert.deepStrictEqual(backend.indices.spans, {
            date_layout: "2006-01-02",
            rollover_frequency: "day",
            shards: 3,
            replicas: 1,
        });
        assert.strictEqual(backend.indices.index_prefix, "ivatar-otel");
        assert.match(upload(jaeger, backend.tls.ca_file), /BEGIN CERTIFICATE/);
        assert.deepStrictEqual(jaeger.volumes, [], "no volume: the cluster keeps the traces");
        assert.deepStrictEqual(
            run.ofType("docker:index/volume:Volume").map((v) => v.name),
            ["collector-queue"],
        );
    });

    it("places the daily index retention on the collector host: the cleaner keeps 7 days of indices", () => {
        const step = run.named(REMOTE, "jaeger-retention");
        assert.strictEqual((step.inputs.connection as { host: string }).host, "collector.internal");
        const files = writtenFiles(String(step.inputs.stdin));
        const service = files.find((f) => f.includes("ExecStart=")) ?? "";
        assert.match(
            service,
            /ExecStart=\/usr\/bin\/podman run --rm --pull=missing --env-file \/etc\/ivatar-otel\/jaeger-retention\/cleaner\.env .* docker\.io\/jaegertracing\/jaeger-es-index-cleaner:1\.76\.0 7 https:\/\/search-1\.internal:9200$/m,
        );
        assert.ok(
            files.some(
                (f) =>
                    f ===
                    "INDEX_PREFIX=ivatar-otel\nES_TLS_ENABLED=true\nES_TLS_CA=/etc/ivatar-otel-retention/ca.crt\n",
            ),
            files.join("\n---\n"),
        );
        assert.ok(
            files.some((f) => f.includes("OnCalendar=daily")),
            "the timer",
        );
        assert.match(String(step.inputs.delete), /base64 -d/, "the delete step removes it again");
    });

    it("rounds a retention that is not whole days up: 36h keeps 2 days", async () => {
        const longer = await runStack("opensearch", { "ivatar-otel:traceRetention": "36h" });
        const service =
            writtenFiles(String(longer.named(REMOTE, "jaeger-retention").inputs.stdin)).find((f) =>
                f.includes("ExecStart="),
            ) ?? "";
        assert.match(service, / 2 https:\/\/search-1\.internal:9200$/m);
    });

    it("keeps badger, its volume and no retention step on the stacks that do not name a cluster", async () => {
        const production = await runStack("production");
        assert.strictEqual(production.ofType(REMOTE).filter((r) => r.name === "jaeger-retention").length, 0);
        assert.ok(production.ofType("docker:index/volume:Volume").some((v) => v.name === "jaeger-data"));
        assert.ok(production.named(CONTAINER, "jaeger-container"));
    });
});
