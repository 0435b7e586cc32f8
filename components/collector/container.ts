// The collector container: pure, settings in, ContainerSpec out.
import { ContainerFile, ContainerSpec, goMemLimit, imageUser, restartPolicy } from "../container";
import { renderYaml } from "../yaml";
import { CollectorConfigSettings, collectorPaths } from "./config";
import { configFor, tierCaPath, TierRole } from "./tier";

/** What OtelCollector places: the container's image, size, ports, config and network. */
export interface CollectorSettings {
    image: string;
    cpus: number;
    memoryMb: number;
    ports: { otlpGrpc: number; otlpHttp: number; prometheusExporter: number; health: number; internalMetrics: number };
    /** What config.yaml is rendered from. */
    config: CollectorConfigSettings;
    /** Host directory holding tls/ (server.crt, server.key, client-ca.crt), or none without TLS. */
    tlsHostDir?: string;
    network: string;
    /** With several collector hosts: front or sampler. Absent: the one collector of a single host. */
    tier?: TierRole;
    /** More names the container answers to on its network (a sampler: its host's name, for its own front). */
    aliases?: string[];
    /** Other hosts' names it sends to (a front: the other samplers' hosts; a sampler off the first host: Jaeger's). */
    reaches?: string[];
}

export interface CollectorContainerSettings<Secret = string> extends CollectorSettings {
    /** The bearer token clients must send (a placeholder when rendering for review). */
    bearerToken: Secret;
    /** The deploy canary's key, which tail sampling keeps (not needed by a front, which does not sample). */
    canaryKey: Secret;
    /** Every collector host's CA, for a collector of the tier (from the hosts' TLS steps). */
    tierCa?: Secret;
}

export const collectorContainerName = "ivatar-otel-collector";
export const collectorQueueVolume = "ivatar-otel-collector-queue";
export const samplerContainerName = "ivatar-otel-sampler";
export const samplerQueueVolume = "ivatar-otel-sampler-queue";
/** The collector's user (the official image's), who must read its TLS files. */
export const collectorUser = imageUser;

/** The rendered config.yaml of a collector in its role. */
export function renderCollectorConfigFor(s: Pick<CollectorSettings, "config" | "tier">): string {
    return renderYaml(
        "Rendered by ivatar-otel (components/collector/config.ts); do not edit on the host.",
        configFor(s.config, s.tier),
    );
}

/** A sampler publishes only the fronts' port, its health and its own metrics. */
function publishedPorts(s: CollectorSettings): number[] {
    const p = s.ports;
    if (s.tier?.role === "sampler") return [s.tier.tier.samplerPort, p.health, p.internalMetrics];
    return [p.otlpGrpc, p.otlpHttp, p.prometheusExporter, p.health, p.internalMetrics];
}

export function collectorContainer<Secret = string>(
    s: CollectorContainerSettings<Secret>,
): ContainerSpec<string | Secret> {
    const same = (port: number) => ({ internal: port, external: port });
    const sampler = s.tier?.role === "sampler";
    if (s.tier && s.tierCa === undefined)
        throw new Error("a collector of the tier needs the collector hosts' CA bundle (tierCa)");
    const tierCa: ContainerFile<string | Secret>[] =
        s.tierCa === undefined ? [] : [{ path: tierCaPath, content: s.tierCa }];
    return {
        name: sampler ? samplerContainerName : collectorContainerName,
        image: s.image,
        args: ["--config", collectorPaths.config],
        user: collectorUser,
        cpus: s.cpus,
        memoryMb: s.memoryMb,
        env: { GOMEMLIMIT: goMemLimit(s.memoryMb) },
        ports: publishedPorts(s).map(same),
        mounts: [
            { volume: sampler ? samplerQueueVolume : collectorQueueVolume, containerPath: collectorPaths.queueDir },
            ...(s.tlsHostDir ? [{ hostPath: s.tlsHostDir, containerPath: collectorPaths.tlsDir }] : []),
        ],
        files: [
            { path: collectorPaths.config, content: renderCollectorConfigFor(s) },
            { path: collectorPaths.bearerToken, content: s.bearerToken, secret: true },
            ...(s.tier?.role === "front"
                ? []
                : [{ path: collectorPaths.canaryKey, content: s.canaryKey, secret: true }]),
            ...tierCa,
        ],
        network: s.network,
        ...(s.aliases?.length ? { aliases: s.aliases } : {}),
        ...(s.reaches?.length ? { reaches: s.reaches } : {}),
        restart: restartPolicy,
        labels: { "io.ivatar-otel.component": sampler ? "sampler" : "collector" },
    };
}
