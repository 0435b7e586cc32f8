// What the Prometheus host's preflight checks of Prometheus itself: that its running config reads
// the files the stack places (otherwise they would be placed and never read). Pure: POSIX sh out.
import { isHttpUrl, requireGrammar, requireSafePaths } from "../../grammar/text";
import { shQuote } from "../host/scripts";

/** A file the stack places, and the list in Prometheus's config whose globs must cover it. */
export interface ReadFile {
    path: string;
    list: "rule_files" | "scrape_config_files";
    /** The config key that chose its directory, for the message. */
    setBy: string;
}

export interface PrometheusReads {
    /** Prometheus's HTTP API, like http://localhost:9090 (the reload URL's server). */
    apiUrl: string;
    files: ReadFile[];
}

/** The API's base URL from the reload URL (".../-/reload" off); "" when there is no reload URL. */
export function prometheusApiUrl(reloadUrl: string): string {
    if (reloadUrl === "") return "";
    const url = new URL(reloadUrl);
    return `${url.origin}${url.pathname.replace(/\/-\/reload\/?$/, "").replace(/\/$/, "")}`;
}

/**
 * Shell lines for the preflight: asks the running Prometheus for its config (the API, so what it
 * loaded, not what a file says) and checks each file against the globs of its list the way
 * Prometheus matches them (relative to the config file's directory; `*` stops at `/`). Reports
 * through the preflight's `problem`.
 */
export function prometheusReadsCheck(r: PrometheusReads): string[] {
    requireGrammar(isHttpUrl(r.apiUrl), "the Prometheus API URL", r.apiUrl);
    requireSafePaths("a Prometheus file path", ...r.files.map((f) => f.path));
    const api = shQuote(r.apiUrl);
    return [
        `if prom_config=$(curl -fsS --max-time 10 ${api}/api/v1/status/config 2>/dev/null) && prom_flags=$(curl -fsS --max-time 10 ${api}/api/v1/status/flags 2>/dev/null); then`,
        `  prom_file=$(printf %s "$prom_flags" | sed -n 's/.*"config\\.file":"\\([^"]*\\)".*/\\1/p')`,
        `  prom_dir=$(dirname "\${prom_file:-/etc/prometheus/prometheus.yml}")`,
        // The loaded config is YAML in a JSON string: undo its escapes, then list a top-level key's items.
        `  prom_yaml=$(printf %s "$prom_config" | sed 's/^.*"yaml":"//; s/"}}[[:space:]]*$//')`,
        `  prom_list() { printf '%b\\n' "$prom_yaml" | awk -v key="$1:" '$0 == key { on = 1; next } on && /^- / { sub(/^- /, ""); gsub(/^["\\047]|["\\047]$/, ""); print; next } on { on = 0 }'; }`,
        `  prom_reads() {`,
        `    prom_globs=$(prom_list "$1")`,
        `    while IFS= read -r pattern; do`,
        `      [ -n "$pattern" ] || continue`,
        `      case "$pattern" in /*) ;; *) pattern="$prom_dir/$pattern" ;; esac`,
        `      case "$(dirname "$pattern")" in`,
        `        *[*?[]*) case "$2" in $pattern) return 0 ;; esac ;;`,
        `        "$(dirname "$2")") case "$(basename "$2")" in $(basename "$pattern")) return 0 ;; esac ;;`,
        `      esac`,
        `    done <<PROM_GLOBS`,
        `$prom_globs`,
        `PROM_GLOBS`,
        `    return 1`,
        `  }`,
        ...r.files.map((f) => {
            const dir = f.path.slice(0, f.path.lastIndexOf("/"));
            const message = `Prometheus at ${r.apiUrl} does not read ${f.path}: none of its ${f.list} matches it, so the file would be placed and never loaded; add ${dir}/*.yml to ${f.list} in its config and reload it, or set ${f.setBy} to a directory it reads (its ${f.list}: `;
            return `  prom_reads ${f.list} ${shQuote(f.path)} || problem ${shQuote(message)}"$(prom_list ${f.list} | tr '\\n' ' '))"`;
        }),
        // The apps' exemplars (trace IDs on latency buckets) are dropped without exemplar storage: worth saying, not refusing.
        `  case "$prom_flags" in *exemplar-storage*) ;; *) warn ${shQuote(`Prometheus at ${r.apiUrl} runs without --enable-feature=exemplar-storage: the apps' exemplars are dropped, and the dashboards cannot link latency to traces`)} ;; esac`,
        `else`,
        `  problem ${shQuote(`Prometheus does not answer at ${r.apiUrl} (the server of prometheus.reloadUrl), so its config could not be checked: start it, or correct prometheus.reloadUrl`)}`,
        `fi`,
    ];
}
