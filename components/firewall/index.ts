// Firewall: the project's nftables table on the collector host, loaded now and at every boot.
import * as pulumi from "@pulumi/pulumi";
import { PodmanHost } from "../host/podmanHost";
import { PortClass, renderRuleset } from "./ruleset";
import { applyFirewallScript, removeFirewallScript } from "./steps";

export interface FirewallArgs {
    host: PodmanHost;
    classes: PortClass[];
    rulesetPath: string;
}

export class Firewall extends pulumi.ComponentResource {
    readonly ruleset: string;

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:Firewall", name, {}, opts);
        this.ruleset = renderRuleset({ classes: args.classes });
        args.host.step(`${name}-table`, {
            create: applyFirewallScript(this.ruleset, args.rulesetPath),
            delete: removeFirewallScript(args.rulesetPath),
        }, { parent: this });
        this.registerOutputs({ rulesetPath: args.rulesetPath });
    }
}
