// Firewall: the project's nftables table on the collector host, loaded now and at every boot.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { firewallPlacement, FirewallSettings } from "./placement";

export interface FirewallArgs {
    host: PodmanHost;
    settings: FirewallSettings;
}

export class Firewall extends pulumi.ComponentResource {
    readonly ruleset: string;

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:Firewall", name, {}, opts);
        const placement = firewallPlacement(args.settings);
        this.ruleset = placement.ruleset;
        args.host.step(`${name}-table`, placement.step, { parent: this, dependsOn: dependenciesOf(opts) });
        this.registerOutputs({ rulesetPath: args.settings.rulesetPath });
    }
}
