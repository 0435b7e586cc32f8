// The dashboard and provider renderers and the step, on literal settings (every panel query is run
// against a live Prometheus in tests/real/dashboards.test.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { renderDashboard } from "./dashboards";
import { exemplarTraceLabel, jaegerDatasourceUid, renderDatasources } from "./datasources";
import { dashboardSpecs, DashboardSettings } from "./panels";
import { grafanaPlacement, GrafanaSettings } from "./placement";

const dashboards: DashboardSettings = {
    environment: "production",
    collector: { cpus: 4, memoryMb: 8192, goMemLimitMiB: 6553 },
    jobs: { collector: "otel-collector-health", exporter: "otel-collector-exporter", jaeger: "jaeger" },
};
const settings: GrafanaSettings = {
    dashboards,
    folder: "ivatar-otel",
    providerPath: "/etc/grafana/provisioning/dashboards/ivatar-otel-production.yaml",
    dashboardsDir: "/var/lib/grafana/dashboards/ivatar-otel-production",
    datasourcePath: "/etc/grafana/provisioning/datasources/ivatar-otel-production-datasources.yaml",
    traces: {
        environment: "production",
        jaegerUrl: "http://collector.internal:16686/",
        loki: { uid: "loki", serviceLabel: "service_name" },
    },
};

interface RenderedPanel {
    id: number;
    title: string;
    description: string;
    datasource: { uid: string };
    gridPos: { x: number; y: number; w: number; h: number };
    targets: { refId: string; expr: string; datasource: { uid: string } }[];
    fieldConfig: {
        defaults: { thresholds: { steps: { value: number | null }[] }; custom: { thresholdsStyle: { mode: string } } };
    };
}
interface Rendered {
    uid: string;
    title: string;
    templating: { list: { name: string; type: string; query: string }[] };
    panels: RenderedPanel[];
}

const rendered = (s: DashboardSettings) => dashboardSpecs(s).map((d) => JSON.parse(renderDashboard(d)) as Rendered);

describe("Grafana dashboards renderer", () => {
    it("renders the collector, Jaeger and app dashboards with uids of their own per environment", () => {
        const uids = rendered(dashboards).map((d) => d.uid);
        assert.deepStrictEqual(uids, [
            "ivatar-otel-collector-production",
            "ivatar-otel-jaeger-production",
            "ivatar-otel-app-production",
        ]);
        const development = rendered({ ...dashboards, environment: "development" }).map((d) => d.uid);
        assert.ok(
            development.every((uid) => uid.endsWith("-development")),
            development.join(", "),
        );
    });

    it("reads every query from the Prometheus data source picked in the dashboard, and only this environment's series", () => {
        for (const d of rendered(dashboards)) {
            assert.deepStrictEqual(
                d.templating.list.map((v) => [v.name, v.type, v.query]),
                [["datasource", "datasource", "prometheus"]],
            );
            for (const p of d.panels) {
                assert.strictEqual(p.datasource.uid, "${datasource}", p.title);
                assert.ok(p.targets.length > 0, p.title);
                for (const t of p.targets) {
                    assert.strictEqual(t.datasource.uid, "${datasource}");
                    // Every selector names the environment (sum and histogram_quantile included).
                    const selectors = t.expr.match(/\{[^}]*\}/g) ?? [];
                    assert.ok(
                        selectors.length > 0 && selectors.every((sel) => sel.includes(`environment="production"`)),
                        t.expr,
                    );
                }
                assert.deepStrictEqual(
                    p.targets.map((t) => t.refId),
                    p.targets.map((_, i) => String.fromCharCode(65 + i)),
                );
            }
        }
    });

    it("lays panels out two per row without overlap, with unique ids", () => {
        for (const d of rendered(dashboards)) {
            const cells = new Set<string>();
            for (const p of d.panels) {
                assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
                for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
                    for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
                        assert.ok(!cells.has(`${x},${y}`), `${d.title}: ${p.title} overlaps`);
                        cells.add(`${x},${y}`);
                    }
                }
            }
            assert.strictEqual(new Set(d.panels.map((p) => p.id)).size, d.panels.length);
        }
    });

    it("draws the container's CPU and memory limits and GOMEMLIMIT from the stack's sizing", () => {
        const [collector] = rendered(dashboards);
        const lines = (title: string) => {
            const p = collector.panels.find((x) => x.title === title);
            assert.ok(p, title);
            assert.strictEqual(p.fieldConfig.defaults.custom.thresholdsStyle.mode, "line");
            return p.fieldConfig.defaults.thresholds.steps.map((s) => s.value);
        };
        assert.deepStrictEqual(lines("CPU against the container limit"), [null, 4]);
        assert.deepStrictEqual(lines("Memory against GOMEMLIMIT and the container limit"), [
            null,
            6553 * 2 ** 20,
            8192 * 2 ** 20,
        ]);
        const [small] = rendered({ ...dashboards, collector: { cpus: 2, memoryMb: 4096, goMemLimitMiB: 3276 } });
        assert.deepStrictEqual(
            small.panels
                .find((p) => p.title === "CPU against the container limit")
                ?.fieldConfig.defaults.thresholds.steps.map((s) => s.value),
            [null, 2],
        );
    });

    it("describes every panel in README's Dashboards section", () => {
        const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        const section = readme.slice(
            readme.indexOf("## Dashboards"),
            readme.indexOf("\n## ", readme.indexOf("## Dashboards") + 1),
        );
        assert.ok(section.length > 100, "README has a Dashboards section");
        for (const d of dashboardSpecs(dashboards)) {
            for (const p of d.panels)
                assert.ok(section.includes(p.title), `README, Dashboards: no entry for "${p.title}"`);
        }
    });
});

