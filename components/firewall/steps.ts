// Applying and removing the firewall table on a host. Pure: scripts out.
import { requireSafePaths } from "../../grammar/text";
import {
    filesCheck,
    hasSystemd,
    HostFile,
    preamble,
    parentDir,
    removeFiles,
    removeOwnDirs,
    shQuote,
    unitsCheck,
    writeFiles,
} from "../host/scripts";
import { firewallTable } from "./ruleset";
import { renderUnit } from "../host/units";

export const firewallUnit = "ivatar-otel-firewall.service";

/**
 * Loads the table at boot, after nftables.service and before containers restart, and again
 * whenever nftables.service restarts or reloads: Debian's /etc/nftables.conf begins with
 * `flush ruleset`, which would otherwise drop the table until the next `pulumi up`.
 */
export function renderFirewallUnit(rulesetPath: string): string {
    // A '%' would be a systemd specifier, a space a second argument: the path grammar allows neither.
    requireSafePaths("the ruleset path in a systemd unit", rulesetPath);
    return renderUnit({
        purpose: "loads its nftables table at boot.",
        unit: {
            Description: "ivatar-otel firewall table (nftables)",
            After: "nftables.service firewalld.service network-pre.target",
            Before: "podman-restart.service network-online.target",
            // Restarts and reloads of nftables.service reach this unit too.
            PartOf: "nftables.service",
            ReloadPropagatedFrom: "nftables.service",
        },
        service: {
            Type: "oneshot",
            RemainAfterExit: "yes",
            ExecStart: `/usr/sbin/nft -f ${rulesetPath}`,
            // The ruleset file replaces the table atomically, so a reload is a second load.
            ExecReload: `/usr/sbin/nft -f ${rulesetPath}`,
            // After a flush the table is already gone: not a failure.
            ExecStop: `-/usr/sbin/nft delete table inet ${firewallTable}`,
        },
        install: { WantedBy: "multi-user.target nftables.service" },
    });
}

export const firewallCheck = "ivatar-otel-firewall-check";

/** How often the host checks that the table is still loaded (a flush by hand removes it too). */
export const firewallCheckInterval = "1min";

/**
 * Loads the table again, whatever happened to it: removed by a flush of the ruleset, emptied by a
 * flush of the table, or edited by hand. The file replaces the table in one transaction, so a
 * load while it is intact changes nothing that a packet could see.
 */
export function renderFirewallCheckService(rulesetPath: string): string {
    requireSafePaths("the ruleset path in a systemd unit", rulesetPath);
    return renderUnit({
        purpose: "loads its nftables table again, undoing any flush or edit.",
        unit: { Description: "ivatar-otel firewall table check", After: "nftables.service" },
        service: { Type: "oneshot", ExecStart: `/usr/sbin/nft -f ${rulesetPath}` },
    });
}

export function renderFirewallCheckTimer(): string {
    return renderUnit({
        purpose: "runs the firewall table check every minute.",
        unit: { Description: "ivatar-otel firewall table check, every minute" },
        timer: { OnBootSec: firewallCheckInterval, OnUnitActiveSec: firewallCheckInterval, AccuracySec: "5s" },
        install: { WantedBy: "timers.target" },
    });
}

/** The units the step places, enabled where systemd runs. */
export const firewallUnitPaths = [firewallUnit, `${firewallCheck}.service`, `${firewallCheck}.timer`].map(
    (u) => `/etc/systemd/system/${u}`,
);

/** The ruleset and the units, as the step writes them. */
function firewallFiles(ruleset: string, rulesetPath: string): HostFile[] {
    return [
        { path: rulesetPath, content: ruleset, mode: "0600" },
        { path: firewallUnitPaths[0], content: renderFirewallUnit(rulesetPath), mode: "0644" },
        { path: firewallUnitPaths[1], content: renderFirewallCheckService(rulesetPath), mode: "0644" },
        { path: firewallUnitPaths[2], content: renderFirewallCheckTimer(), mode: "0644" },
    ];
}

export function applyFirewallScript(ruleset: string, rulesetPath: string): string {
    requireSafePaths("the ruleset path", rulesetPath);
    const path = shQuote(rulesetPath);
    return (
        preamble +
        [
            // Check the new ruleset before it replaces anything.
            `check=$(mktemp)`,
            `printf %s ${Buffer.from(ruleset).toString("base64")} | base64 -d > "$check"`,
            `nft -c -f "$check" || { echo "firewall: nft rejected the ruleset; the old one stays" >&2; rm -f "$check"; exit 1; }`,
            `rm -f "$check"`,
        ].join("\n") +
        "\n" +
        writeFiles(firewallFiles(ruleset, rulesetPath)) +
        [
            `nft -f ${path}`,
            // Started as well as enabled: restarts and reloads of nftables.service reach active units only.
            `if ${hasSystemd}; then systemctl daemon-reload && systemctl enable --now ${firewallUnit} ${firewallCheck}.timer >/dev/null 2>&1; fi`,
            `echo "firewall: table inet ${firewallTable} loaded" >&2`,
        ].join("\n") +
        "\n"
    );
}

export function removeFirewallScript(rulesetPath: string): string {
    requireSafePaths("the ruleset path", rulesetPath);
    return (
        preamble +
        [
            `if ${hasSystemd}; then systemctl disable --now ${firewallCheck}.timer ${firewallUnit} >/dev/null 2>&1 || true; fi`,
            `if nft list table inet ${firewallTable} >/dev/null 2>&1; then nft delete table inet ${firewallTable}; fi`,
        ].join("\n") +
        "\n" +
        removeFiles([rulesetPath, ...firewallUnitPaths]) +
        removeOwnDirs([parentDir(rulesetPath)]) +
        `if ${hasSystemd}; then systemctl daemon-reload; fi\n`
    );
}

/**
 * What a refresh checks: the table loaded with every rule (each carries a comment: counting them
 * finds a flushed table too), the files as written, the units enabled and running.
 */
export function firewallCheckScript(ruleset: string, rulesetPath: string): string {
    const rules = ruleset.split("\n").filter((line) => line.includes(' comment "')).length;
    return (
        `[ "$(nft list table inet ${firewallTable} 2>/dev/null | grep -c ' comment "')" = ${rules} ] || ` +
        `echo 'the nftables table inet ${firewallTable} is not loaded with its ${rules} rules'\n` +
        filesCheck(firewallFiles(ruleset, rulesetPath)) +
        unitsCheck([firewallUnit, `${firewallCheck}.timer`])
    );
}
