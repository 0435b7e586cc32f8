// Live: every query of every provisioned dashboard, as rendered for the stack, run against a real
// Prometheus that scrapes the live stack with the rendered scrape jobs, after real traffic.
import * as assert from "assert";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import { startScrapingPrometheus, useLiveStack } from "../live";
import { exportAppMetrics, exportSpans, jaegerSpans, makeSpans, succeeded, waitForJaeger } from "../otlp";
import { collectorMetrics } from "../../components/selfMetrics";
import { run, tempDir, waitFor } from "../tools";

interface DashboardQuery {
    dashboard: string;
    panel: string;
    expr: string;
    legend: string;
}

/** Every target expression of the dashboards among the rendered files. */
function dashboardQueries(files: Record<string, string>): DashboardQuery[] {
    return Object.entries(files)
        .filter(([name]) => name.startsWith("grafana/") && name.endsWith(".json"))
        .flatMap(([, text]) => {
            const d = JSON.parse(text) as {
                title: string;
                panels: { title: string; targets: { expr: string; legendFormat: string }[] }[];
            };
            return d.panels.flatMap((p) =>
                p.targets.map((t) => ({ dashboard: d.title, panel: p.title, expr: t.expr, legend: t.legendFormat })),
            );
        });
}

/** Grafana's interval variable as Grafana would fill it for a 2 s scrape; any other variable is an error. */
function substituted(expr: string): string {
    return expr.replaceAll("$__rate_interval", "20s");
}

/** The queries that return no series (or fail, or lack a label their legend names), each with Prometheus's answer. */
async function queriesWithoutData(prometheusUrl: string, queries: DashboardQuery[]): Promise<string[]> {
    const missing: string[] = [];
    for (const q of queries) {
        const expr = substituted(q.expr);
        if (expr.includes("$")) {
            missing.push(`${q.dashboard} / ${q.panel}: unknown variable in ${q.expr}`);
            continue;
        }
        const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
        const body = (await response.json()) as {
            status: string;
            error?: string;
            data?: { result: { metric: Record<string, string> }[] };
        };
        const series = body.data?.result ?? [];
        const legendLabels = [...q.legend.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]);
        const unlabelled = legendLabels.filter((label) => series.some((s) => !s.metric[label]));
        if (body.status !== "success") missing.push(`${q.dashboard} / ${q.panel}: ${body.error} in ${expr}`);
        else if (series.length === 0) missing.push(`${q.dashboard} / ${q.panel}: no data for ${expr}`);
        else if (unlabelled.length > 0)
            missing.push(
                `${q.dashboard} / ${q.panel}: series without ${unlabelled.join(", ")} (the legend's labels) for ${expr}`,
            );
    }
    return missing;
}

