// Turns validated stack settings into each component's own settings (the types each component
// exports). Pure, and the one mapping the program (index.ts), `npm run render` and the tests share.
import { AppEnvironmentSettings, instanceOverrides } from "../components/appEnvironment";
import { CollectorConfigSettings } from "../components/collector/config";
import { goMemLimit, goMemLimitMiB } from "../components/container";
import { grafanaHostNeeds, GrafanaSettings } from "../components/grafana/placement";
import { HostRequirements } from "../components/host/preflight";
import { hostAddress, HostSettings } from "../components/host/settings";
import { JaegerSettings, jaegerOtlpEndpoint, JaegerStorage } from "../components/jaeger/jaeger";
import { PrometheusSettings } from "../components/prometheus/placement";
import { ruleGroupName } from "../components/prometheus/rules";
import { renewalWindowDays } from "../components/tls/steps";
import { CheckSettings } from "../checks/settings";
import { prometheusApiUrl } from "../components/prometheus/preflight";
import { ScrapeSettings, scrapeJobs, scrapeTargets } from "../components/prometheus/scrape";
import { readStackValues, validateStack } from "../config/load";
import { durationHours, StackSettings } from "../config/schema";
import { stackConfig } from "../config/stackFile";
import {
    CollectorHostPlan,
    collectorHostList,
    containerSize,
    planCollectorHosts,
    privateNetwork,
    shapeOf,
} from "./collectorHosts";

/** Compiles only when the schema's output fits the component's own settings type. */
type Fits<Output extends Contract, Contract> = Output;
/** The hosts the schema accepts are what PodmanHost takes (a compile error here names the mismatch). */
export type CheckedHosts = Fits<
    | NonNullable<StackSettings["collectorHost"]>
    | NonNullable<StackSettings["collectorHosts"]>[number]
    | StackSettings["prometheus"]["host"]
    | NonNullable<StackSettings["grafana"]["host"]>,
    HostSettings
>;

export { privateNetwork };

/** A stack endpoint of one front collector, for apps that pick one (or a name that resolves to all). */
export interface FrontEndpoint {
    host: string;
    otlpGrpc: string;
    otlpHttp: string;
}

/** A host that carries no collector: how it is reached and what it must offer. */
export interface ServiceHostPlan {
    host: HostSettings;
    /** Checked by the host's preflight before anything is placed there. */
    requirements: HostRequirements;
}

export interface StackPlan {
    environment: StackSettings["environment"];
    /** One collector host, or a tier: a front and a sampler on each of several hosts. */
    shape: "single" | "tier";
    /** Every collector host; Jaeger runs on the first. One entry unless collectorHosts lists several. */
    collectorHosts: CollectorHostPlan[];
    jaeger: JaegerSettings;
    prometheus: PrometheusSettings;
    /** Absent when grafana.enabled is false. */
    grafana?: GrafanaSettings;
    /**
     * The hosts besides the collector hosts. `grafana` only when Grafana has a host of its own;
     * otherwise its step runs on the Prometheus host.
     */
    hosts: { prometheus: ServiceHostPlan; grafana?: ServiceHostPlan };
    app: AppEnvironmentSettings;
    /** The links the deploy check and `npm run check` follow (the deployCheck output). */
    check: CheckSettings;
    /** Whether every `up` that changes something ends with the check, and the label that reruns it. */
    deployCheck: { enabled: boolean; trigger: string };
    outputs: {
        /** With apps.instances: what each app container changes in appEnvironment (the rollout). */
        appInstances?: Record<string, Record<string, string>>;
        collectorEndpoints: Record<string, string>;
        /** With several collector hosts: each host's front. */
        frontEndpoints?: FrontEndpoint[];
        jaegerUiUrl: string;
        prometheusTargets: string[];
        sizing: {
            cpus: number;
            memoryMb: number;
            goMemLimit: string;
            samplingRatio: number;
            traceRetention: string;
            /** With several collector hosts: how many, and each front's and sampler's share of a host. */
            tier?: { hosts: number; perCollector: { cpus: number; memoryMb: number; goMemLimit: string } };
        };
    };
}

/** The store as Jaeger's renderer takes it (the cleaner's image is the retention's, not Jaeger's). */
function jaegerStorage(s: StackSettings): JaegerStorage {
    const storage = s.jaeger.storage;
    if (storage.backend === "badger") return storage;
    const { indexCleanerImage: _image, ...search } = storage;
    return search;
}

