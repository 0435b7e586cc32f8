// Every file the program places on hosts for one stack, by relative path: what `npm run render`
// writes for reviewers, and what the artifact and live tests feed to the real programs. Pure:
// each component's own placement function, the same one the component runs.
import { appEnvironment, instanceEnvironments, renderEnvFile } from "../components/appEnvironment";
import { collectorPaths } from "../components/collector/config";
import { collectorContainer } from "../components/collector/container";
import { ContainerSpec, fileIn } from "../components/container";
import { FirewallPlacement, firewallPlacement } from "../components/firewall/placement";
import { grafanaPlacement } from "../components/grafana/placement";
import { preflightScript } from "../components/host/preflight";
import { healthGateStep } from "../components/host/scripts";
import { jaegerContainer, jaegerPaths } from "../components/jaeger/jaeger";
import { placeRetentionScript, removeRetentionScript, retentionUnits } from "../components/jaeger/retention";
import { prometheusPlacement } from "../components/prometheus/placement";
import { tlsPlacement } from "../components/tls/placement";
import { StackPlan } from "./plan";
import { walkStack } from "./walk";

export interface StackSecrets {
    bearerToken: string;
    /** The deploy canary's key, which tail sampling keeps. */
    canaryKey: string;
    /** The search cluster's password, where jaeger.storage has a username. */
    storagePassword?: string;
    /** With several collector hosts: every host's CA (the TLS steps' output), or a placeholder. */
    tierCa?: string;
}

/** Stand-ins for secrets in files people review. */
export const placeholderSecrets: StackSecrets = {
    bearerToken: "secret:otlpBearerToken",
    canaryKey: "secret:canaryKey",
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

/** A collector host as the files walk sees it: its names' suffix, and its firewall's placement. */
interface HostFiles {
    suffix: string;
    firewall: FirewallPlacement;
}

export function stackArtifacts(plan: StackPlan, secrets: StackSecrets): StackArtifacts {
    const files: Record<string, string> = {};
    const add = (more: Record<string, string>) => Object.assign(files, more);
    let jaeger: ContainerSpec | undefined;
    // Each step's scripts as the components run them on the hosts, the preflights first.
    const walked = walkStack<HostFiles, string, ContainerSpec | undefined, string, ContainerSpec>(plan, {
        collectorHost: (name, h) => {
            const firewall = firewallPlacement(h.firewall);
            add({ [`steps/${name}-preflight.sh`]: preflightScript(h.requirements) });
            // The ruleset is rendered for review even where the stack places no firewall.
            add(inFolder(`firewall${h.suffix}`, firewall.files));
            return { suffix: h.suffix, firewall };
        },
        serviceHost: (name, { requirements }) => {
            add({ [`steps/${name}-preflight.sh`]: preflightScript(requirements) });
            return name;
        },
        firewall: (name, host) => {
            add(stepFiles(name, host.firewall.step));
            return undefined;
        },
        tls: (_name, h, tls) => {
            const placement = tlsPlacement(tls);
            add({ ...inFolder(`tls${h.suffix}`, placement.files), ...stepFiles(`tls${h.suffix}`, placement.step) });
            return { step: undefined, trusted: "" };
        },
        caBundle: () => secrets.tierCa ?? tierCaPlaceholder,
        jaeger: (_name, _h, settings, clientCa) => {
            const retention = settings.retention;
            const storagePassword = retention?.username !== undefined ? secrets.storagePassword : undefined;
            jaeger = jaegerContainer({ ...settings, clientCa, storagePassword });
            add({ "jaeger/config.yaml": fileIn(jaeger, jaegerPaths.config) });
            if (retention)
                add({
                    ...inFolder("jaeger-retention", retentionUnits(retention)),
                    ...stepFiles("jaeger-retention", {
                        create: placeRetentionScript(retention, storagePassword),
                        delete: removeRetentionScript(retention),
                    }),
                });
            return jaeger;
        },
        collector: (_name, h, settings, tierCa) => {
            const spec = collectorContainer({
                ...settings,
                bearerToken: secrets.bearerToken,
                canaryKey: secrets.canaryKey,
                tierCa,
            });
            // The config files as the containers carry them: the first host's collector, and each sampler.
            const folder =
                settings.tier?.role === "sampler" ? `sampler${h.suffix}` : h.suffix === "" ? "collector" : undefined;
            if (folder) add({ [`${folder}/config.yaml`]: fileIn(spec, collectorPaths.config) });
            return spec;
        },
        healthGate: (name, _h, gate) => {
            add(stepFiles(name, healthGateStep(gate)));
            return undefined;
        },
        prometheus: (_name, _host, settings) => {
            const prometheus = prometheusPlacement(settings);
            add({ ...inFolder("prometheus", prometheus.files), ...stepFiles("prometheus", prometheus.step) });
            return undefined;
        },
        deployCheck: (_name, plan) => {
            // What the check at the end of `up` follows (the deployCheck output); secrets stay out.
            add({ "deploy-check.json": JSON.stringify(plan.check, null, 2) + "\n" });
            return undefined;
        },
        grafana: (_name, _host, settings) => {
            const grafana = grafanaPlacement(settings);
            add({ ...inFolder("grafana", grafana.files), ...stepFiles("grafana", grafana.step) });
            return undefined;
        },
    });
    if (!jaeger) throw new Error("the walk placed no Jaeger");
    const byHost = walked.collectors.map((collector, i): HostContainers => ({
        collector,
        ...(walked.samplers[i] ? { sampler: walked.samplers[i] } : {}),
    }));
    const collector = byHost[0].collector;
    const env = appEnvironment(plan.app, secrets.bearerToken);
    const instances = instanceEnvironments(env, plan.outputs.appInstances ?? {});
    add({
        "app.env": renderEnvFile(env),
        ...Object.fromEntries(Object.entries(instances).map(([name, e]) => [`app-${name}.env`, renderEnvFile(e)])),
        "containers.json":
            JSON.stringify(byHost.length > 1 ? { byHost, jaeger } : { collector, jaeger }, null, 2) + "\n",
    });
    return { files, containers: { collector, jaeger, byHost } };
}
