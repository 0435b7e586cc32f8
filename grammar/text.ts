// The grammar of every free-form string the program places on a host. The config schema
// rejects anything else with a clear message, and the renderers check again before a value lands
// in a shell script, a systemd unit, an env file or a Prometheus template: one missed check in
// one place must never become code in another.
import { isIPv4, isIPv6 } from "net";

/** A DNS host name per RFC 1123: dot-separated labels of letters, digits and inner hyphens. */
export function isHostName(value: string): boolean {
    if (value.length > 253) return false;
    return value.split(".").every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** A host name that cannot be read as an IPv4 address (not digits and dots only). */
export function isDnsName(value: string): boolean {
    return isHostName(value) && !/^[\d.]+$/.test(value);
}

/** A host name or an IPv4 address: what can stand in a URL's host and a certificate's name. */
export function isHostNameOrIPv4(value: string): boolean {
    return isIPv4(value) || isDnsName(value);
}

/** A host name, an IPv4 or an IPv6 address (SSH targets). */
export function isHostAddress(value: string): boolean {
    return isHostNameOrIPv4(value) || isIPv6(value);
}

/**
 * An absolute path of plain segments (letters, digits, '.', '_', '-'), no '.' or '..' segment:
 * safe unquoted in sh, systemd (no '%' specifiers) and YAML, and unable to climb out of its base.
 */
export function isSafeAbsolutePath(value: string): boolean {
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(value)) return false;
    return value
        .split("/")
        .slice(1)
        .every((segment) => segment !== "." && segment !== "..");
}

/** A version label like 1.8.0, 1.8.0-dev or 2026.11.28+build5. */
export function isVersionLabel(value: string): boolean {
    return /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(value);
}

/** An app container's name, as its env file's name: no path characters, never "." or "..". */
export function isAppInstanceName(value: string): boolean {
    return /^[a-z0-9][a-z0-9_.-]{0,62}$/.test(value);
}

/** A display name like a Grafana folder: letters, digits, spaces, '.', '_', '-'; at most 64. */
export function isDisplayName(value: string): boolean {
    return /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(value);
}

/** An http(s) URL without spaces, quotes, braces or control characters. */
export function isHttpUrl(value: string): boolean {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\s"'`{}<>\\\x00-\x1f\x7f]/.test(value)) return false;
    // Written out in full: the URL parser also takes forms like "http:host/path" that curl does not.
    if (!/^https?:\/\/[^/]/.test(value)) return false;
    try {
        const url = new URL(value);
        return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
        return false;
    }
}

/** A search cluster node: https, a host name or IPv4 address, an optional port, nothing else (it lands in systemd and sh). */
export function isSearchServerUrl(value: string): boolean {
    const m = /^https:\/\/([A-Za-z0-9.-]+)(:(\d{1,5}))?\/?$/.exec(value);
    return m !== null && isHostNameOrIPv4(m[1]) && (m[3] === undefined || (Number(m[3]) >= 1 && Number(m[3]) <= 65535));
}

/** A relative link (like the default docs/runbook.md): path characters only. */
export function isRelativeLink(value: string): boolean {
    return /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(value);
}

/** Throws unless `ok`: the renderers' second check, for values that bypassed the schema. */
export function requireGrammar(ok: boolean, what: string, value: string): void {
    if (!ok) throw new Error(`refusing to render ${what}: ${JSON.stringify(value)} is outside its grammar`);
}

/** The second check for a file owner a step sets as root: numeric "uid:gid". */
export function requireOwner(what: string, owner: string): void {
    requireGrammar(/^\d+:\d+$/.test(owner), what, owner);
}

/** The second check for host paths a step writes, reads or removes as root. */
export function requireSafePaths(what: string, ...paths: string[]): void {
    for (const path of paths) requireGrammar(isSafeAbsolutePath(path), what, path);
}

/** The hours in a Go duration of hours, minutes and seconds ("168h", "1h30m", "90s"). */
export function durationHours(value: string): number {
    const part = (unit: string) => Number(value.match(new RegExp(`(\\d+)${unit}`))?.[1] ?? 0);
    return part("h") + part("m") / 60 + part("s") / 3600;
}
