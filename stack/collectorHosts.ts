// The collector hosts of a stack, pure: one host with one collector, or two and more hosts with a
// front and a sampling collector each (the tier). Per host: what runs there, its certificate, its
// firewall classes and what its preflight checks. Jaeger runs on the first host.
import { CollectorConfigSettings } from "../components/collector/config";
import {
    collectorQueueVolume,
    CollectorSettings,
    collectorUser,
    samplerQueueVolume,
} from "../components/collector/container";
import { TierSettings } from "../components/collector/tier";
import { FirewallSettings } from "../components/firewall/placement";
import { portClasses, PublishedPorts } from "../components/firewall/classes";
import { HostRequirements } from "../components/host/preflight";
import { hostAddress, HostSettings, isSsh } from "../components/host/settings";
import { jaegerDataVolume, jaegerOtlpEndpoint } from "../components/jaeger/jaeger";
import { TlsSettings } from "../components/tls/placement";
import { TlsStepSettings } from "../components/tls/steps";
import { StackSettings } from "../config/schema";

/** The private Podman network the collectors and Jaeger share on each host. */
export const privateNetwork = "ivatar-otel";

export interface CollectorHostPlan {
    /** Ends the names of this host's resources: "" on the first host (as with one host), then "-2", "-3". */
    suffix: string;
    host: HostSettings;
    /** What the host must offer; its preflight checks it before anything is placed there. */
    requirements: HostRequirements;
    /** The one collector, or with several hosts the front (OTLP from the apps). */
    collector: CollectorSettings;
    /** With several hosts: the sampling collector the fronts route traces to. */
    sampler?: CollectorSettings;
    tls: TlsSettings;
    firewall: FirewallSettings & { enabled: boolean };
    /**
     * With several hosts: the front's and the sampler's health, which must answer before the next
     * host's collectors change (a change rolls through the tier one host at a time).
     */
    healthGate?: { urls: string[]; seconds: number };
}

/** The hosts the collectors run on, as the stack's settings give them (the schema checked there is one). */
export function collectorHostList(s: StackSettings): HostSettings[] {
    if (s.collectorHosts) return s.collectorHosts;
    if (s.collectorHost) return [s.collectorHost];
    throw new Error("collectorHost: expected a host, or two or more in collectorHosts");
}

/** The stack's shape: several collector hosts make a tier (a front and a sampler on each). */
export function shapeOf(s: StackSettings): "single" | "tier" {
    return s.collectorHosts ? "tier" : "single";
}

/** The tier's hash ring and port; undefined with one host. */
export function tierOf(s: StackSettings): TierSettings | undefined {
    if (!s.collectorHosts) return undefined;
    const port = s.collector.samplerPorts.otlpGrpc;
    return { samplers: s.collectorHosts.map((h) => `${h.address}:${port}`), samplerPort: port };
}

/** A collector's limits: the host's sizing, halved between front and sampler in a tier (as is the queue disk). */
export function containerSize(s: StackSettings): { cpus: number; memoryMb: number } {
    const c = s.collector;
    return shapeOf(s) === "tier"
        ? { cpus: c.cpus / 2, memoryMb: Math.floor(c.memoryMb / 2) }
        : { cpus: c.cpus, memoryMb: c.memoryMb };
}

function tlsPlan(s: StackSettings, step: TlsStepSettings): TlsSettings {
    switch (s.tls.mode) {
        case "disabled":
            return { mode: "disabled" };
        case "generate":
            return { mode: "generate", step };
        case "provided":
            // The schema's cross-checks have made sure of it; this states it for the type.
            if (s.tls.certificate === undefined)
                throw new Error("tls.certificate: expected a PEM certificate when tls.mode is provided");
            return { mode: "provided", step, certificate: s.tls.certificate };
    }
}

/** The ports this host publishes, by who needs them: Jaeger's on the first host, the sampler's in a tier. */
function publishedPorts(s: StackSettings, first: boolean, tier: boolean): PublishedPorts {
    const c = s.collector;
    const sp = c.samplerPorts;
    const j = s.jaeger;
    return {
        ingest: [c.ports.otlpGrpc, c.ports.otlpHttp],
        metrics: [
            c.ports.prometheusExporter,
            c.ports.internalMetrics,
            ...(first ? [j.metricsPort] : []),
            ...(tier ? [sp.internalMetrics] : []),
        ],
        health: [c.ports.health, ...(tier ? [sp.health] : [])],
        admin: first ? [j.uiPort] : [],
        tier: tier ? [sp.otlpGrpc, ...(first ? [j.tierOtlpPort] : [])] : [],
    };
}

