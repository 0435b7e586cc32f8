// CollectorTls: puts the OTLP receivers' certificate and key on the collector host.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { ProvidedTls, tlsPlacement, TlsSettings } from "./placement";

export interface CollectorTlsArgs {
    host: PodmanHost;
    settings: TlsSettings;
    /** For mode provided: the certificate chain and the (secret) private key. */
    provided?: { certificate: string; privateKey: pulumi.Output<string> };
}

export class CollectorTls extends pulumi.ComponentResource {
    /** The certificate apps must trust: the generated CA, or the provided chain. */
    readonly trustedCertificate: pulumi.Output<string>;
    readonly step: pulumi.Resource;

    constructor(name: string, args: CollectorTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:CollectorTls", name, {}, opts);
        const s = args.settings;
        const createScript = (provided?: ProvidedTls): string => {
            const script = tlsPlacement(s, provided).step.create;
            if (script === undefined) throw new Error(`CollectorTls: mode ${s.mode} needs ${s.mode === "provided" ? "the certificate and key" : "no TLS material"}`);
            return script;
        };
        const provided = args.provided;
        const create = s.mode === "provided" && provided
            ? pulumi.secret(provided.privateKey.apply((privateKey) => createScript({ certificate: provided.certificate, privateKey })))
            : createScript();
        const command = args.host.step(`${name}-material`, { create, delete: tlsPlacement(s).step.delete }, { parent: this, dependsOn: dependenciesOf(opts) });
        this.step = command;
        // The step prints only the certificate on stdout.
        this.trustedCertificate = pulumi.unsecret(command.stdout);
        this.registerOutputs({ trustedCertificate: this.trustedCertificate });
    }
}
