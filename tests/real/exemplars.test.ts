// Exemplars from the apps' metrics to Jaeger: a histogram measurement that carries a trace ID,
// sent to the live collector as an app sends it, is stored by a Prometheus with exemplar storage
// scraping the rendered jobs, with the trace ID under the label the stack's Grafana data source
// links to Jaeger.
import * as assert from "assert";
import { ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { exemplarTraceLabel } from "../../components/grafana/datasources";
import { startScrapingPrometheus, useLiveStack } from "../live";
import { ensureToolchain, runOk, tempDir, waitFor } from "../tools";

const port = 19094;

describe("live: exemplars from the apps' metrics, through the collector, in Prometheus", function () {
    this.timeout(300_000);
    const live = useLiveStack("development");
    let prometheus: ChildProcess | undefined;
    let dir = "";

    before(() => {
        dir = tempDir("exemplars");
        prometheus = startScrapingPrometheus(live().artifacts, dir, port, { exemplars: true });
    });
    after(() => {
        prometheus?.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps a measurement's trace ID as an exemplar under the label the Jaeger link reads", async () => {
        const traceId = randomBytes(16).toString("hex");
        const metric = `exemplar_check_${Date.now().toString(36)}`;
        const ca = path.join(dir, "ca.pem");
        fs.writeFileSync(ca, live().ca);
        const target = live().target("grpc");
        runOk(ensureToolchain().telemetrygen, [
            "metrics",
            "--otlp-endpoint",
            target.address,
            "--ca-cert",
            ca,
            "--otlp-header",
            `authorization="Bearer ${live().token}"`,
            "--metric-type",
            "Histogram",
            "--otlp-metric-name",
            metric,
            "--trace-id",
            traceId,
            "--span-id",
            randomBytes(8).toString("hex"),
            "--metrics",
            "5",
            "--interval",
            "1s",
        ]);
        type Exemplars = {
            data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[];
        };
        const found = await waitFor(
            "the exemplar in Prometheus",
            async () => {
                const now = Date.now() / 1000;
                const query = new URLSearchParams({
                    query: `${metric}_bucket`,
                    start: String(now - 600),
                    end: String(now + 60),
                });
                const body = (await (
                    await fetch(`http://127.0.0.1:${port}/api/v1/query_exemplars?${query}`)
                ).json()) as Exemplars;
                const labels = body.data.flatMap((series) => series.exemplars.map((e) => e.labels));
                return labels.find((l) => l[exemplarTraceLabel] === traceId);
            },
            90_000,
        );
        assert.strictEqual(found[exemplarTraceLabel], traceId);
    });
});
