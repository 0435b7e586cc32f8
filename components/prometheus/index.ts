// PrometheusRules: the collector's alert rules and scrape jobs, placed on the existing
// Prometheus host and loaded by a reload; removed again on destroy.
import * as pulumi from "@pulumi/pulumi";
import { StackPlan } from "../../config/plan";
import { PodmanHost } from "../host/podmanHost";
import { renderRules } from "./rules";
import { renderScrapeConfig } from "./scrape";
import { placePrometheusFilesScript, removePrometheusFilesScript } from "./steps";

export interface PrometheusRulesArgs {
    host: PodmanHost;
    settings: StackPlan["prometheus"];
}

export class PrometheusRules extends pulumi.ComponentResource {
    readonly rules: string;
    readonly scrapeConfig: string;

    constructor(name: string, args: PrometheusRulesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:PrometheusRules", name, {}, opts);
        const s = args.settings;
        this.rules = renderRules(s.rules);
        this.scrapeConfig = renderScrapeConfig(s.scrape);
        const files = { rulesPath: s.rulesPath, rules: this.rules, scrapePath: s.scrapePath, scrape: this.scrapeConfig, reloadUrl: s.reloadUrl };
        args.host.step(`${name}-files`, {
            create: placePrometheusFilesScript(files),
            delete: removePrometheusFilesScript(files),
        }, { parent: this });
        this.registerOutputs({ rulesPath: s.rulesPath, scrapePath: s.scrapePath });
    }
}
