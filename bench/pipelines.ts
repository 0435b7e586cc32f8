// The pipelines the benchmark compares. Pure: the rendered production config, moved to a scratch
// directory and loopback ports, with one guarantee taken out at a time, beside the contrib
// default (OTLP -> memory_limiter -> batch -> OTLP, in-memory queue, no TLS, no token).
import { collectorConfig, CollectorConfigSettings, collectorPaths } from "../components/collector/config";
import { frontConfig, samplerConfig, TierSettings } from "../components/collector/tier";

type Config = Record<string, unknown>;

export interface BenchPlaces {
    /** Scratch directory holding tls/, the token file and queue/. */
    dir: string;
    /** Loopback ports the benchmarked collector listens on. */
    ports: CollectorConfigSettings["ports"];
    /** host:port of the sink that stands in for Jaeger. */
    sink: string;
}

export interface BenchPipeline {
    name: string;
    /** What is left out compared with the production pipeline ("" for the full one). */
    without: string;
    config: Config;
    /** Whether clients must use TLS and the token. */
    tls: boolean;
    token: boolean;
}

/** Every container path and published port of the rendered config, moved to the scratch places. */
export function relocate(config: Config, rendered: CollectorConfigSettings, places: BenchPlaces): Config {
    const paths: [string, string][] = [
        [collectorPaths.tlsDir, `${places.dir}/tls`],
        [collectorPaths.bearerToken, `${places.dir}/token`],
        [collectorPaths.canaryKey, `${places.dir}/canary-key`],
        [collectorPaths.queueDir, `${places.dir}/queue`],
    ];
    const ports = new Map(
        Object.entries(rendered.ports).map(([k, p]) => [p, places.ports[k as keyof BenchPlaces["ports"]]]),
    );
    const walk = (value: unknown, key: string): unknown => {
        if (typeof value === "string") {
            const path = paths.find(([from]) => value.startsWith(from));
            if (path) return path[1] + value.slice(path[0].length);
            // A file the config reads a value from (the canary's key).
            const read = value.match(/^\$\{file:(.*)\}$/);
            if (read) return `\${file:${String(walk(read[1], ""))}}`;
            const endpoint = value.match(/^0\.0\.0\.0:(\d+)$/);
            if (endpoint) return `127.0.0.1:${ports.get(Number(endpoint[1]))}`;
            if (value === rendered.jaegerEndpoint) return places.sink;
            if (key === "host" && value === "0.0.0.0") return "127.0.0.1";
            return value;
        }
        if (typeof value === "number" && key === "port") return ports.get(value) ?? value;
        if (Array.isArray(value)) return value.map((v) => walk(v, ""));
        if (typeof value === "object" && value !== null)
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
        return value;
    };
    return walk(config, "") as Config;
}

function without(config: Config, processor: string): Config {
    const copy = structuredClone(config);
    delete (copy.processors as Config)[processor];
    for (const pipeline of Object.values(
        (copy.service as Config).pipelines as Record<string, { processors: string[] }>,
    )) {
        pipeline.processors = pipeline.processors.filter((p) => p !== processor);
    }
    return copy;
}

/** The config with its exporter's queue (`exporter`'s) in memory: the file storage extension gone. */
function inMemoryQueue(config: Config, exporterName = "otlp_grpc/jaeger"): Config {
    const copy = structuredClone(config);
    const exporter = (copy.exporters as Record<string, Config>)[exporterName];
    delete (exporter.sending_queue as Config).storage;
    delete (copy.extensions as Config)["file_storage/queue"];
    const service = copy.service as { extensions: string[] };
    service.extensions = service.extensions.filter((e) => e !== "file_storage/queue");
    return copy;
}

function plaintext(config: Config): Config {
    const copy = structuredClone(config);
    for (const protocol of Object.values(
        ((copy.receivers as Config).otlp as Config).protocols as Record<string, Config>,
    ))
        delete protocol.tls;
    return copy;
}

/** The collector's own metrics at the normal level: no per-call counts of refused requests. */
function normalSelfTelemetry(config: Config): Config {
    const copy = structuredClone(config);
    const metrics = ((copy.service as Config).telemetry as Config).metrics as Config;
    metrics.level = "normal";
    delete metrics.views;
    return copy;
}

/**
 * The config as it behaves in a container of `memoryMb`: memory_limiter's percentages become the
 * same limits in MiB (outside a container they would apply to the whole machine's memory).
 */
