// Placing the rule and scrape files on the Prometheus host and reloading it. Pure: scripts out.
//
// A file that promtool rejects is never put in place. If the reload fails, the previous files
// are put back (so a restart does not pick up a broken config) and the step fails loudly.
import { isHttpUrl, requireGrammar, requireSafePaths } from "../../grammar/text";
import { preamble, removeFiles, shQuote } from "../host/scripts";

export interface PrometheusFiles {
    rulesPath: string;
    rules: string;
    scrapePath: string;
    scrape: string;
    /** POSTed to reload Prometheus; empty: no reload. */
    reloadUrl: string;
}

function reload(url: string): string {
    requireGrammar(url === "" || isHttpUrl(url), "the Prometheus reload URL", url);
    if (!url) return `echo "prometheus: no reload URL configured; reload Prometheus yourself" >&2\n`;
    return `curl -fsS -X POST --max-time 30 ${shQuote(url)} >/dev/null`;
}

export function placePrometheusFilesScript(f: PrometheusFiles): string {
    requireSafePaths("a Prometheus file path", f.rulesPath, f.scrapePath);
    const stage = (path: string, content: string) =>
        `mkdir -p "$(dirname ${shQuote(path)})"\nprintf %s ${Buffer.from(content).toString("base64")} | base64 -d > ${shQuote(`${path}.new`)}`;
    const swapIn = (path: string) => {
        const p = shQuote(path);
        return `if [ -f ${p} ]; then cp -p ${p} ${shQuote(`${path}.previous`)}; fi\nchmod 0644 ${shQuote(`${path}.new`)} && mv -f ${shQuote(`${path}.new`)} ${p}`;
    };
    const restore = (path: string) =>
        `if [ -f ${shQuote(`${path}.previous`)} ]; then mv -f ${shQuote(`${path}.previous`)} ${shQuote(path)}; else rm -f ${shQuote(path)}; fi`;
    return (
        preamble +
        [
            stage(f.rulesPath, f.rules),
            stage(f.scrapePath, f.scrape),
            `if command -v promtool >/dev/null 2>&1; then`,
            `  promtool check rules ${shQuote(`${f.rulesPath}.new`)} >&2 || { rm -f ${shQuote(`${f.rulesPath}.new`)} ${shQuote(`${f.scrapePath}.new`)}; echo "prometheus: promtool rejected the rules; nothing changed" >&2; exit 1; }`,
            "fi",
            swapIn(f.rulesPath),
            swapIn(f.scrapePath),
            `if ${reload(f.reloadUrl).trim()}; then`,
            `  rm -f ${shQuote(`${f.rulesPath}.previous`)} ${shQuote(`${f.scrapePath}.previous`)}`,
            `  echo "prometheus: files in place and reloaded" >&2`,
            "else",
            `  ${restore(f.rulesPath)}`,
            `  ${restore(f.scrapePath)}`,
            `  echo "prometheus: reload failed; the previous files are back and Prometheus keeps its running rules" >&2`,
            "  exit 1",
            "fi",
        ].join("\n") +
        "\n"
    );
}

export function removePrometheusFilesScript(
    f: Pick<PrometheusFiles, "rulesPath" | "scrapePath" | "reloadUrl">,
): string {
    requireSafePaths("a Prometheus file path", f.rulesPath, f.scrapePath);
    return (
        preamble +
        removeFiles([f.rulesPath, f.scrapePath]) +
        (f.reloadUrl ? `${reload(f.reloadUrl)} || echo "prometheus: reload after removal failed" >&2\n` : "")
    );
}
