// PrometheusRules: the collector's alert rules and scrape jobs, placed on the existing
// Prometheus host and loaded by a reload; removed again on destroy.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { prometheusPlacement, PrometheusSettings } from "./placement";

export interface PrometheusRulesArgs {
    /** The existing Prometheus's host (steps only; promtool used when present, curl for the reload). */
    host: PodmanHost;
    /** Rule and scrape settings, where the files go, and the reload URL. */
    settings: PrometheusSettings;
}

/**
 * The collector's alert rules and scrape jobs on the Prometheus host, each file checked by
 * promtool before it replaces the old one, then a reload (the old files come back if it fails).
 * Removed on destroy.
 */
export class PrometheusRules extends pulumi.ComponentResource {
    /** Where the alert rules and the scrape jobs are placed on the Prometheus host. */
    readonly rulesPath: string;
    readonly scrapePath: string;

    constructor(name: string, args: PrometheusRulesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:PrometheusRules", name, {}, opts);
        const placement = prometheusPlacement(args.settings);
        this.rulesPath = args.settings.rulesPath;
        this.scrapePath = args.settings.scrapePath;
        args.host.step(`${name}-files`, placement.step, { parent: this, dependsOn: dependenciesOf(opts) });
        this.registerOutputs({ rulesPath: this.rulesPath, scrapePath: this.scrapePath });
    }
}