export function atContainerSize(config: Config, memoryMb: number): Config {
    const copy = structuredClone(config);
    const processors = copy.processors as Record<string, Config>;
    const limiter = processors.memory_limiter;
    const share = (key: string) => Math.floor((memoryMb * Number(limiter[key])) / 100);
    processors.memory_limiter = {
        check_interval: limiter.check_interval,
        limit_mib: share("limit_percentage"),
        spike_limit_mib: share("spike_limit_percentage"),
    };
    return copy;
}

/** The contrib default: same receiver port, limiter settings, sink and self-metrics as production. */
export function contribDefault(production: Config): Config {
    const grpc = (((production.receivers as Config).otlp as Config).protocols as Record<string, Config>).grpc;
    const processors = production.processors as Config;
    const exporter = (production.exporters as Record<string, Config>)["otlp_grpc/jaeger"];
    return {
        receivers: { otlp: { protocols: { grpc: { endpoint: grpc.endpoint } } } },
        processors: { memory_limiter: processors.memory_limiter, batch: {} },
        exporters: { otlp_grpc: { endpoint: exporter.endpoint, tls: { insecure: true } } },
        service: {
            telemetry: (production.service as Config).telemetry,
            pipelines: {
                traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp_grpc"] },
            },
        },
    };
}

/** Whether the config's OTLP receiver (its first: a sampler has only the tier's) asks clients for TLS and for the token. */
function clientNeeds(config: Config): { tls: boolean; token: boolean } {
    const receiver = Object.values(config.receivers as Record<string, Config>)[0];
    const grpc = (receiver.protocols as Record<string, Config>).grpc;
    return { tls: grpc.tls !== undefined, token: grpc.auth !== undefined };
}

const pipeline = (name: string, leftOut: string, config: Config): BenchPipeline => ({
    name,
    without: leftOut,
    config,
    ...clientNeeds(config),
});

/**
 * The contrib default, each stack's pipeline as rendered, and production's with each guarantee
 * removed in turn. `rendered` maps stack names to their collector settings; production is required.
 */
export function benchPipelines(
    rendered: Record<string, CollectorConfigSettings>,
    places: BenchPlaces,
): BenchPipeline[] {
    const stacks = Object.entries(rendered).map(([name, settings]) =>
        pipeline(name, "", relocate(collectorConfig(settings), settings, places)),
    );
    const production = stacks.find((p) => p.name === "production")?.config;
    if (!production) throw new Error("benchPipelines needs the production stack");
    const settings = rendered.production;
    // The tier's two collectors on production's settings: the sink stands in for the samplers
    // and for Jaeger; the sampler listens where the load is sent. The sink speaks no TLS, and
    // gRPC sends no token without it: the front's link to it goes without both.
    const tier: TierSettings = { samplers: [places.sink], samplerPort: settings.ports.otlpGrpc };
    const front = relocate(frontConfig(settings, tier), settings, places);
    const balancer = (front.exporters as Record<string, { protocol: { otlp: Config } }>).load_balancing;
    balancer.protocol.otlp.tls = { insecure: true };
    delete balancer.protocol.otlp.auth;
    return [
        pipeline("contrib default", "every guarantee", contribDefault(production)),
        ...stacks,
        pipeline("tier front", "sampling and masking (done by the samplers); TLS and the token towards them", front),
        pipeline(
            "tier sampler",
            "the app metrics (kept by the fronts)",
            relocate(samplerConfig(settings, tier), settings, places),
        ),
        pipeline(
            "tier front - persistent queue",
            "the front's queue on disk (held in memory: lost if the front restarts while a sampler is away)",
            inMemoryQueue(front, "load_balancing"),
        ),
        pipeline("tier front - TLS", "TLS on the front's receivers", plaintext(front)),
        pipeline("production - masking", "masking", without(without(production, "redaction/pii"), "transform/pii")),
        pipeline("production - tail sampling", "sampling (every span exported)", without(production, "tail_sampling")),
        pipeline("production - persistent queue", "the queue on disk", inMemoryQueue(production)),
        pipeline("production - TLS", "TLS on the receivers", plaintext(production)),
        pipeline(
            "production - refused-request counts",
            "the receivers' per-call counts (self-metrics at the normal level)",
            normalSelfTelemetry(production),
        ),
    ];
}
