// OtelCollector: places a rendered collector container (the one collector, a front or a sampler) on a Podman host.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf, fileIn, placeContainer } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { collectorPaths } from "./config";
import { collectorContainer, CollectorSettings } from "./container";

export interface OtelCollectorArgs {
    /** The collector host; its Podman runs the container. */
    host: PodmanHost;
    /** Image, size, ports, the rendered config's settings, and the TLS directory on the host. */
    settings: CollectorSettings;
    /** The private network on which the collector reaches Jaeger by name. */
    network: docker.Network;
    /** The token OTLP clients must send; kept secret. */
    bearerToken: pulumi.Input<string>;
    /** The deploy canary's key (letters only); kept secret. */
    canaryKey: pulumi.Input<string>;
    /** For a collector of the tier: every collector host's CA (from their TLS steps). */
    tierCa?: pulumi.Input<string>;
}

/**
 * The OpenTelemetry Collector on the collector host: its pinned image, the queue volume (kept on
 * destroy) and the container, publishing OTLP, metrics and health. It waits for what `dependsOn`
 * names (the TLS material, the firewall, Jaeger). Needs Podman on the host (the preflight checks).
 */
export class OtelCollector extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The config.yaml the container carries (not secret, unlike the container's files as a whole). */
    readonly config: pulumi.Input<string>;

    constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:OtelCollector", name, {}, opts);
        const spec = collectorContainer<pulumi.Input<string>>({
            ...args.settings,
            bearerToken: pulumi.secret(args.bearerToken),
            canaryKey: pulumi.secret(args.canaryKey),
            tierCa: args.tierCa,
        });
        this.config = fileIn(spec, collectorPaths.config);
        this.container = placeContainer(name, spec, {
            host: args.host,
            network: args.network,
            volumeResource: `${name}-queue`,
            parent: this,
            dependsOn: dependenciesOf(opts),
        });
        this.registerOutputs({ container: this.container, config: this.config });
    }
}
