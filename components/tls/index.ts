// CollectorTls: puts the OTLP receivers' certificate and key on the collector host.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { GeneratedTls, printedPem, ProvidedTls, tlsPlacement } from "./placement";

/** Generated material needs nothing more; a provided certificate needs its (secret) private key. */
export type CollectorTlsArgs =
    | { host: PodmanHost; settings: GeneratedTls }
    | { host: PodmanHost; settings: ProvidedTls; privateKey: pulumi.Input<string> };

/**
 * The OTLP receivers' certificate and key in the collector host's TLS directory. generate: a CA
 * and a server certificate made on the host with openssl (keys never leave it) and renewed there
 * by a daily timer; provided: the configured chain and secret key. Removed on destroy.
 */
export class CollectorTls extends pulumi.ComponentResource {
    /** The certificate apps must trust: the generated CA, or the provided chain. */
    readonly trustedCertificate: pulumi.Output<string>;
    readonly step: pulumi.Resource;

    constructor(name: string, args: CollectorTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:CollectorTls", name, {}, opts);
        const placement = tlsPlacement(args.settings);
        const createScript = (step: typeof placement.step): string => {
            if (step.create === undefined)
                throw new pulumi.InputPropertyError({
                    propertyPath: "settings.mode",
                    reason: `CollectorTls ${name}: no create script for mode ${args.settings.mode}`,
                });
            return step.create;
        };
        // The provided key reaches only a secret script.
        const create =
            "privateKey" in args
                ? pulumi.secret(
                      pulumi
                          .output(args.privateKey)
                          .apply((key) => createScript(tlsPlacement(args.settings, key).step)),
                  )
                : createScript(placement.step);
        const command = args.host.step(
            `${name}-material`,
            { create, delete: placement.step.delete, check: placement.step.check },
            { parent: this, dependsOn: dependenciesOf(opts) },
        );
        this.step = command;
        // The step prints only the certificate on stdout.
        this.trustedCertificate = pulumi.unsecret(command.stdout).apply(printedPem);
        this.registerOutputs({ trustedCertificate: this.trustedCertificate, step: this.step });
    }
}
