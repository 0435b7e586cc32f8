// systemd units the steps place on hosts, pure.

/**
 * A timer that runs its service once a day, at a random time within the first hour after
 * midnight (hosts do not all start at once), and at boot when a run was missed.
 */
export function renderDailyTimer(what: string, description: string): string {
    return [
        `# Written by ivatar-otel: runs ${what} daily.`,
        "[Unit]",
        `Description=Daily ivatar-otel ${description}`,
        "",
        "[Timer]",
        "OnCalendar=daily",
        "RandomizedDelaySec=1h",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ].join("\n");
}