/** Jaeger on the first collector host: its store, the days it keeps, and in a tier its receiver for the other hosts' samplers. */
function jaegerPlan(s: StackSettings, tier: boolean, tlsDir: string): JaegerSettings {
    const storage = s.jaeger.storage;
    return {
        image: s.jaeger.image,
        traceRetention: s.traceRetention,
        uiPort: s.jaeger.uiPort,
        metricsPort: s.jaeger.metricsPort,
        network: privateNetwork,
        storage: jaegerStorage(s),
        ...(storage.backend === "badger"
            ? {}
            : {
                  retention: {
                      days: Math.ceil(durationHours(s.traceRetention) / 24),
                      image: storage.indexCleanerImage,
                      server: storage.servers[0],
                      indexPrefix: storage.indexPrefix,
                      dir: `${s.collector.hostDir}/jaeger-retention`,
                      ...(storage.username !== undefined ? { username: storage.username } : {}),
                      ...(storage.caCertificate !== undefined ? { caCertificate: storage.caCertificate } : {}),
                  },
              }),
        ...(tier
            ? { tier: { otlpPort: s.jaeger.tierOtlpPort, tlsHostDir: tlsDir, reloadInterval: s.tls.reloadInterval } }
            : {}),
    };
}

/** Where the stack's files go on the Prometheus and Grafana hosts: one stem per environment. */
function servicePaths(s: StackSettings) {
    const stem = `ivatar-otel-${s.environment}`;
    return {
        stem,
        rules: `${s.prometheus.rulesDir}/${stem}.rules.yml`,
        scrape: `${s.prometheus.scrapeConfigDir}/${stem}.scrape.yml`,
        grafanaProvider: `${s.grafana.provisioningDir}/${stem}.yaml`,
        grafanaDatasource: `${s.grafana.datasourcesDir}/${stem}-datasources.yaml`,
    };
}

/**
 * The Prometheus host, and Grafana's when it has one of its own (otherwise Grafana's files go on
 * the Prometheus host, which must then offer what they need).
 */
function serviceHosts(s: StackSettings, scrape: ScrapeSettings): StackPlan["hosts"] {
    const paths = servicePaths(s);
    const grafanaNeeds = grafanaHostNeeds({
        providerPath: paths.grafanaProvider,
        datasourcePath: paths.grafanaDatasource,
    });
    const grafanaHere = s.grafana.enabled && s.grafana.host === undefined;
    const prometheusApi = prometheusApiUrl(s.prometheus.reloadUrl);
    const prometheus: ServiceHostPlan = {
        host: s.prometheus.host,
        requirements: {
            podman: false,
            dockerDialStdio: false,
            tools: [
                { command: "curl", neededFor: "reaching the scrape targets and reloading Prometheus" },
                ...(grafanaHere ? grafanaNeeds.tools : []),
            ],
            ...(grafanaHere ? { directories: grafanaNeeds.directories } : {}),
            reaches: scrapeTargets(scrape).map((t) => ({
                host: t.target.slice(0, t.target.lastIndexOf(":")),
                url: `http://${t.target}/metrics`,
                neededFor: `Prometheus's scrape job ${t.job}`,
            })),
            ...(prometheusApi
                ? {
                      prometheusReads: {
                          apiUrl: prometheusApi,
                          files: [
                              { path: paths.rules, list: "rule_files" as const, setBy: "prometheus.rulesDir" },
                              {
                                  path: paths.scrape,
                                  list: "scrape_config_files" as const,
                                  setBy: "prometheus.scrapeConfigDir",
                              },
                          ],
                      },
                  }
                : {}),
            optionalTools: [
                {
                    command: "promtool",
                    neededFor:
                        "rule files are then checked only by Prometheus's reload, not before they replace the old ones",
                },
            ],
        },
    };
    const grafanaHost = s.grafana.enabled ? s.grafana.host : undefined;
    return {
        prometheus,
        ...(grafanaHost
            ? {
                  grafana: {
                      host: grafanaHost,
                      requirements: { podman: false, dockerDialStdio: false, optionalTools: [], ...grafanaNeeds },
                  },
              }
            : {}),
    };
}

