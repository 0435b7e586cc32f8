// Firewall: the project's nftables table on the collector host, loaded now and at every boot.
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { PodmanHost } from "../host/podmanHost";
import { firewallPlacement, FirewallSettings } from "./placement";

export interface FirewallArgs {
    /** The collector host; needs nft, and systemd to keep the table after a reboot or a flush. */
    host: PodmanHost;
    /** The port classes with their trusted networks, and where the ruleset file goes. */
    settings: FirewallSettings;
}

/**
 * The project's own nftables table on the collector host: each published port admitted only from
 * its trusted networks (before Podman's DNAT and at input), with systemd units that load it at
 * boot and load it again every minute (undoing any flush or edit). Removed with its units on destroy.
 */
export class Firewall extends pulumi.ComponentResource {
    /** Where the ruleset file is placed on the collector host. */
    readonly rulesetPath: string;

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:Firewall", name, {}, opts);
        const placement = firewallPlacement(args.settings);
        this.rulesetPath = args.settings.rulesetPath;
        args.host.step(`${name}-table`, placement.step, { parent: this, dependsOn: dependenciesOf(opts) });
        this.registerOutputs({ rulesetPath: this.rulesetPath });
    }
}
