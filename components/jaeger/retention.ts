// Retention on a search cluster, pure: Jaeger writes one index per day there, and nothing in
// the cluster expires them. A daily systemd timer on the first collector host runs Jaeger's own
// index cleaner (a pinned image, with Podman), which deletes the days past the trace retention.
import { isSearchServerUrl, requireGrammar, requireSafePaths } from "../../grammar/text";
import {
    hasSystemd,
    HostFile,
    parentDir,
    preamble,
    removeFiles,
    removeOwnDirs,
    shQuote,
    writeFiles,
} from "../host/scripts";
import { renderDailyTimer, renderUnit } from "../host/units";

export const retentionUnit = "ivatar-otel-jaeger-retention";
const unitDir = "/etc/systemd/system";
/** Where the cluster's CA appears inside the cleaner's container. */
const caInContainer = "/etc/ivatar-otel-retention/ca.crt";

export interface RetentionSettings {
    /** Whole days of indices kept: the trace retention rounded up to days. */
    days: number;
    image: string;
    /** The node the cleaner asks (any node answers for the whole cluster). */
    server: string;
    indexPrefix: string;
    username?: string;
    caCertificate?: string;
    /** Root-only host directory for the cleaner's environment file and the CA. */
    dir: string;
}

const envFile = (s: RetentionSettings) => `${s.dir}/cleaner.env`;
const caFile = (s: RetentionSettings) => `${s.dir}/ca.crt`;

/** The cleaner's settings, as it reads them from its environment (its flags' names, upper case). */
export function renderCleanerEnv(s: RetentionSettings, password: string | undefined): string {
    if (s.username !== undefined && password === undefined)
        throw new Error("the index cleaner needs the password of jaeger.storage.username");
    if (password !== undefined && /[\s]/.test(password))
        throw new Error("jaegerStoragePassword: expected no white space (it is one line of an environment file)");
    // The schema's grammar, checked again: a line break here would add a setting of its own.
    requireGrammar(/^[a-z0-9][a-z0-9-]*$/.test(s.indexPrefix), "an index prefix", s.indexPrefix);
    if (s.username !== undefined)
        requireGrammar(/^[A-Za-z0-9._@-]+$/.test(s.username), "a search cluster user", s.username);
    return [
        `INDEX_PREFIX=${s.indexPrefix}`,
        ...(s.username !== undefined ? [`ES_USERNAME=${s.username}`, `ES_PASSWORD=${password}`] : []),
        ...(s.caCertificate !== undefined ? ["ES_TLS_ENABLED=true", `ES_TLS_CA=${caInContainer}`] : []),
        "",
    ].join("\n");
}

export function renderRetentionService(s: RetentionSettings): string {
    requireGrammar(isSearchServerUrl(s.server), "a search cluster URL", s.server);
    requireGrammar(
        /^[A-Za-z0-9._\-/:@]+$/.test(s.image) && Number.isInteger(s.days) && s.days >= 1,
        "the index cleaner's image and days",
        `${s.image} ${s.days}`,
    );
    requireSafePaths("the retention directory in a systemd unit", s.dir);
    const caMount = s.caCertificate !== undefined ? ` --volume ${caFile(s)}:${caInContainer}:ro,z` : "";
    return renderUnit({
        purpose: `deletes Jaeger's indices older than ${s.days} days on the search cluster.`,
        unit: {
            Description: "ivatar-otel Jaeger index retention",
            Wants: "network-online.target",
            After: "network-online.target",
        },
        service: {
            Type: "oneshot",
            ExecStart: `/usr/bin/podman run --rm --pull=missing --env-file ${envFile(s)}${caMount} ${s.image} ${s.days} ${s.server}`,
        },
    });
}

export function renderRetentionTimer(): string {
    return renderDailyTimer("the Jaeger index retention", "Jaeger index retention");
}

/** The units by file name, for review (the env file carries the password: not among them). */
export function retentionUnits(s: RetentionSettings): Record<string, string> {
    return {
        [`${retentionUnit}.service`]: renderRetentionService(s),
        [`${retentionUnit}.timer`]: renderRetentionTimer(),
    };
}

/** Places the env file, the CA and the units, and arms the timer where systemd runs. The password makes it secret. */
export function placeRetentionScript(s: RetentionSettings, password: string | undefined): string {
    const files: HostFile[] = [
        { path: envFile(s), content: renderCleanerEnv(s, password), mode: "0600" },
        ...(s.caCertificate !== undefined ? [{ path: caFile(s), content: s.caCertificate, mode: "0644" }] : []),
        { path: `${unitDir}/${retentionUnit}.service`, content: renderRetentionService(s), mode: "0644" },
        { path: `${unitDir}/${retentionUnit}.timer`, content: renderRetentionTimer(), mode: "0644" },
    ];
    return (
        preamble +
        `mkdir -p ${shQuote(s.dir)} && chmod 0700 ${shQuote(s.dir)}\n` +
        writeFiles(files) +
        `if ${hasSystemd}; then systemctl daemon-reload && systemctl enable --now ${retentionUnit}.timer >/dev/null 2>&1; fi\n`
    );
}

export function removeRetentionScript(s: Pick<RetentionSettings, "dir">): string {
    requireSafePaths("the retention directory", s.dir);
    return (
        preamble +
        `if ${hasSystemd}; then systemctl disable --now ${retentionUnit}.timer >/dev/null 2>&1 || true; fi\n` +
        removeFiles([
            `${s.dir}/cleaner.env`,
            `${s.dir}/ca.crt`,
            `${unitDir}/${retentionUnit}.service`,
            `${unitDir}/${retentionUnit}.timer`,
        ]) +
        removeOwnDirs([s.dir, parentDir(s.dir)]) +
        `if ${hasSystemd}; then systemctl daemon-reload; fi\n`
    );
}
