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
import { healthGateStep } from "../components/host/scripts";
import { jaegerContainer, jaegerPaths } from "../components/jaeger/jaeger";
import { placeRetentionScript, removeRetentionScript, retentionUnits } from "../components/jaeger/retention";
import { prometheusPlacement } from "../components/prometheus/placement";
import { tlsPlacement } from "../components/tls/placement";
import { CollectorHostPlan } from "./collectorHosts";
import { StackPlan } from "./plan";

export interface StackSecrets {
    bearerToken: string;
    /** The search cluster's password, where jaeger.storage has a username. */
    storagePassword?: string;
    /** With several collector hosts: every host's CA (the TLS steps' output), or a placeholder. */
    tierCa?: string;
}

/** Stand-ins for secrets in files people review. */
export const placeholderSecrets: StackSecrets = {
    bearerToken: "secret:otlpBearerToken",
    storagePassword: "secret:jaegerStoragePassword",
};
/** What stands for the hosts' CA bundle where no TLS step has run. */
export const tierCaPlaceholder = "# the CA certificate of every collector host, from their TLS steps\n";

/** The containers of one collector host (Jaeger's only on the first). */
export interface HostContainers {
    collector: ContainerSpec;
    sampler?: ContainerSpec;
}

export interface StackArtifacts {
    files: Record<string, string>;
    /** The first host's collector and Jaeger; `byHost` has every collector host's. */
    containers: { collector: ContainerSpec; jaeger: ContainerSpec; byHost: HostContainers[] };
}

/** A component's files under its own folder. */
function inFolder(folder: string, files: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(files).map(([name, content]) => [`${folder}/${name}`, content]));
}

/** A step's scripts as steps/<name>-create.sh, -delete.sh and -check.sh (create only where it carries no secret). */
function stepFiles(name: string, step: { create?: string; delete: string; check?: string }): Record<string, string> {
    return {
        ...(step.create === undefined ? {} : { [`steps/${name}-create.sh`]: step.create }),
        [`steps/${name}-delete.sh`]: step.delete,
        ...(step.check === undefined ? {} : { [`steps/${name}-check.sh`]: step.check }),
    };
}

/**
 * The files of one collector host: its sampler's config, its firewall and TLS units, its
 * preflight and steps, in folders and steps named with its suffix ("" on the first host). The
 * ruleset is rendered for review even where the stack places no firewall.
 */
function hostFiles(h: CollectorHostPlan, containers: HostContainers): Record<string, string> {
    const firewall = firewallPlacement(h.firewall);
    const tls = h.tls.mode === "disabled" ? undefined : tlsPlacement(h.tls);
    return {
        ...(containers.sampler
            ? { [`sampler${h.suffix}/config.yaml`]: fileIn(containers.sampler, collectorPaths.config) }
            : {}),
        ...inFolder(`firewall${h.suffix}`, firewall.files),
        ...inFolder(`tls${h.suffix}`, tls?.files ?? {}),
        [`steps/collector-host${h.suffix}-preflight.sh`]: preflightScript(h.requirements),
        ...(h.firewall.enabled ? stepFiles(`firewall${h.suffix}`, firewall.step) : {}),
        ...(tls ? stepFiles(`tls${h.suffix}`, tls.step) : {}),
        ...(h.healthGate ? stepFiles(`collector-health${h.suffix}`, healthGateStep(h.healthGate)) : {}),
    };
}

export function stackArtifacts(plan: StackPlan, secrets: StackSecrets): StackArtifacts {
    const tierCa = plan.collectorHosts.length > 1 ? (secrets.tierCa ?? tierCaPlaceholder) : undefined;
    const byHost = plan.collectorHosts.map((h): HostContainers => ({
        collector: collectorContainer({ ...h.collector, bearerToken: secrets.bearerToken, tierCa }),
        ...(h.sampler
            ? { sampler: collectorContainer({ ...h.sampler, bearerToken: secrets.bearerToken, tierCa }) }
            : {}),
    }));
    const collector = byHost[0].collector;
    const retention = plan.jaeger.retention;
    const storagePassword = retention?.username !== undefined ? secrets.storagePassword : undefined;
    const jaeger = jaegerContainer({ ...plan.jaeger, clientCa: tierCa, storagePassword });
    const prometheus = prometheusPlacement(plan.prometheus);
    const grafana = plan.grafana ? grafanaPlacement(plan.grafana) : undefined;

    const files: Record<string, string> = {
        // The config files as the containers carry them (a tier's samplers' with their hosts' files).
        "collector/config.yaml": fileIn(collector, collectorPaths.config),
        "jaeger/config.yaml": fileIn(jaeger, jaegerPaths.config),
        ...inFolder("prometheus", prometheus.files),
        ...inFolder("grafana", grafana?.files ?? {}),
        "app.env": renderEnvFile(appEnvironment(plan.app, secrets.bearerToken)),
        "containers.json":
            JSON.stringify(byHost.length > 1 ? { byHost, jaeger } : { collector, jaeger }, null, 2) + "\n",
        // The steps run as root on the hosts, as the components run them; the preflights first.
        ...Object.assign({}, ...plan.collectorHosts.map((h, i) => hostFiles(h, byHost[i]))),
        "steps/prometheus-host-preflight.sh": preflightScript(plan.hosts.prometheus),
        ...stepFiles("prometheus", prometheus.step),
        ...(plan.hosts.grafana ? { "steps/grafana-host-preflight.sh": preflightScript(plan.hosts.grafana) } : {}),
        ...(grafana ? stepFiles("grafana", grafana.step) : {}),
        ...(retention ? inFolder("jaeger-retention", retentionUnits(retention)) : {}),
        ...(retention
            ? stepFiles("jaeger-retention", {
                  create: placeRetentionScript(retention, storagePassword),
                  delete: removeRetentionScript(retention),
              })
            : {}),
    };
    return { files, containers: { collector, jaeger, byHost } };
}