/** What the deployment jobs read: the apps' endpoints, Jaeger's UI, the scrape targets and the sizing. */
function outputsPlan(s: StackSettings, scrape: ScrapeSettings): StackPlan["outputs"] {
    const c = s.collector;
    const host = c.endpointHost;
    const scheme = s.tls.mode === "disabled" ? "http" : "https";
    const size = containerSize(s);
    const addresses = collectorHostList(s).map(hostAddress);
    const tier = shapeOf(s) === "tier";
    return {
        ...(s.apps.instances.length > 0 ? { appInstances: instanceOverrides(s.apps) } : {}),
        collectorEndpoints: {
            otlpGrpc: `${scheme}://${host}:${c.ports.otlpGrpc}`,
            otlpHttp: `${scheme}://${host}:${c.ports.otlpHttp}`,
            health: `http://${host}:${c.ports.health}/`,
            prometheusExporter: `http://${host}:${c.ports.prometheusExporter}/metrics`,
            internalMetrics: `http://${host}:${c.ports.internalMetrics}/metrics`,
        },
        ...(tier
            ? {
                  frontEndpoints: addresses.map((a) => ({
                      host: a,
                      otlpGrpc: `${scheme}://${a}:${c.ports.otlpGrpc}`,
                      otlpHttp: `${scheme}://${a}:${c.ports.otlpHttp}`,
                  })),
              }
            : {}),
        // A tier's Jaeger on the first host, by its name; a single host's by the apps' name for it.
        jaegerUiUrl: `http://${tier ? addresses[0] : host}:${s.jaeger.uiPort}/`,
        prometheusTargets: scrapeTargets(scrape).map((t) => t.target),
        sizing: {
            cpus: c.cpus,
            memoryMb: c.memoryMb,
            goMemLimit: goMemLimit(size.memoryMb),
            samplingRatio: s.samplingRatio,
            traceRetention: s.traceRetention,
            ...(tier
                ? {
                      tier: {
                          hosts: addresses.length,
                          perCollector: { ...size, goMemLimit: goMemLimit(size.memoryMb) },
                      },
                  }
                : {}),
        },
    };
}

/**
 * What the checks reach, as the apps and operators do: the apps' endpoint, the collector's health
 * and Jaeger by the outputs' addresses, Prometheus's API by prometheus.apiUrl (by default the
 * reload URL's, with a loopback host replaced by the Prometheus host's address).
 */