/** The queue's file takes this much more than the queue counts (npm run bench -- outage: 7 %). */
const queueFileOverhead = 1.1;

/**
 * What this host's volumes may take on disk: its queues with their file's overhead, and on the
 * first host badger's store too (a search cluster keeps the traces elsewhere).
 */
function volumeRoom(
    s: StackSettings,
    queueBytes: number,
    queueVolumes: string[],
    first: boolean,
): NonNullable<HostRequirements["volumeRoom"]> {
    const queues = { volumes: queueVolumes, bytes: queueBytes * queueVolumes.length * queueFileOverhead };
    if (!first || s.jaeger.storage.backend !== "badger") return { ...queues, setBy: ["collector.queueDiskGiB"] };
    return {
        volumes: [...queueVolumes, jaegerDataVolume],
        bytes: queues.bytes + s.jaeger.storeDiskGiB * 2 ** 30,
        setBy: ["collector.queueDiskGiB", "jaeger.storeDiskGiB"],
    };
}

export function planCollectorHosts(
    s: StackSettings,
    config: CollectorConfigSettings,
    tlsDir: string,
): CollectorHostPlan[] {
    const c = s.collector;
    const hosts = collectorHostList(s);
    const tier = tierOf(s);
    const size = containerSize(s);
    const queueVolumes = tier ? [collectorQueueVolume, samplerQueueVolume] : [collectorQueueVolume];
    const common = {
        image: c.image,
        ...size,
        tlsHostDir: s.tls.mode !== "disabled" ? tlsDir : undefined,
        network: privateNetwork,
    };

    return hosts.map((host, index): CollectorHostPlan => {
        const address = hostAddress(host);
        const first = index === 0;
        const others = hosts.map(hostAddress).filter((a) => a !== address);
        const collector: CollectorSettings = {
            ...common,
            ports: c.ports,
            config,
            ...(tier ? { tier: { role: "front" as const, tier }, reaches: others } : {}),
        };
        const samplerPorts = {
            ...c.ports,
            health: c.samplerPorts.health,
            internalMetrics: c.samplerPorts.internalMetrics,
        };
        const sampler: CollectorSettings | undefined = tier && {
            ...common,
            ports: samplerPorts,
            config: {
                ...config,
                ports: samplerPorts,
                // The first host's sampler reaches Jaeger on the private network; the others across the network.
                jaegerEndpoint: first ? jaegerOtlpEndpoint : `${hostAddress(hosts[0])}:${s.jaeger.tierOtlpPort}`,
            },
            tier: { role: "sampler", tier, jaegerOverTls: !first },
            // Its own host's front reaches it by the host's name without leaving the host.
            aliases: [address],
            ...(first ? {} : { reaches: [hostAddress(hosts[0])] }),
        };
        const step: TlsStepSettings = {
            dir: tlsDir,
            caDir: `${c.hostDir}/ca`,
            owner: collectorUser,
            // The name apps use, the SSH address if it differs, and loopback for checks on the host.
            serverNames: [...new Set([c.endpointHost, address, "localhost", "127.0.0.1"])],
            clientCa: s.tls.clientCa,
            ...(tier ? { clientAuth: true } : {}),
            ...(s.tls.expiryMetricsDir
                ? { expiryMetrics: { dir: s.tls.expiryMetricsDir, environment: s.environment } }
                : {}),
        };
        return {
            suffix: first ? "" : `-${index + 1}`,
            host,
            requirements: {
                podman: true,
                dockerDialStdio: isSsh(host),
                tools: [
                    ...(s.firewall.enabled ? [{ command: "nft", neededFor: "the firewall table" }] : []),
                    ...(s.tls.mode === "generate"
                        ? [{ command: "openssl", neededFor: "the collector's TLS certificate" }]
                        : []),
                    ...(tier
                        ? [
                              {
                                  command: "curl",
                                  neededFor:
                                      "waiting for this host's collectors to be healthy before the next host's change",
                              },
                          ]
                        : []),
                ],
                optionalTools: [],
                volumeRoom: volumeRoom(s, config.queueBytes, queueVolumes, first),
                ...(tier ? { resolves: others } : {}),
            },
            collector,
            ...(sampler ? { sampler } : {}),
            tls: tlsPlan(s, step),
            firewall: {
                enabled: s.firewall.enabled,
                rulesetPath: `${c.hostDir}/firewall.nft`,
                classes: portClasses(publishedPorts(s, first, tier !== undefined), s.trustedNetworks),
            },
            ...(tier
                ? {
                      healthGate: {
                          urls: [c.ports.health, c.samplerPorts.health].map((p) => `http://localhost:${p}/`),
                          seconds: 180,
                      },
                  }
                : {}),
        };
    });
}
