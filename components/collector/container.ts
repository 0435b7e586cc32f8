// The collector container: pure, settings in, ContainerSpec out.
import { ContainerSpec, imageUser } from "../container";
import { CollectorConfigSettings, collectorPaths, renderCollectorConfig } from "./config";

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
}

export interface CollectorContainerSettings<Secret = string> extends CollectorSettings {
    /** The bearer token clients must send (a placeholder when rendering for review). */
    bearerToken: Secret;
}

export const collectorContainerName = "ivatar-otel-collector";
export const collectorQueueVolume = "ivatar-otel-collector-queue";
/** The collector's user (the official image's), who must read its TLS files. */
export const collectorUser = imageUser;

/** GOMEMLIMIT at 80 % of the container limit, so Go's GC works hard before the kernel kills. */
export function goMemLimitMiB(memoryMb: number): number {
    return Math.floor((memoryMb * 80) / 100);
}

export function goMemLimit(memoryMb: number): string {
    return `${goMemLimitMiB(memoryMb)}MiB`;
}

export function collectorContainer<Secret = string>(s: CollectorContainerSettings<Secret>): ContainerSpec<string | Secret> {
    const same = (port: number) => ({ internal: port, external: port });
    return {
        name: collectorContainerName,
        image: s.image,
        args: ["--config", collectorPaths.config],
        user: collectorUser,
        cpus: s.cpus,
        memoryMb: s.memoryMb,
        env: { GOMEMLIMIT: goMemLimit(s.memoryMb) },
        ports: [s.ports.otlpGrpc, s.ports.otlpHttp, s.ports.prometheusExporter, s.ports.health, s.ports.internalMetrics].map(same),
        mounts: [
            { volume: collectorQueueVolume, containerPath: collectorPaths.queueDir },
            ...(s.tlsHostDir ? [{ hostPath: s.tlsHostDir, containerPath: collectorPaths.tlsDir }] : []),
        ],
        files: [
            { path: collectorPaths.config, content: renderCollectorConfig(s.config) },
            { path: collectorPaths.bearerToken, content: s.bearerToken, secret: true },
        ],
        network: s.network,
        restart: "unless-stopped",
        labels: { "io.ivatar-otel.component": "collector" },
    };
}
