// Jaeger: places the rendered Jaeger v2 container on a Podman host.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerContainerArgs, ownedVolume } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { jaegerContainer, jaegerDataVolume, JaegerSettings } from "./jaeger";

export interface JaegerArgs {
    host: PodmanHost;
    settings: JaegerSettings;
    network: docker.Network;
    /** Steps that must finish first (the firewall, before any port is published). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class Jaeger extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: JaegerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:Jaeger", name, {}, opts);
        const provider = args.host.provider;
        const spec = jaegerContainer(args.settings);
        const image = new docker.RemoteImage(`${name}-image`, { name: spec.image, keepLocally: true }, { parent: this, provider });
        const data = ownedVolume(`${name}-data`, jaegerDataVolume, spec.user, { parent: this, provider });
        this.container = new docker.Container(`${name}-container`,
            dockerContainerArgs(spec, args.network.name, image.imageId, { [jaegerDataVolume]: data.name }),
            { parent: this, provider, dependsOn: args.dependsOn, deleteBeforeReplace: true });
        this.registerOutputs({ containerId: this.container.id });
    }
}