describe("live: dashboard panels against Prometheus scraping the live development stack", function () {
    this.timeout(600_000);
    const live = useLiveStack("development");
    const port = 19092;
    const prometheusUrl = `http://127.0.0.1:${port}`;
    let prometheus: ChildProcess | undefined;
    let dir: string | undefined;

    before(async () => {
        dir = tempDir("dashboards");
        prometheus = startScrapingPrometheus(live().artifacts, dir, port);
    });
    after(() => {
        prometheus?.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("scrapes the collector, the app metrics it exports, and Jaeger, all up", async () => {
        const active = await waitFor(
            "three targets up",
            async () => {
                const body = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
                    data: { activeTargets: { labels: { job: string }; health: string }[] };
                };
                const targets = body.data.activeTargets;
                return targets.length === 3 && targets.every((t) => t.health === "up") ? targets : undefined;
            },
            60_000,
        );
        assert.deepStrictEqual(active.map((t) => t.labels.job).sort(), [
            "jaeger",
            "otel-collector-exporter",
            "otel-collector-health",
        ]);
    });

    it("answers every panel query of every dashboard with data after traffic", async () => {
        const queries = dashboardQueries(live().artifacts.files);
        assert.ok(queries.length >= 15, `${queries.length} queries`);
        const service = `dashboards-${Date.now().toString(36)}`;
        const spans = (error = false) => makeSpans({ service, traces: error ? 5 : 20, children: 2, error });

        // The export failure counters exist only once an export has failed: with Jaeger gone, a
        // collector whose exporter gives up after 5 s and queues one batch fails both ways.
        const jaeger = live().artifacts.containers.jaeger.name;
        run("podman", ["stop", "--time", "2", jaeger]);
        await live().restartCollectorWithExporter({
            retry_on_failure: { enabled: true, initial_interval: "1s", max_interval: "1s", max_elapsed_time: "5s" },
            // In memory: nothing of it mixes with what the rendered config queued on disk.
            sending_queue: { enabled: true, queue_size: 1, num_consumers: 1 },
        });
        await waitFor(
            "both export failure counters",
            async () => {
                await exportSpans(live().target("grpc"), spans());
                const names = await live().internalMetrics();
                return (
                    (names.has(collectorMetrics.sendFailedSpans) && names.has(collectorMetrics.enqueueFailedSpans)) ||
                    undefined
                );
            },
            90_000,
        );
        run("podman", ["start", jaeger]);
        await waitForJaeger(live().jaegerUrl);

        // Then traces over both transports, error traces among them, app metrics, and Jaeger
        // queries. This collector holds one batch and gives up after 5 s, and its connection to
        // the restarted Jaeger may still be backing off: batches go on until some arrive.
        // Requests refused for the token, over both transports.
        const refused = makeSpans({ service: `${service}-refused`, traces: 1 });
        assert.ok(!succeeded(await exportSpans({ ...live().target("grpc"), token: "not-the-token" }, refused)));
        assert.ok(!succeeded(await exportSpans({ ...live().target("http"), token: undefined }, refused)));
        await exportAppMetrics(live().target("grpc"), "ivatar-development", [
            { status: 200, ms: 12 },
            { status: 200, ms: 40 },
            { status: 404, ms: 3 },
        ]);
        await waitFor(
            "traces in Jaeger",
            async () => {
                for (const protocol of ["grpc", "http"] as const) {
                    assert.ok(succeeded(await exportSpans(live().target(protocol), spans())));
                    assert.ok(succeeded(await exportSpans(live().target(protocol), spans(true))));
                }
                await new Promise((resolve) => setTimeout(resolve, 5_000));
                return (await jaegerSpans(live().jaegerUrl, service)).length > 0 || undefined;
            },
            120_000,
        ).catch((error: Error) => {
            throw new Error(`${error.message}\n${live().logs()}`);
        });

        let missing: string[] = [];
        await waitFor(
            "every panel with data",
            async () => {
                missing = await queriesWithoutData(prometheusUrl, queries);
                return missing.length === 0 || undefined;
            },
            120_000,
        ).catch(() => undefined);
        const names = (await (await fetch(`${prometheusUrl}/api/v1/label/__name__/values`)).json()) as {
            data: string[];
        };
        assert.deepStrictEqual(
            missing,
            [],
            `Prometheus has: ${names.data.filter((n) => /^(otelcol|jaeger|http|rpc)_/.test(n)).join(", ")}`,
        );
    });

    it("reports a panel whose query names a metric Prometheus does not have, or a label its series lack", async () => {
        const [first] = dashboardQueries(live().artifacts.files);
        assert.match(first.legend, /\{\{transport\}\}/);
        assert.deepStrictEqual(await queriesWithoutData(prometheusUrl, [first]), []);
        const misspelt = { ...first, expr: first.expr.replace(/\b(otelcol_[a-z_]+)/, "$1_misspelt") };
        assert.notStrictEqual(misspelt.expr, first.expr);
        const wrongLabel = {
            ...first,
            expr: first.expr.replace("by (transport)", "by (protocol)"),
            legend: first.legend.replace("transport", "protocol"),
        };
        assert.notStrictEqual(wrongLabel.expr, first.expr);
        const reported = await queriesWithoutData(prometheusUrl, [misspelt, wrongLabel]);
        assert.strictEqual(reported.length, 2, reported.join("\n"));
        assert.match(reported[0], /no data for .*_misspelt/);
        assert.match(reported[1], /series without protocol/);
    });
});
