// Renewal of the generated server certificate on the host's own schedule: the issuing part of
// the TLS step is kept on the host (root-only, beside the CA) and a systemd timer runs it daily.
// It re-issues only when the certificate nears expiry (or its names or CA changed); the collector
// re-reads the files every tls.reloadInterval, so no `pulumi up` and no restart is needed.
import { requireSafePaths } from "../../grammar/text";
import { hasSystemd, HostFile, removeFiles, writeFiles } from "../host/scripts";
import { renderDailyTimer, renderUnit } from "../host/units";

export const renewalUnit = "ivatar-otel-tls-renew";
const unitDir = "/etc/systemd/system";

/** Where the renewal script lives: in the root-only CA directory. */
export const renewalScriptPath = (caDir: string) => `${caDir}/renew.sh`;

export function renderRenewalService(caDir: string): string {
    requireSafePaths("the CA directory in a systemd unit", caDir);
    return renderUnit({
        purpose: "re-issues the collector's server certificate when it nears expiry.",
        unit: { Description: "ivatar-otel collector certificate renewal" },
        service: {
            Type: "oneshot",
            ExecStart: `/bin/sh ${renewalScriptPath(caDir)}`,
            // The script prints the CA certificate (what the step returns); the journal needs no copy.
            StandardOutput: "null",
        },
    });
}

export function renderRenewalTimer(): string {
    return renderDailyTimer("the certificate renewal", "collector certificate renewal");
}

/** The renewal script and its units, as the TLS step writes them. */
export function renewalFiles(caDir: string, issueScript: string): HostFile[] {
    return [
        { path: renewalScriptPath(caDir), content: issueScript, mode: "0500" },
        { path: `${unitDir}/${renewalUnit}.service`, content: renderRenewalService(caDir), mode: "0644" },
        { path: `${unitDir}/${renewalUnit}.timer`, content: renderRenewalTimer(), mode: "0644" },
    ];
}

/** Places the renewal script and its timer, and enables the timer where systemd runs. */
export function placeRenewal(caDir: string, issueScript: string): string {
    return (
        writeFiles(renewalFiles(caDir, issueScript)) +
        `if ${hasSystemd}; then systemctl daemon-reload && systemctl enable --now ${renewalUnit}.timer >/dev/null 2>&1; fi\n`
    );
}

export function removeRenewal(caDir: string): string {
    return (
        `if ${hasSystemd}; then systemctl disable --now ${renewalUnit}.timer >/dev/null 2>&1 || true; fi\n` +
        removeFiles([
            renewalScriptPath(caDir),
            `${unitDir}/${renewalUnit}.service`,
            `${unitDir}/${renewalUnit}.timer`,
        ]) +
        `if ${hasSystemd}; then systemctl daemon-reload; fi\n`
    );
}