function checkPlan(s: StackSettings, outputs: StackPlan["outputs"]): CheckSettings {
    const host = s.prometheus.host;
    const fromReload = () => {
        const api = prometheusApiUrl(s.prometheus.reloadUrl);
        if (api === "" || "local" in host) return api;
        const url = new URL(api);
        if (["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) url.hostname = host.address;
        return url.toString().replace(/\/$/, "");
    };
    const apiUrl = s.prometheus.apiUrl ?? fromReload();
    return {
        environment: s.environment,
        runbookBaseUrl: s.prometheus.runbookBaseUrl,
        endpoint: {
            host: s.collector.endpointHost,
            otlpGrpcPort: s.collector.ports.otlpGrpc,
            tls: s.tls.mode !== "disabled",
        },
        // The renewal runs daily: a day short of its window means it has failed.
        certificateDaysMinimum: renewalWindowDays - 1,
        healthUrl: outputs.collectorEndpoints.health,
        jaegerUrl: outputs.jaegerUiUrl,
        ...(apiUrl
            ? {
                  prometheus: {
                      apiUrl,
                      ruleGroup: ruleGroupName(s.environment),
                      targets: outputs.prometheusTargets,
                  },
              }
            : {}),
    };
}

/** Whether the TLS step writes the certificate's expiry for node_exporter, so rules and dashboards watch it. */
function certificateExpiryWatched(s: StackSettings): boolean {
    return s.tls.expiryMetricsDir !== "" && s.tls.mode !== "disabled";
}

/** What Prometheus scrapes: each host of a tier by its name; a single host by the name Prometheus is given, or the apps'. */
function scrapePlan(s: StackSettings): ScrapeSettings {
    const c = s.collector;
    const tier = shapeOf(s) === "tier";
    return {
        environment: s.environment,
        addresses: tier ? collectorHostList(s).map(hostAddress) : [s.prometheus.scrapeAddress ?? c.endpointHost],
        ports: {
            prometheusExporter: c.ports.prometheusExporter,
            internalMetrics: c.ports.internalMetrics,
            jaegerMetrics: s.jaeger.metricsPort,
            ...(tier ? { samplerMetrics: c.samplerPorts.internalMetrics } : {}),
        },
    };
}

/** The settings every collector config of the stack is rendered from (the samplers' then point at Jaeger their own way). */
function collectorConfigPlan(s: StackSettings): CollectorConfigSettings {
    const c = s.collector;
    const tlsEnabled = s.tls.mode !== "disabled";
    return {
        samplingRatio: s.samplingRatio,
        ports: c.ports,
        // In a tier the host's queue disk is split too: the front's (for a sampler that is away) and the sampler's (for Jaeger).
        queueBytes: Math.floor((c.queueDiskGiB * 2 ** 30) / (shapeOf(s) === "tier" ? 2 : 1)),
        samplingShards: Math.max(1, Math.ceil(containerSize(s).cpus)),
        tls: {
            enabled: tlsEnabled,
            clientCa: tlsEnabled && s.tls.clientCa !== undefined,
            reloadInterval: s.tls.reloadInterval,
        },
        jaegerEndpoint: jaegerOtlpEndpoint,
        clientAddresses: s.clientAddresses,
    };
}

/** The alert rules and scrape jobs, and where they go on the Prometheus host. */
function prometheusPlan(s: StackSettings, scrape: ScrapeSettings): PrometheusSettings {
    const paths = servicePaths(s);
    return {
        rules: {
            environment: s.environment,
            ...containerSize(s),
            runbookBaseUrl: s.prometheus.runbookBaseUrl,
            ...(shapeOf(s) === "tier" ? { tier: { samplers: collectorHostList(s).length } } : {}),
            ...(s.prometheus.noSpansAlertAfter === "off" ? {} : { noSpansFor: s.prometheus.noSpansAlertAfter }),
            ...(certificateExpiryWatched(s) ? { certificateExpiry: true } : {}),
            ...(s.jaeger.storage.backend === "badger" ? { jaegerStoreBytes: s.jaeger.storeDiskGiB * 2 ** 30 } : {}),
        },
        scrape,
        rulesPath: paths.rules,
        scrapePath: paths.scrape,
        ruleTestsFile: `${paths.stem}.rules.test.yml`,
        reloadUrl: s.prometheus.reloadUrl,
    };
}

/** The dashboards and where they go on the Grafana host; undefined when grafana.enabled is false. */
function grafanaPlan(
    s: StackSettings,
    outputs: StackPlan["outputs"],
    check: CheckSettings,
): GrafanaSettings | undefined {
    if (!s.grafana.enabled) return undefined;
    const paths = servicePaths(s);
    const size = containerSize(s);
    // Prometheus as Grafana reaches it: on its own host by the reload URL's address, from another host as the checks do.
    const prometheusUrl =
        s.grafana.host === undefined ? prometheusApiUrl(s.prometheus.reloadUrl) : (check.prometheus?.apiUrl ?? "");
    return {
        dashboards: {
            environment: s.environment,
            collector: { ...size, goMemLimitMiB: goMemLimitMiB(size.memoryMb) },
            jobs: { collector: scrapeJobs.health, exporter: scrapeJobs.exporter, jaeger: scrapeJobs.jaeger },
            ...(certificateExpiryWatched(s) ? { certificateExpiry: true } : {}),
        },
        folder: s.grafana.folder,
        providerPath: paths.grafanaProvider,
        dashboardsDir: `${s.grafana.dashboardsDir}/${paths.stem}`,
        datasourcePath: paths.grafanaDatasource,
        traces: {
            environment: s.environment,
            jaegerUrl: outputs.jaegerUiUrl,
            ...(s.grafana.lokiDatasourceUid
                ? { loki: { uid: s.grafana.lokiDatasourceUid, serviceLabel: s.grafana.lokiServiceLabel } }
                : {}),
            ...(prometheusUrl ? { prometheusUrl } : {}),
        },
    };
}

/** The stack's shape and every component's settings, from validated settings. */
export function planStack(s: StackSettings): StackPlan {
    const c = s.collector;
    const tlsDir = `${c.hostDir}/tls`;
    const scrape = scrapePlan(s);
    const outputs = outputsPlan(s, scrape);
    const check = checkPlan(s, outputs);
    return {
        environment: s.environment,
        shape: shapeOf(s),
        collectorHosts: planCollectorHosts(s, collectorConfigPlan(s), tlsDir),
        jaeger: jaegerPlan(s, shapeOf(s) === "tier", tlsDir),
        prometheus: prometheusPlan(s, scrape),
        grafana: grafanaPlan(s, outputs, check),
        hosts: serviceHosts(s, scrape),
        app: {
            environment: s.environment,
            serviceName: s.serviceName,
            serviceVersion: s.serviceVersion,
            endpointHost: c.endpointHost,
            otlpGrpcPort: c.ports.otlpGrpc,
            tlsEnabled: s.tls.mode !== "disabled",
            selfIssuedCaPath: s.tls.mode === "generate" ? s.tls.appCaPath : undefined,
        },
        check,
        deployCheck: s.deployCheck,
        outputs,
    };
}

/** The plan of a stack file in this checkout, as `pulumi up --stack <name>` makes it (for bench and tests). */
export function planFor(stack: string): StackPlan {
    return planStack(validateStack(readStackValues(stackConfig(stack))));
}