describe("Grafana provisioning", () => {
    it("points one file provider at the stack's own dashboards directory, in the configured folder", () => {
        const { files } = grafanaPlacement(settings);
        const provider = parse(files["ivatar-otel-production.yaml"]) as {
            apiVersion: number;
            providers: Record<string, unknown>[];
        };
        assert.strictEqual(provider.apiVersion, 1);
        assert.deepStrictEqual(
            provider.providers.map((p) => [p.name, p.folder, p.type, (p.options as { path: string }).path]),
            [["ivatar-otel-production", "ivatar-otel", "file", settings.dashboardsDir]],
        );
        assert.deepStrictEqual(
            Object.keys(files)
                .filter((f) => f.endsWith(".json"))
                .sort(),
            [
                "ivatar-otel-app-production.json",
                "ivatar-otel-collector-production.json",
                "ivatar-otel-jaeger-production.json",
            ],
        );
    });

    for (const [what, change] of [
        ["a folder name with a quote", { folder: `ivatar" evil` }],
        ["a folder name with a line break", { folder: "ivatar\nproviders: []" }],
        ["a relative dashboards directory", { dashboardsDir: "dashboards" }],
        ["a provider path with a space", { providerPath: "/etc/grafana/provisioning/my dashboards.yaml" }],
    ] as const) {
        it(`refuses ${what}`, () => {
            assert.throws(() => grafanaPlacement({ ...settings, ...change }), /refusing to render/);
        });
    }
});

describe("Grafana's Jaeger data source", () => {
    it("points at the stack's Jaeger, with each span's logs in the named Loki data source by service and trace ID", () => {
        const file = parse(renderDatasources(settings.traces)) as {
            apiVersion: number;
            datasources: {
                uid: string;
                type: string;
                url: string;
                jsonData: {
                    tracesToLogsV2?: {
                        datasourceUid: string;
                        tags: { key: string; value: string }[];
                        filterByTraceID: boolean;
                    };
                };
            }[];
        };
        assert.strictEqual(file.apiVersion, 1);
        const [jaeger] = file.datasources;
        assert.deepStrictEqual(
            [jaeger.type, jaeger.uid, jaeger.url],
            ["jaeger", jaegerDatasourceUid("production"), "http://collector.internal:16686/"],
        );
        assert.strictEqual(jaeger.jsonData.tracesToLogsV2?.datasourceUid, "loki");
        assert.deepStrictEqual(jaeger.jsonData.tracesToLogsV2?.tags, [{ key: "service.name", value: "service_name" }]);
        assert.strictEqual(jaeger.jsonData.tracesToLogsV2?.filterByTraceID, true);
        const withoutLoki = parse(renderDatasources({ ...settings.traces, loki: undefined })) as typeof file;
        assert.strictEqual(withoutLoki.datasources[0].jsonData.tracesToLogsV2, undefined);
    });

    it("adds a Prometheus data source whose exemplars open their traces in the stack's Jaeger, where Grafana reaches Prometheus", () => {
        type Prometheus = {
            datasources: {
                type: string;
                url: string;
                jsonData: { exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[] };
            }[];
        };
        const file = parse(
            renderDatasources({ ...settings.traces, prometheusUrl: "http://localhost:9090" }),
        ) as Prometheus;
        const prometheus = file.datasources.find((d) => d.type === "prometheus");
        assert.strictEqual(prometheus?.url, "http://localhost:9090");
        assert.deepStrictEqual(prometheus?.jsonData.exemplarTraceIdDestinations, [
            { name: exemplarTraceLabel, datasourceUid: jaegerDatasourceUid("production") },
        ]);
        const none = parse(renderDatasources(settings.traces)) as Prometheus;
        assert.ok(!none.datasources.some((d) => d.type === "prometheus"), "none without a URL");
        assert.throws(() => renderDatasources({ ...settings.traces, prometheusUrl: "not a url" }), /Prometheus's URL/);
    });

    it('writes a "$" so that Grafana\'s expansion gives it back, and refuses a label Loki cannot have', () => {
        const file = parse(
            renderDatasources({ ...settings.traces, prometheusUrl: "http://prometheus.internal:9090/a$b" }),
        ) as { datasources: { url: string }[] };
        assert.strictEqual(file.datasources[1].url, "http://prometheus.internal:9090/a$$b");
        assert.throws(
            () => renderDatasources({ ...settings.traces, loki: { uid: "loki", serviceLabel: "service.name" } }),
            /Loki label/,
        );
    });

    it("is placed beside the dashboards and removed with them", () => {
        const placed = grafanaPlacement(settings);
        assert.ok("ivatar-otel-production-datasources.yaml" in placed.files);
        assert.match(placed.step.create, /ivatar-otel-production-datasources\.yaml/);
        assert.match(placed.step.delete, /ivatar-otel-production-datasources\.yaml/);
    });
});
