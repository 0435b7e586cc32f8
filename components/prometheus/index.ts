// PrometheusRules: the collector's alert rules and scrape jobs, placed on the existing
// Prometheus host and loaded by a reload; removed again on destroy.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { prometheusPlacement, PrometheusSettings } from "./placement";

export interface PrometheusRulesArgs {
    host: PodmanHost;
    settings: PrometheusSettings;
}

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
