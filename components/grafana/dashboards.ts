// Grafana's dashboard JSON and the provisioning file that loads it. Pure: specs in, file text out.
// The JSON is typed by Grafana's own schema package, so a misnamed field does not compile.
import { ThresholdsMode, type Dashboard, type Panel, type Threshold, type VariableModel } from "@grafana/schema";
import { renderYaml } from "../yaml";
import { DashboardSpec, PanelSpec } from "./panels";

/** The dashboard model version these files are written in (Grafana migrates older ones on load). */
const schemaVersion = 41;
/** Each panel's data source is picked per dashboard from Grafana's Prometheus data sources. */
const datasource = { type: "prometheus", uid: "${datasource}" };
const columns = 24;
const panelWidth = 12;
const panelHeight = 8;

/** A limit as a person reads it in the panel's description. */
function limitText(value: number, unit: string): string {
    return unit === "bytes" ? `${Math.round(value / 2 ** 20)} MiB` : `${value}`;
}

function panel(spec: PanelSpec, index: number): Panel {
    // The base step has no value (below every limit); each limit starts a step of its own.
    const steps: Threshold[] = [
        { value: null, color: "green" },
        ...(spec.limits ?? []).map((l, i, all) => ({ value: l.value, color: i === all.length - 1 ? "red" : "orange" })),
    ];
    return {
        id: index + 1,
        type: "timeseries",
        title: spec.title,
        description:
            spec.description +
            (spec.limits
                ? ` Lines: ${spec.limits.map((l) => `${l.label} ${limitText(l.value, spec.unit)}`).join(", ")}.`
                : ""),
        datasource,
        gridPos: {
            x: (index % (columns / panelWidth)) * panelWidth,
            y: Math.floor(index / (columns / panelWidth)) * panelHeight,
            w: panelWidth,
            h: panelHeight,
        },
        targets: spec.queries.map((q, i) => ({
            refId: String.fromCharCode(65 + i),
            datasource,
            expr: q.expr,
            legendFormat: q.legend,
            range: true,
            ...(q.exemplar ? { exemplar: true } : {}),
        })),
        fieldConfig: {
            defaults: {
                unit: spec.unit,
                min: 0,
                thresholds: { mode: ThresholdsMode.Absolute, steps },
                custom: { thresholdsStyle: { mode: spec.limits ? "line" : "off" }, fillOpacity: 10 },
            },
            overrides: [],
        },
        options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi", sort: "desc" },
        },
    };
}

const datasourceVariable: VariableModel = {
    name: "datasource",
    label: "Prometheus",
    type: "datasource",
    query: "prometheus",
};

export function renderDashboard(spec: DashboardSpec): string {
    const dashboard: Dashboard = {
        uid: spec.uid,
        title: spec.title,
        description: spec.description,
        tags: ["ivatar-otel"],
        editable: false,
        schemaVersion,
        refresh: "1m",
        time: { from: "now-6h", to: "now" },
        timezone: "browser",
        templating: { list: [datasourceVariable] },
        panels: spec.panels.map(panel),
    };
    return JSON.stringify(dashboard, null, 2) + "\n";
}

export interface ProviderSettings {
    /** Provider name, unique on the Grafana host. */
    name: string;
    /** Grafana folder the dashboards appear in. */
    folder: string;
    /** Directory on the Grafana host holding this provider's dashboard files. */
    path: string;
}

/** How often Grafana re-reads the dashboard files: a changed dashboard shows within it. */
export const rescanSeconds = 30;

/** The dashboard provider file Grafana reads from its provisioning/dashboards directory. */
export function renderProvider(s: ProviderSettings): string {
    return renderYaml("Rendered by ivatar-otel (components/grafana/dashboards.ts); do not edit on the host.", {
        apiVersion: 1,
        providers: [
            {
                name: s.name,
                folder: s.folder,
                type: "file",
                // The files are the truth: edits in the UI and deletions would be lost on the next scan.
                disableDeletion: true,
                allowUiUpdates: false,
                updateIntervalSeconds: rescanSeconds,
                options: { path: s.path, foldersFromFilesStructure: false },
            },
        ],
    });
}
