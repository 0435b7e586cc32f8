// Shell building blocks for the steps run on hosts (over SSH, or locally for the local stack).
// Pure: they return POSIX sh text. Every step is idempotent: running it twice changes nothing.

import { createHash } from "crypto";
import { requireGrammar, requireOwner, requireSafePaths } from "../../grammar/text";

/**
 * A step's scripts: `create` runs on create and on every change (so it is idempotent), `delete` on
 * destroy, and `check`, where given, prints one line per piece of the step's work missing on the
 * host (nothing when all is in place): a refresh runs it, and the next up runs create again.
 */
export interface StepScripts {
    create: string;
    delete: string;
    check?: string;
}

export interface HostFile {
    path: string;
    content: string;
    /** Octal mode, like "0644". */
    mode: string;
    /** "uid:gid"; root's when not given. */
    owner?: string;
}

/** Quotes a value for sh. */
export function shQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Runs the script it is given on stdin as root (directly, or through passwordless sudo). */
export const asRoot = `if [ "$(id -u)" = 0 ]; then sh -s; else sudo -n sh -s; fi`;

/** A command line that runs `script` as root without stdin (for delete steps). */
export function asRootInline(script: string): string {
    const encoded = Buffer.from(script).toString("base64");
    return `printf %s ${encoded} | base64 -d | (${asRoot})`;
}

export const preamble = "set -eu\numask 077\n";

/** A shell test: true where systemd runs (units are then enabled; test machines have none). */
export const hasSystemd = `[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1`;

/**
 * Writes each file only when its content, mode or owner differ, atomically (temp file + rename),
 * and reports "changed <path>" on stderr for those it wrote (stdout stays free for results). Contents travel base64-encoded so any byte is safe.
 */
export function writeFiles(files: HostFile[]): string {
    return (
        files
            .map((f) => {
                requireSafePaths("a host file path", f.path);
                requireGrammar(/^0[0-7]{3}$/.test(f.mode), "a file mode", f.mode);
                if (f.owner !== undefined) requireOwner("a file owner (uid:gid)", f.owner);
                const encoded = Buffer.from(f.content).toString("base64");
                const path = shQuote(f.path);
                const owner = f.owner ?? "0:0";
                return [
                    `mkdir -p "$(dirname ${path})"`,
                    `printf %s ${encoded} | base64 -d > ${path}.ivatar-otel.tmp`,
                    `chmod ${f.mode} ${path}.ivatar-otel.tmp && chown ${owner} ${path}.ivatar-otel.tmp`,
                    `if [ -f ${path} ] && cmp -s ${path} ${path}.ivatar-otel.tmp && [ "$(stat -c '%a %u:%g' ${path})" = "$(stat -c '%a %u:%g' ${path}.ivatar-otel.tmp)" ]; then`,
                    `  rm -f ${path}.ivatar-otel.tmp`,
                    "else",
                    `  mv -f ${path}.ivatar-otel.tmp ${path} && echo "changed ${f.path}" >&2`,
                    "fi",
                ].join("\n");
            })
            .join("\n") + "\n"
    );
}

/**
 * Removes each directory, in order, if it is empty: a step's own directories, then the host
 * directory the steps share (which goes with the last step's files). Only directories the program
 * made, never the operator's (such as Prometheus's rules.d).
 */
export function removeOwnDirs(dirs: string[]): string {
    requireSafePaths("a directory the steps made", ...dirs);
    return `rmdir ${[...new Set(dirs)].map(shQuote).join(" ")} 2>/dev/null || true\n`;
}

/** The directory holding a path. */
export function parentDir(path: string): string {
    return path.slice(0, path.lastIndexOf("/"));
}

/** Removes the files; missing ones are fine. Directories are left to the caller. */
export function removeFiles(paths: string[]): string {
    requireSafePaths("a host file path", ...paths);
    return `rm -f ${paths.map(shQuote).join(" ")}\n`;
}

/** Check lines: one message for each file that is missing or no longer holds what the step wrote. */
export function filesCheck(files: Pick<HostFile, "path" | "content">[]): string {
    return (
        files
            .map((f) => {
                requireSafePaths("a host file path", f.path);
                const sum = createHash("sha256").update(f.content).digest("hex");
                return `[ "$(sha256sum < ${shQuote(f.path)} 2>/dev/null | cut -c1-64)" = ${sum} ] || echo ${shQuote(`${f.path} is missing or changed`)}`;
            })
            .join("\n") + "\n"
    );
}

/** Check lines: each unit must be enabled and active, where systemd runs. */
export function unitsCheck(units: string[]): string {
    for (const unit of units) requireGrammar(/^[A-Za-z0-9@._-]+$/.test(unit), "a systemd unit name", unit);
    return (
        `if ${hasSystemd}; then\n` +
        units
            .map(
                (u) =>
                    `  systemctl is-enabled --quiet ${u} || echo '${u} is not enabled'\n  systemctl is-active --quiet ${u} || echo '${u} is not active'\n`,
            )
            .join("") +
        "fi\n"
    );
}

/**
 * Waits until every URL answers with success on the host (curl), checking every 2 s for up to
 * `seconds`; fails naming those that never did. For health endpoints of containers just placed.
 */
export function waitHealthyScript(urls: string[], seconds: number): string {
    for (const url of urls) requireGrammar(/^http:\/\/localhost:\d{1,5}\/$/.test(url), "a local health URL", url);
    requireGrammar(Number.isInteger(seconds) && seconds > 0, "a wait in seconds", String(seconds));
    return (
        preamble +
        [
            `deadline=$(( $(date +%s) + ${seconds} ))`,
            `for url in ${urls.map(shQuote).join(" ")}; do`,
            `  until curl -fsS -o /dev/null --max-time 2 "$url"; do`,
            `    if [ "$(date +%s)" -ge "$deadline" ]; then echo "not healthy after ${seconds} s: $url on $(uname -n)" >&2; exit 1; fi`,
            `    sleep 2`,
            `  done`,
            `done`,
            `echo "healthy: ${urls.join(" ")}" >&2`,
        ].join("\n") +
        "\n"
    );
}

/** A step that waits for health endpoints (waitHealthyScript) and leaves nothing to remove. */
export function healthGateStep(gate: { urls: string[]; seconds: number }): StepScripts {
    return { create: waitHealthyScript(gate.urls, gate.seconds), delete: "true\n" };
}
