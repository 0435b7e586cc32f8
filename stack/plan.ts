// Turns validated stack settings into each component's own settings (the types each component
// exports). Pure, and the one mapping the program (index.ts), `npm run render` and the tests share.
import { AppEnvironmentSettings } from "../components/appEnvironment";
import { collectorQueueVolume, CollectorSettings, collectorUser, goMemLimit, goMemLimitMiB } from "../components/collector/container";
import { FirewallSettings } from "../components/firewall/placement";
import { GrafanaSettings, grafanaStepTools } from "../components/grafana/placement";
import { HostRequirements } from "../components/host/preflight";
import { HostSettings, isSsh } from "../components/host/settings";
import { JaegerSettings, jaegerOtlpEndpoint } from "../components/jaeger/jaeger";
import { PrometheusSettings } from "../components/prometheus/placement";
import { ScrapeSettings, scrapeJobs, scrapeTargets } from "../components/prometheus/scrape";
import { TlsSettings } from "../components/tls/placement";
import { TlsStepSettings } from "../components/tls/steps";
import { readStackValues, validateStack } from "../config/load";
import { StackSettings } from "../config/schema";
import { stackConfig } from "../config/stackFile";

/** Compiles only when the schema's output fits the component's own settings type. */
type Fits<Output extends Contract, Contract> = Output;
/** The hosts the schema accepts are what PodmanHost takes (a compile error here names the mismatch). */
export type CheckedHosts = Fits<StackSettings["collectorHost"] | StackSettings["prometheus"]["host"] | NonNullable<StackSettings["grafana"]["host"]>, HostSettings>;

/** The private Podman network the collector and Jaeger share. */
export const privateNetwork = "ivatar-otel";

export interface StackPlan {
    environment: StackSettings["environment"];
    collector: CollectorSettings;
    jaeger: JaegerSettings;
    tls: TlsSettings;
    prometheus: PrometheusSettings;
    /** Absent when grafana.enabled is false. */
    grafana?: GrafanaSettings;
    firewall: FirewallSettings & { enabled: boolean };
    /**
     * What each host must offer; its preflight checks it before anything is placed there.
     * `grafana` only when Grafana has a host of its own; otherwise its step runs on the Prometheus host.
     */
    hosts: { collector: HostRequirements; prometheus: HostRequirements; grafana?: HostRequirements };
    app: AppEnvironmentSettings;
    outputs: {
        collectorEndpoints: Record<string, string>;
        jaegerUiUrl: string;
        prometheusTargets: string[];
        sizing: { cpus: number; memoryMb: number; goMemLimit: string; samplingRatio: number; traceRetention: string };
    };
}

function tlsPlan(s: StackSettings, step: TlsStepSettings): TlsSettings {
    switch (s.tls.mode) {
        case "disabled":
            return { mode: "disabled" };
        case "generate":
            return { mode: "generate", step };
        case "provided":
            // The schema's cross-checks have made sure of it; this states it for the type.
            if (s.tls.certificate === undefined) throw new Error("tls.certificate: expected a PEM certificate when tls.mode is provided");
            return { mode: "provided", step, certificate: s.tls.certificate };
    }
}

