// systemd units the steps place on hosts, pure: one builder for every unit file the program writes.

/** One section's settings, in the order written. */
export type UnitSection = Record<string, string>;

export interface UnitFile {
    /** What the unit is for: the file's first line, after "# Written by ivatar-otel: ". */
    purpose: string;
    unit: UnitSection;
    service?: UnitSection;
    timer?: UnitSection;
    install?: UnitSection;
}

/**
 * The unit file: its sections in systemd's usual order, a blank line after each. A value with a
 * line break would start a new setting, so it is refused (callers also check their paths: a '%'
 * is a specifier, a space splits arguments).
 */
export function renderUnit(file: UnitFile): string {
    const lines = [`# Written by ivatar-otel: ${file.purpose}`];
    const sections: [string, UnitSection | undefined][] = [
        ["Unit", file.unit],
        ["Service", file.service],
        ["Timer", file.timer],
        ["Install", file.install],
    ];
    for (const [name, settings] of sections) {
        if (!settings) continue;
        lines.push(`[${name}]`);
        for (const [key, value] of Object.entries(settings)) {
            if (/[\r\n]/.test(key + value)) throw new Error(`a line break in the systemd setting ${name}.${key}`);
            lines.push(`${key}=${value}`);
        }
        lines.push("");
    }
    return lines.join("\n");
}

/**
 * A timer that runs its service once a day, at a random time within the first hour after
 * midnight (hosts do not all start at once), and at boot when a run was missed.
 */
export function renderDailyTimer(what: string, description: string): string {
    return renderUnit({
        purpose: `runs ${what} daily.`,
        unit: { Description: `Daily ivatar-otel ${description}` },
        timer: { OnCalendar: "daily", RandomizedDelaySec: "1h", Persistent: "true" },
        install: { WantedBy: "timers.target" },
    });
}
