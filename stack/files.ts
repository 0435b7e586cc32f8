// Every file the program places on hosts for one stack, by relative path: what `npm run render`
// writes for reviewers, and what the artifact and live tests feed to the real programs. Pure:
// each component's own placement function, the same one the component runs.
import { appEnvironment, renderEnvFile } from "../components/appEnvironment";
import { collectorPaths } from "../components/collector/config";
import { collectorContainer } from "../components/collector/container";
import { ContainerSpec, fileIn } from "../components/container";
import { firewallPlacement } from "../components/firewall/placement";
import { grafanaPlacement } from "../components/grafana/placement";
import { preflightScript } from "../components/host/preflight";
import { jaegerContainer, jaegerPaths } from "../components/jaeger/jaeger";
import { prometheusPlacement } from "../components/prometheus/placement";
import { tlsPlacement } from "../components/tls/placement";
import { StackPlan } from "./plan";

export interface StackSecrets {
    bearerToken: string;
}

/** Stand-ins for secrets in files people review. */
export const placeholderSecrets: StackSecrets = { bearerToken: "secret:otlpBearerToken" };

export interface StackArtifacts {
    files: Record<string, string>;
    containers: { collector: ContainerSpec; jaeger: ContainerSpec };
}

/** A component's files under its own folder. */
function inFolder(folder: string, files: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(files).map(([name, content]) => [`${folder}/${name}`, content]));
}

/** A step's scripts as steps/<name>-create.sh and steps/<name>-delete.sh (create only where it carries no secret). */
function stepFiles(name: string, step: { create?: string; delete: string }): Record<string, string> {
    return {
        ...(step.create === undefined ? {} : { [`steps/${name}-create.sh`]: step.create }),
        [`steps/${name}-delete.sh`]: step.delete,
    };
}

export function stackArtifacts(plan: StackPlan, secrets: StackSecrets): StackArtifacts {
    const collector = collectorContainer({ ...plan.collector, bearerToken: secrets.bearerToken });
    const jaeger = jaegerContainer(plan.jaeger);
    const prometheus = prometheusPlacement(plan.prometheus);
    // The ruleset is rendered for review even where the stack places no firewall.
    const firewall = firewallPlacement(plan.firewall);
    const tls = plan.tls.mode === "disabled" ? undefined : tlsPlacement(plan.tls);
    const grafana = plan.grafana ? grafanaPlacement(plan.grafana) : undefined;

    const files: Record<string, string> = {
        // The config files as the containers carry them.
        "collector/config.yaml": fileIn(collector, collectorPaths.config),
        "jaeger/config.yaml": fileIn(jaeger, jaegerPaths.config),
        ...inFolder("prometheus", prometheus.files),
        ...inFolder("firewall", firewall.files),
        ...inFolder("tls", tls?.files ?? {}),
        ...inFolder("grafana", grafana?.files ?? {}),
        "app.env": renderEnvFile(appEnvironment(plan.app, secrets.bearerToken)),
        "containers.json": JSON.stringify({ collector, jaeger }, null, 2) + "\n",
        // The steps run as root on the hosts, as the components run them; the preflights first.
        "steps/collector-host-preflight.sh": preflightScript(plan.hosts.collector),
        "steps/prometheus-host-preflight.sh": preflightScript(plan.hosts.prometheus),
        ...stepFiles("prometheus", prometheus.step),
        ...(plan.firewall.enabled ? stepFiles("firewall", firewall.step) : {}),
        ...(tls ? stepFiles("tls", tls.step) : {}),
        ...(plan.hosts.grafana ? { "steps/grafana-host-preflight.sh": preflightScript(plan.hosts.grafana) } : {}),
        ...(grafana ? stepFiles("grafana", grafana.step) : {}),
    };
    return { files, containers: { collector, jaeger } };
}
