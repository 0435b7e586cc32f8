// What GrafanaDashboards places on the Grafana host, in one pure function: the component runs
// its step, and `npm run render` writes the same files and scripts for review.
import { isDisplayName, requireGrammar, requireSafePaths } from "../../grammar/text";
import { HostRequirements } from "../host/preflight";
import { parentDir, preamble, removeFiles, removeOwnDirs, shQuote, StepScripts, writeFiles } from "../host/scripts";
import { renderDashboard, renderProvider, rescanSeconds } from "./dashboards";
import { renderDatasources, TracesDatasourceSettings } from "./datasources";
import { dashboardSpecs, DashboardSettings } from "./panels";

export interface GrafanaSettings {
    dashboards: DashboardSettings;
    /** Grafana folder the dashboards appear in. */
    folder: string;
    /** The provider file, in the directory Grafana reads dashboard providers from. */
    providerPath: string;
    /** This stack's own directory of dashboard files (nothing else may live there). */
    dashboardsDir: string;
    /** The Jaeger data source's file, in the directory Grafana reads data sources from. */
    datasourcePath: string;
    traces: TracesDatasourceSettings;
}

export interface GrafanaPlacement {
    /** Provider file and dashboards, by file name. */
    files: Record<string, string>;
    /** Writes the files that changed, removes dashboards this stack no longer renders. */
    step: StepScripts;
}

/** What the Grafana host must offer for the step: its commands, and Grafana's own provisioning directory. */
export function grafanaHostNeeds(
    s: Pick<GrafanaSettings, "providerPath" | "datasourcePath">,
): Pick<HostRequirements, "tools" | "directories"> {
    return {
        tools: [
            { command: "cmp", neededFor: "placing the Grafana dashboards only when they change" },
            { command: "base64", neededFor: "placing the Grafana dashboards" },
        ],
        directories: [
            {
                path: parentDir(s.providerPath),
                neededFor:
                    "Grafana reads dashboard providers from it (grafana.provisioningDir): is Grafana installed on this host?",
            },
            {
                path: parentDir(s.datasourcePath),
                neededFor: "Grafana reads data sources from it (grafana.datasourcesDir)",
            },
        ],
    };
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

export function grafanaPlacement(s: GrafanaSettings): GrafanaPlacement {
    requireSafePaths("a Grafana path", s.providerPath, s.dashboardsDir, s.datasourcePath);
    requireGrammar(isDisplayName(s.folder), "the Grafana folder name", s.folder);
    const dashboards = Object.fromEntries(
        dashboardSpecs(s.dashboards).map((d) => [`${d.uid}.json`, renderDashboard(d)]),
    );
    const provider = renderProvider({ name: basename(s.dashboardsDir), folder: s.folder, path: s.dashboardsDir });
    const datasources = renderDatasources(s.traces);
    const dir = shQuote(s.dashboardsDir);
    const keep = Object.keys(dashboards).map(shQuote).join("|");
    // Grafana runs as its own user: the directories must be searchable by it (the steps' umask is 077).
    // Its provisioning directory is Grafana's own (the preflight checks it is there); the dashboards' are this stack's.
    const dirs = `(umask 022 && mkdir -p ${dir})\n`;
    const create =
        preamble +
        dirs +
        writeFiles([
            { path: s.providerPath, content: provider, mode: "0644" },
            { path: s.datasourcePath, content: datasources, mode: "0644" },
            ...Object.entries(dashboards).map(([name, content]) => ({
                path: `${s.dashboardsDir}/${name}`,
                content,
                mode: "0644",
            })),
        ]) +
        [
            // Dashboards of an earlier version of the program go; Grafana drops them on its next scan.
            `for f in ${dir}/*.json; do`,
            `  [ -e "$f" ] || continue`,
            `  case "$(basename "$f")" in ${keep}) ;; *) rm -f "$f" && echo "removed $f" >&2 ;; esac`,
            "done",
            `echo "grafana: ${Object.keys(dashboards).length} dashboards in ${s.dashboardsDir}, re-read every ${rescanSeconds} s; Grafana reads a new provider or data source file at its next start" >&2`,
        ].join("\n") +
        "\n";
    const remove =
        preamble +
        removeFiles([
            s.providerPath,
            s.datasourcePath,
            ...Object.keys(dashboards).map((name) => `${s.dashboardsDir}/${name}`),
        ]) +
        removeOwnDirs([s.dashboardsDir, parentDir(s.dashboardsDir)]);
    return {
        files: { [basename(s.providerPath)]: provider, [basename(s.datasourcePath)]: datasources, ...dashboards },
        step: { create, delete: remove },
    };
}
