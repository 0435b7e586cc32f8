// GrafanaDashboards: the collector, Jaeger and app dashboards, provisioned from files on the
// Grafana host; removed again on destroy.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { grafanaPlacement, GrafanaSettings } from "./placement";

export interface GrafanaDashboardsArgs {
    /** The existing Grafana's host (a step only; no containers). */
    host: PodmanHost;
    /** What the dashboards show, and where the provider and dashboard files go. */
    settings: GrafanaSettings;
}

/**
 * Dashboard JSON files and the provider file that makes Grafana load them, written only when
 * they change. Grafana re-reads the dashboards on its own; the provider file at its next start.
 */
export class GrafanaDashboards extends pulumi.ComponentResource {
    /** Where the provider file and the dashboards are placed on the Grafana host. */
    readonly providerPath: string;
    readonly dashboardsDir: string;

    constructor(name: string, args: GrafanaDashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:GrafanaDashboards", name, {}, opts);
        const placement = grafanaPlacement(args.settings);
        this.providerPath = args.settings.providerPath;
        this.dashboardsDir = args.settings.dashboardsDir;
        args.host.step(`${name}-files`, placement.step, { parent: this, dependsOn: dependenciesOf(opts) });
        this.registerOutputs({ providerPath: this.providerPath, dashboardsDir: this.dashboardsDir });
    }
}