export function planStack(s: StackSettings): StackPlan {
    const c = s.collector;
    const tlsEnabled = s.tls.mode !== "disabled";
    const tlsDir = `${c.hostDir}/tls`;
    const host = c.endpointHost;
    const scheme = tlsEnabled ? "https" : "http";
    const collectorHostAddress = isSsh(s.collectorHost) ? s.collectorHost.address : "localhost";
    const scrape: ScrapeSettings = {
        environment: s.environment,
        address: s.prometheus.scrapeAddress ?? host,
        ports: { prometheusExporter: c.ports.prometheusExporter, internalMetrics: c.ports.internalMetrics, jaegerMetrics: s.jaeger.metricsPort },
    };
    const grafana = s.grafana.enabled;
    const grafanaOwnHost = grafana && s.grafana.host !== undefined;
    const fileStem = `ivatar-otel-${s.environment}`;
    const queueBytes = Math.floor(c.queueDiskGiB * 2 ** 30);
    return {
        environment: s.environment,
        collector: {
            config: {
                samplingRatio: s.samplingRatio,
                ports: c.ports,
                queueBytes,
                samplingShards: Math.max(1, Math.ceil(c.cpus)),
                tls: { enabled: tlsEnabled, clientCa: tlsEnabled && s.tls.clientCa !== undefined, reloadInterval: s.tls.reloadInterval },
                jaegerEndpoint: jaegerOtlpEndpoint,
            },
            image: c.image,
            cpus: c.cpus,
            memoryMb: c.memoryMb,
            ports: c.ports,
            tlsHostDir: tlsEnabled ? tlsDir : undefined,
            network: privateNetwork,
        },
        jaeger: { image: s.jaeger.image, traceRetention: s.traceRetention, uiPort: s.jaeger.uiPort, metricsPort: s.jaeger.metricsPort, network: privateNetwork },
        tls: tlsPlan(s, {
            dir: tlsDir,
            caDir: `${c.hostDir}/ca`,
            owner: collectorUser,
            // The name apps use, the SSH address if it differs, and loopback for checks on the host.
            serverNames: [...new Set([host, collectorHostAddress, "localhost", "127.0.0.1"])],
            clientCa: s.tls.clientCa,
        }),
        prometheus: {
            rules: { environment: s.environment, cpus: c.cpus, memoryMb: c.memoryMb, runbookBaseUrl: s.prometheus.runbookBaseUrl },
            scrape,
            rulesPath: `${s.prometheus.rulesDir}/${fileStem}.rules.yml`,
            scrapePath: `${s.prometheus.scrapeConfigDir}/${fileStem}.scrape.yml`,
            ruleTestsFile: `${fileStem}.rules.test.yml`,
            reloadUrl: s.prometheus.reloadUrl,
        },
        grafana: grafana ? {
            dashboards: {
                environment: s.environment,
                collector: { cpus: c.cpus, memoryMb: c.memoryMb, goMemLimitMiB: goMemLimitMiB(c.memoryMb) },
                jobs: { collector: scrapeJobs.health, exporter: scrapeJobs.exporter, jaeger: scrapeJobs.jaeger },
            },
            folder: s.grafana.folder,
            providerPath: `${s.grafana.provisioningDir}/${fileStem}.yaml`,
            dashboardsDir: `${s.grafana.dashboardsDir}/${fileStem}`,
        } : undefined,
        firewall: {
            enabled: s.firewall.enabled,
            rulesetPath: `${c.hostDir}/firewall.nft`,
            classes: [
                { name: "ingest", purpose: "OTLP from the app networks", ports: [c.ports.otlpGrpc, c.ports.otlpHttp], networks: s.trustedNetworks.ingest },
                { name: "metrics", purpose: "metrics and health for Prometheus", ports: [c.ports.prometheusExporter, c.ports.internalMetrics, c.ports.health, s.jaeger.metricsPort], networks: s.trustedNetworks.metrics },
                { name: "admin", purpose: "Jaeger UI for operators", ports: [s.jaeger.uiPort], networks: s.trustedNetworks.admin },
            ],
        },
        hosts: {
            collector: {
                podman: true,
                dockerDialStdio: isSsh(s.collectorHost),
                tools: [
                    ...(s.firewall.enabled ? [{ command: "nft", neededFor: "the firewall table" }] : []),
                    ...(s.tls.mode === "generate" ? [{ command: "openssl", neededFor: "the collector's TLS certificate" }] : []),
                ],
                optionalTools: [],
                volumeRoom: { volume: collectorQueueVolume, bytes: queueBytes, setBy: "collector.queueDiskGiB" },
            },
            prometheus: {
                podman: false,
                dockerDialStdio: false,
                tools: [
                    ...(s.prometheus.reloadUrl ? [{ command: "curl", neededFor: "reloading Prometheus after its files change" }] : []),
                    ...(grafana && !grafanaOwnHost ? grafanaStepTools : []),
                ],
                optionalTools: [{ command: "promtool", neededFor: "rule files are then checked only by Prometheus's reload, not before they replace the old ones" }],
            },
            ...(grafanaOwnHost ? { grafana: { podman: false, dockerDialStdio: false, tools: grafanaStepTools, optionalTools: [] } } : {}),
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
            jaegerUiUrl: `http://${host}:${s.jaeger.uiPort}/`,
            prometheusTargets: scrapeTargets(scrape).map((t) => t.target),
            sizing: { cpus: c.cpus, memoryMb: c.memoryMb, goMemLimit: goMemLimit(c.memoryMb), samplingRatio: s.samplingRatio, traceRetention: s.traceRetention },
        },
    };
}

/** The plan of a stack file in this checkout, as `pulumi up --stack <name>` makes it (for bench and tests). */
export function planFor(stack: string): StackPlan {
    return planStack(validateStack(readStackValues(stackConfig(stack))));
}
