// Jaeger: places the rendered Jaeger v2 container on a Podman host.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf, placeContainer } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { jaegerContainer, JaegerSettings } from "./jaeger";
import { placeRetentionScript, removeRetentionScript } from "./retention";

export interface JaegerArgs {
    /** The collector host; its Podman runs the container. */
    host: PodmanHost;
    /** Image, trace retention, UI port and network. */
    settings: JaegerSettings;
    /** The private network the collector exports to Jaeger on. */
    network: docker.Network;
    /** With several collector hosts: every host's CA, which the samplers' client certificates chain to. */
    clientCa?: pulumi.Input<string>;
    /** The search cluster's password (settings.storage.username); kept secret. */
    storagePassword?: pulumi.Input<string>;
}

/**
 * Jaeger v2 on the collector host: its pinned image, the badger volume (kept on destroy) and the
 * container, with only the UI/API published. It waits for what `dependsOn` names (the firewall,
 * before any port is published).
 */
export class Jaeger extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: JaegerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:Jaeger", name, {}, opts);
        const password = args.storagePassword === undefined ? undefined : pulumi.secret(args.storagePassword);
        this.container = placeContainer(
            name,
            jaegerContainer<pulumi.Input<string>>({
                ...args.settings,
                clientCa: args.clientCa,
                storagePassword: password,
            }),
            {
                host: args.host,
                network: args.network,
                volumeResource: `${name}-data`,
                parent: this,
                dependsOn: dependenciesOf(opts),
            },
        );
        const retention = args.settings.retention;
        if (retention) {
            // The script carries the password: it travels as a secret, on stdin.
            const create =
                password === undefined
                    ? placeRetentionScript(retention, undefined)
                    : pulumi.secret(pulumi.output(password).apply((p) => placeRetentionScript(retention, p)));
            args.host.step(
                `${name}-retention`,
                { create, delete: removeRetentionScript(retention) },
                { parent: this, dependsOn: dependenciesOf(opts) },
            );
        }
        this.registerOutputs({ container: this.container });
    }
}
