// What Firewall places on the collector host, in one pure function: the component runs its
// step, and `npm run render` writes the same files and scripts for review.
import { StepScripts } from "../host/scripts";
import { PortClass, renderRuleset } from "./ruleset";
import {
    applyFirewallScript,
    firewallCheck,
    firewallCheckScript,
    firewallUnit,
    removeFirewallScript,
    renderFirewallCheckService,
    renderFirewallCheckTimer,
    renderFirewallUnit,
} from "./steps";

export interface FirewallSettings {
    /** Ports grouped by who may reach them. */
    classes: PortClass[];
    /** Where the ruleset file goes on the host (loaded at boot by the project's unit). */
    rulesetPath: string;
}

export interface FirewallPlacement {
    /** The ruleset and the systemd units that load it and put it back after a flush, by file name. */
    files: Record<string, string>;
    /** Checks the ruleset with nft, places the files, loads the table, enables the units. */
    step: StepScripts;
}

export function firewallPlacement(s: FirewallSettings): FirewallPlacement {
    const ruleset = renderRuleset({ classes: s.classes });
    return {
        files: {
            "ruleset.nft": ruleset,
            [firewallUnit]: renderFirewallUnit(s.rulesetPath),
            [`${firewallCheck}.service`]: renderFirewallCheckService(s.rulesetPath),
            [`${firewallCheck}.timer`]: renderFirewallCheckTimer(),
        },
        step: {
            create: applyFirewallScript(ruleset, s.rulesetPath),
            delete: removeFirewallScript(s.rulesetPath),
            check: firewallCheckScript(ruleset, s.rulesetPath),
        },
    };
}
