// CollectorTls: puts the OTLP receivers' certificate and key on the collector host.
import * as pulumi from "@pulumi/pulumi";
import { StackPlan } from "../../config/plan";
import { PodmanHost } from "../host/podmanHost";
import { generateTlsScript, providedTlsScript, removeTlsScript } from "./steps";

export interface CollectorTlsArgs {
    host: PodmanHost;
    settings: StackPlan["tls"];
    /** For mode provided: the certificate chain and the (secret) private key. */
    provided?: { certificate: string; privateKey: pulumi.Output<string> };
}

export class CollectorTls extends pulumi.ComponentResource {
    /** The certificate apps must trust: the generated CA, or the provided chain. */
    readonly trustedCertificate: pulumi.Output<string>;
    readonly step: pulumi.Resource;

    constructor(name: string, args: CollectorTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:CollectorTls", name, {}, opts);
        const { mode, step } = args.settings;
        let create: pulumi.Input<string>;
        if (mode === "provided") {
            if (!args.provided) throw new Error("CollectorTls: mode provided needs the certificate and key");
            const certificate = args.provided.certificate;
            create = pulumi.secret(args.provided.privateKey.apply((key) => providedTlsScript(step, certificate, key)));
        } else {
            create = generateTlsScript(step);
        }
        const command = args.host.step(`${name}-material`, { create, delete: removeTlsScript(step) }, { parent: this });
        this.step = command;
        // The step prints only the certificate on stdout.
        this.trustedCertificate = pulumi.unsecret(command.stdout);
        this.registerOutputs({ trustedCertificate: this.trustedCertificate });
    }
}
