// The Go modules behind every collector component type the rendered config uses.
// The toolchain builds a test collector from exactly this list (see scripts/collector-manifest.ts),
// and a unit test checks that the rendered config names no type missing here.
import { renderYaml } from "../yaml";
import versions from "../../versions.json";

export type ComponentKind = "receivers" | "processors" | "exporters" | "extensions";

const core = "go.opentelemetry.io/collector";
const contrib = "github.com/open-telemetry/opentelemetry-collector-contrib";
const release = `v${versions.collector.release}`;
const stable = `v${versions.collector.stableModules}`;

/** Component type (the part of a config key before any "/name") -> Go module path. */
export const collectorModules: Record<ComponentKind, Record<string, string>> = {
    receivers: {
        otlp: `${core}/receiver/otlpreceiver ${release}`,
    },
    processors: {
        memory_limiter: `${core}/processor/memorylimiterprocessor ${release}`,
        batch: `${core}/processor/batchprocessor ${release}`,
        redaction: `${contrib}/processor/redactionprocessor ${release}`,
        transform: `${contrib}/processor/transformprocessor ${release}`,
        tail_sampling: `${contrib}/processor/tailsamplingprocessor ${release}`,
    },
    exporters: {
        otlp_grpc: `${core}/exporter/otlpexporter ${release}`,
        prometheus: `${contrib}/exporter/prometheusexporter ${release}`,
        load_balancing: `${contrib}/exporter/loadbalancingexporter ${release}`,
    },
    extensions: {
        health_check: `${contrib}/extension/healthcheckextension ${release}`,
        bearertokenauth: `${contrib}/extension/bearertokenauthextension ${release}`,
        file_storage: `${contrib}/extension/storage/filestorage ${release}`,
    },
};

/**
 * Versions the Go module proxy reachable here does not serve, replaced by the nearest one it does
 * (the load-balancing exporter's AWS Cloud Map resolver, which the program does not use).
 */
const moduleReplacements = [
    "github.com/aws/aws-sdk-go-v2/service/servicediscovery => github.com/aws/aws-sdk-go-v2/service/servicediscovery v1.49.0",
];

/** The collector builder (ocb) manifest for a distribution holding exactly these components. */
export function builderManifest(outputPath: string): string {
    const list = (kind: ComponentKind) => Object.values(collectorModules[kind]).map((gomod) => ({ gomod }));
    return renderYaml("Collector builder manifest, rendered by ivatar-otel (components/collector/distribution.ts).", {
        dist: {
            name: "otelcol-contrib",
            description: "ivatar-otel test build of the collector components the program configures",
            version: versions.collector.release,
            output_path: outputPath,
        },
        receivers: list("receivers"),
        processors: list("processors"),
        exporters: list("exporters"),
        extensions: list("extensions"),
        providers: [
            { gomod: `${core}/confmap/provider/envprovider ${stable}` },
            { gomod: `${core}/confmap/provider/fileprovider ${stable}` },
        ],
        replaces: moduleReplacements,
    });
}
