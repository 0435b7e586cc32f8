// What PrometheusRules places on the Prometheus host, in one pure function: the component runs
// its step, and `npm run render` writes the same files and scripts for review.
import { filesCheck, StepScripts } from "../host/scripts";
import { renderRules, renderRuleTests, RuleSettings } from "./rules";
import { renderScrapeConfig, ScrapeSettings } from "./scrape";
import { placePrometheusFilesScript, removePrometheusFilesScript } from "./steps";

export interface PrometheusSettings {
    rules: RuleSettings;
    scrape: ScrapeSettings;
    /** Where the rule file goes on the Prometheus host (a directory its rule_files glob reads). */
    rulesPath: string;
    /** Where the scrape jobs go (a directory its scrape_config_files glob reads). */
    scrapePath: string;
    /** Name of the promtool unit-test file shipped for review beside the rules. */
    ruleTestsFile: string;
    /** POSTed to reload Prometheus after its files change; empty: no reload. */
    reloadUrl: string;
}

export interface PrometheusPlacement {
    /** Rule file, rule tests and scrape jobs, by file name. */
    files: Record<string, string>;
    /** Places the files (each checked by promtool first) and reloads Prometheus. */
    step: StepScripts;
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

export function prometheusPlacement(s: PrometheusSettings): PrometheusPlacement {
    const rules = renderRules(s.rules);
    const scrapeConfig = renderScrapeConfig(s.scrape);
    const files = {
        rulesPath: s.rulesPath,
        rules,
        scrapePath: s.scrapePath,
        scrape: scrapeConfig,
        reloadUrl: s.reloadUrl,
    };
    return {
        files: {
            [basename(s.rulesPath)]: rules,
            [s.ruleTestsFile]: renderRuleTests(s.rules, basename(s.rulesPath)),
            [basename(s.scrapePath)]: scrapeConfig,
        },
        step: {
            create: placePrometheusFilesScript(files),
            delete: removePrometheusFilesScript(files),
            check: filesCheck([
                { path: s.rulesPath, content: rules },
                { path: s.scrapePath, content: scrapeConfig },
            ]),
        },
    };
}
