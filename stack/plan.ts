// Turns validated stack settings into each component's own settings (the types each component
// exports). Pure, and the one mapping the program (index.ts), `npm run render` and the tests share.
import { AppEnvironmentSettings } from "../components/appEnvironment";
import { CollectorConfigSettings } from "../components/collector/config";
import { CollectorSettings, goMemLimit, goMemLimitMiB } from "../components/collector/container";
import { FirewallSettings } from "../components/firewall/placement";
import { grafanaHostNeeds, GrafanaSettings } from "../components/grafana/placement";
import { HostRequirements } from "../components/host/preflight";
import { hostAddress, HostSettings } from "../components/host/settings";
import { JaegerSettings, jaegerOtlpEndpoint, JaegerStorage } from "../components/jaeger/jaeger";
import { PrometheusSettings } from "../components/prometheus/placement";
import { prometheusApiUrl } from "../components/prometheus/preflight";
import { ScrapeSettings, scrapeJobs, scrapeTargets } from "../components/prometheus/scrape";
import { TlsSettings } from "../components/tls/placement";
import { readStackValues, validateStack } from "../config/load";
import { durationHours, StackSettings } from "../config/schema";
import { stackConfig } from "../config/stackFile";
import {
    CollectorHostPlan,
    collectorHostList,
    containerSize,
    planCollectorHosts,
    privateNetwork,
    tierOf,
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

export interface StackPlan {
    environment: StackSettings["environment"];
    /** Every collector host; Jaeger runs on the first. One entry unless collectorHosts lists several. */
    collectorHosts: CollectorHostPlan[];
    /** The first collector host's collector, TLS and firewall: the same objects as collectorHosts[0]'s. */
    collector: CollectorSettings;
    jaeger: JaegerSettings;
    tls: TlsSettings;
    prometheus: PrometheusSettings;
    /** Absent when grafana.enabled is false. */
    grafana?: GrafanaSettings;
    firewall: FirewallSettings & { enabled: boolean };
    /**
     * What each host must offer; its preflight checks it before anything is placed there.
     * `collector` is the first collector host's. `grafana` only when Grafana has a host of its
     * own; otherwise its step runs on the Prometheus host.
     */
    hosts: { collector: HostRequirements; prometheus: HostRequirements; grafana?: HostRequirements };
    app: AppEnvironmentSettings;
    outputs: {
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

export function planStack(s: StackSettings): StackPlan {
    const c = s.collector;
    const tlsEnabled = s.tls.mode !== "disabled";
    const tlsDir = `${c.hostDir}/tls`;
    const host = c.endpointHost;
    const scheme = tlsEnabled ? "https" : "http";
    const tier = tierOf(s);
    const size = containerSize(s);
    const hostAddresses = collectorHostList(s).map(hostAddress);
    const scrape: ScrapeSettings = {
        environment: s.environment,
        // Each host of a tier by its name; a single host by the name Prometheus is given, or the apps'.
        addresses: tier ? hostAddresses : [s.prometheus.scrapeAddress ?? host],
        ports: {
            prometheusExporter: c.ports.prometheusExporter,
            internalMetrics: c.ports.internalMetrics,
            jaegerMetrics: s.jaeger.metricsPort,
            ...(tier ? { samplerMetrics: c.samplerPorts.internalMetrics } : {}),
        },
    };
    const grafana = s.grafana.enabled;
    const grafanaOwnHost = grafana && s.grafana.host !== undefined;
    const fileStem = `ivatar-otel-${s.environment}`;
    // In a tier the host's queue disk is split too: the front's (for a sampler that is away) and the sampler's (for Jaeger).
    const queueBytes = Math.floor((c.queueDiskGiB * 2 ** 30) / (tier ? 2 : 1));
    const config: CollectorConfigSettings = {
        samplingRatio: s.samplingRatio,
        ports: c.ports,
        queueBytes,
        samplingShards: Math.max(1, Math.ceil(size.cpus)),
        tls: {
            enabled: tlsEnabled,
            clientCa: tlsEnabled && s.tls.clientCa !== undefined,
            reloadInterval: s.tls.reloadInterval,
        },
        jaegerEndpoint: jaegerOtlpEndpoint,
    };
    const rulesPath = `${s.prometheus.rulesDir}/${fileStem}.rules.yml`;
    const scrapePath = `${s.prometheus.scrapeConfigDir}/${fileStem}.scrape.yml`;
    const prometheusApi = prometheusApiUrl(s.prometheus.reloadUrl);
    const grafanaProviderPath = `${s.grafana.provisioningDir}/${fileStem}.yaml`;
    const grafanaNeeds = grafanaHostNeeds({ providerPath: grafanaProviderPath });
    const collectorHosts = planCollectorHosts(s, config, tlsDir);
    const first = collectorHosts[0];
    const jaegerHost = tier ? hostAddresses[0] : host;
    return {
        environment: s.environment,
        collectorHosts,
        collector: first.collector,
        jaeger: {
            image: s.jaeger.image,
            traceRetention: s.traceRetention,
            uiPort: s.jaeger.uiPort,
            metricsPort: s.jaeger.metricsPort,
            network: privateNetwork,
            storage: jaegerStorage(s),
            ...(s.jaeger.storage.backend === "badger"
                ? {}
                : {
                      retention: {
                          days: Math.ceil(durationHours(s.traceRetention) / 24),
                          image: s.jaeger.storage.indexCleanerImage,
                          server: s.jaeger.storage.servers[0],
                          indexPrefix: s.jaeger.storage.indexPrefix,
                          dir: `${c.hostDir}/jaeger-retention`,
                          ...(s.jaeger.storage.username !== undefined ? { username: s.jaeger.storage.username } : {}),
                          ...(s.jaeger.storage.caCertificate !== undefined
                              ? { caCertificate: s.jaeger.storage.caCertificate }
                              : {}),
                      },
                  }),
            ...(tier
                ? {
                      tier: {
                          otlpPort: s.jaeger.tierOtlpPort,
                          tlsHostDir: tlsDir,
                          reloadInterval: s.tls.reloadInterval,
                      },
                  }
                : {}),
        },
        tls: first.tls,
        prometheus: {
            rules: {
                environment: s.environment,
                ...size,
                runbookBaseUrl: s.prometheus.runbookBaseUrl,
                ...(tier ? { tier: { samplers: tier.samplers.length } } : {}),
            },
            scrape,
            rulesPath,
            scrapePath,
            ruleTestsFile: `${fileStem}.rules.test.yml`,
            reloadUrl: s.prometheus.reloadUrl,
        },
        grafana: grafana
            ? {
                  dashboards: {
                      environment: s.environment,
                      collector: { ...size, goMemLimitMiB: goMemLimitMiB(size.memoryMb) },
                      jobs: { collector: scrapeJobs.health, exporter: scrapeJobs.exporter, jaeger: scrapeJobs.jaeger },
                  },
                  folder: s.grafana.folder,
                  providerPath: grafanaProviderPath,
                  dashboardsDir: `${s.grafana.dashboardsDir}/${fileStem}`,
              }
            : undefined,
        firewall: first.firewall,
        hosts: {
            collector: first.requirements,
            prometheus: {
                podman: false,
                dockerDialStdio: false,
                tools: [
                    { command: "curl", neededFor: "reaching the scrape targets and reloading Prometheus" },
                    ...(grafana && !grafanaOwnHost ? grafanaNeeds.tools : []),
                ],
                ...(grafana && !grafanaOwnHost ? { directories: grafanaNeeds.directories } : {}),
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
                                  { path: rulesPath, list: "rule_files" as const, setBy: "prometheus.rulesDir" },
                                  {
                                      path: scrapePath,
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
            ...(grafanaOwnHost
                ? { grafana: { podman: false, dockerDialStdio: false, optionalTools: [], ...grafanaNeeds } }
                : {}),
        },
        app: {
            environment: s.environment,
            serviceName: s.serviceName,
            serviceVersion: s.serviceVersion,
            endpointHost: host,
            otlpGrpcPort: c.ports.otlpGrpc,
            tlsEnabled,
            selfIssuedCaPath: s.tls.mode === "generate" ? s.tls.appCaPath : undefined,
        },
        outputs: {
            collectorEndpoints: {
                otlpGrpc: `${scheme}://${host}:${c.ports.otlpGrpc}`,
                otlpHttp: `${scheme}://${host}:${c.ports.otlpHttp}`,
                health: `http://${host}:${c.ports.health}/`,
                prometheusExporter: `http://${host}:${c.ports.prometheusExporter}/metrics`,
                internalMetrics: `http://${host}:${c.ports.internalMetrics}/metrics`,
            },
            ...(tier
                ? {
                      frontEndpoints: hostAddresses.map((a) => ({
                          host: a,
                          otlpGrpc: `${scheme}://${a}:${c.ports.otlpGrpc}`,
                          otlpHttp: `${scheme}://${a}:${c.ports.otlpHttp}`,
                      })),
                  }
                : {}),
            jaegerUiUrl: `http://${jaegerHost}:${s.jaeger.uiPort}/`,
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
                              hosts: hostAddresses.length,
                              perCollector: { ...size, goMemLimit: goMemLimit(size.memoryMb) },
                          },
                      }
                    : {}),
            },
        },
    };
}

/** The plan of a stack file in this checkout, as `pulumi up --stack <name>` makes it (for bench and tests). */
export function planFor(stack: string): StackPlan {
    return planStack(validateStack(readStackValues(stackConfig(stack))));
}
