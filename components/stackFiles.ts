// Every file the program places on hosts for one stack, by relative path: what `npm run render`
// writes for reviewers, and what the artifact and live tests feed to the real programs. Pure,
// built from the same renderers the components use.
import { StackPlan } from "../config/plan";
import { appEnvironment, renderEnvFile } from "./appEnvironment";
import { collectorPaths } from "./collector/config";
import { collectorContainer } from "./collector/container";
import { ContainerSpec } from "./container";
import { renderRuleset } from "./firewall/ruleset";
import { applyFirewallScript, firewallCheck, removeFirewallScript, renderFirewallCheckService, renderFirewallCheckTimer, renderFirewallUnit } from "./firewall/steps";
import { preflightScript } from "./host/preflight";
import { jaegerContainer, jaegerPaths } from "./jaeger/jaeger";
import { renderRules, renderRuleTests } from "./prometheus/rules";
import { renderScrapeConfig } from "./prometheus/scrape";
import { placePrometheusFilesScript, removePrometheusFilesScript } from "./prometheus/steps";
import { renderRenewalService, renderRenewalTimer, renewalUnit } from "./tls/renewal";
import { generateTlsScript, removeTlsScript } from "./tls/steps";

export interface StackSecrets {
    bearerToken: string;
}

/** Stand-ins for secrets in files people review. */
export const placeholderSecrets: StackSecrets = { bearerToken: "secret:otlpBearerToken" };

export interface StackArtifacts {
    files: Record<string, string>;
    containers: { collector: ContainerSpec; jaeger: ContainerSpec };
}

export function stackArtifacts(plan: StackPlan, secrets: StackSecrets): StackArtifacts {
    const collector = collectorContainer({ ...plan.collector, bearerToken: secrets.bearerToken });
    const jaeger = jaegerContainer(plan.jaeger);
    // The config files as the containers carry them.
    const fileIn = (spec: ContainerSpec, path: string) => spec.files.find((f) => f.path === path)?.content ?? "";
    const p = plan.prometheus;
    const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);
    const rules = renderRules(p.rules);
    const scrape = renderScrapeConfig(p.scrape);
    const prometheusFiles = { rulesPath: p.rulesPath, rules, scrapePath: p.scrapePath, scrape, reloadUrl: p.reloadUrl };
    const ruleset = renderRuleset({ classes: plan.firewall.classes });

    const files: Record<string, string> = {
        "collector/config.yaml": fileIn(collector, collectorPaths.config),
        "jaeger/config.yaml": fileIn(jaeger, jaegerPaths.config),
        [`prometheus/${basename(p.rulesPath)}`]: rules,
        [`prometheus/${p.ruleTestsFile}`]: renderRuleTests(p.rules, basename(p.rulesPath)),
        [`prometheus/${basename(p.scrapePath)}`]: scrape,
        "firewall/ruleset.nft": ruleset,
        "firewall/ivatar-otel-firewall.service": renderFirewallUnit(plan.firewall.rulesetPath),
        [`firewall/${firewallCheck}.service`]: renderFirewallCheckService(plan.firewall.rulesetPath),
        [`firewall/${firewallCheck}.timer`]: renderFirewallCheckTimer(),
        "app.env": renderEnvFile(appEnvironment(plan.app, secrets.bearerToken)),
        "containers.json": JSON.stringify({ collector, jaeger }, null, 2) + "\n",
        // The steps run as root on the hosts, as the components run them; the preflights first.
        "steps/collector-host-preflight.sh": preflightScript(plan.hosts.collector),
        "steps/prometheus-host-preflight.sh": preflightScript(plan.hosts.prometheus),
        "steps/prometheus-create.sh": placePrometheusFilesScript(prometheusFiles),
        "steps/prometheus-delete.sh": removePrometheusFilesScript(prometheusFiles),
    };
    if (plan.firewall.enabled) {
        files["steps/firewall-create.sh"] = applyFirewallScript(ruleset, plan.firewall.rulesetPath);
        files["steps/firewall-delete.sh"] = removeFirewallScript(plan.firewall.rulesetPath);
    }
    if (plan.tls.mode === "generate") {
        files["steps/tls-create.sh"] = generateTlsScript(plan.tls.step);
        files[`tls/${renewalUnit}.service`] = renderRenewalService(plan.tls.step.caDir);
        files[`tls/${renewalUnit}.timer`] = renderRenewalTimer();
    }
    if (plan.tls.mode !== "disabled") files["steps/tls-delete.sh"] = removeTlsScript(plan.tls.step);
    return { files, containers: { collector, jaeger } };
}
