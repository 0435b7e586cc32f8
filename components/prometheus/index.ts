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
    readonly rules: string;
    readonly scrapeConfig: string;

    constructor(name: string, args: PrometheusRulesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:PrometheusRules", name, {}, opts);
        const placement = prometheusPlacement(args.settings);
        this.rules = placement.rules;
        this.scrapeConfig = placement.scrapeConfig;
        args.host.step(`${name}-files`, placement.step, { parent: this, dependsOn: dependenciesOf(opts) });
        this.registerOutputs({ rulesPath: args.settings.rulesPath, scrapePath: args.settings.scrapePath });
    }
}
