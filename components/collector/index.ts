// OtelCollector: places the rendered collector container on a Podman host.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerContainerArgs, ownedVolume } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { collectorContainer, collectorQueueVolume, CollectorSettings, collectorUser } from "./container";

export interface OtelCollectorArgs {
    host: PodmanHost;
    settings: CollectorSettings;
    network: docker.Network;
    /** The token OTLP clients must send; stays secret. */
    bearerToken: pulumi.Output<string>;
    /** Steps that must finish first (TLS material on the host). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class OtelCollector extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:OtelCollector", name, {}, opts);
        const provider = args.host.provider;
        const s = args.settings;
        const spec = collectorContainer({ ...s, bearerToken: pulumi.secret(args.bearerToken) });

        const image = new docker.RemoteImage(`${name}-image`, { name: s.image, keepLocally: true }, { parent: this, provider });
        const queue = ownedVolume(`${name}-queue`, collectorQueueVolume, collectorUser, { parent: this, provider });
        this.container = new docker.Container(`${name}-container`,
            dockerContainerArgs(spec, args.network.name, image.imageId, { [collectorQueueVolume]: queue.name }),
            { parent: this, provider, dependsOn: args.dependsOn, deleteBeforeReplace: true });

        this.registerOutputs({ containerId: this.container.id });
    }
}
