// The stack checks, link by link from the apps' endpoint to Prometheus, run from where the caller
// is (the deploy job's runner, an operator's machine). Each failing link names its runbook section.
import { promises as dns } from "dns";
import * as net from "net";
import * as tls from "tls";
import { accepted, canarySpan, refusedForToken, sendSpan } from "./canary";
import { CheckInput } from "./settings";

export type CheckStatus = "pass" | "fail" | "skip" | "not tried";

/** Every link, in the order checked; each has its section in docs/runbook.md. */
export const checkSections = [
    "CheckEndpointName",
    "CheckTls",
    "CheckToken",
    "CheckCollectorHealth",
    "CheckJaeger",
    "CheckCanaryStored",
    "CheckPrometheusRules",
    "CheckPrometheusTargets",
] as const;
export type CheckSection = (typeof checkSections)[number];

export interface CheckLine {
    /** The runbook section's heading. */
    section: CheckSection;
    /** What is checked, as the line shows it. */
    what: string;
    status: CheckStatus;
    detail: string;
}

export interface CheckReport {
    lines: CheckLine[];
    /** The canary's trace, once Jaeger holds it. */
    canary?: { traceId: string; url: string };
}

export interface CheckTimeouts {
    /** How long the canary may take to reach Jaeger (tail sampling decides a second after it). */
    canaryMs: number;
    /** How long Prometheus may take to scrape every target once (its interval is 30 s). */
    targetsMs: number;
}

export const defaultTimeouts: CheckTimeouts = { canaryMs: 90_000, targetsMs: 120_000 };

const day = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 2 s until it returns a value or the time is up; then the last failure's text. */
async function poll<T>(ms: number, probe: () => Promise<T | string>): Promise<T | string> {
    const deadline = Date.now() + ms;
    for (;;) {
        const result = await probe().catch((error: Error) => `${error.message}${causeOf(error)}`);
        if (typeof result !== "string" || Date.now() >= deadline) return result;
        await sleep(2000);
    }
}

/** fetch() hides the network error in `cause`. */
function causeOf(error: Error): string {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause ? ` (${cause.code ?? cause.message})` : "";
}

async function getJson(url: string): Promise<unknown> {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
}

/** The server certificate's verdict and expiry, from a TLS handshake as an app makes it. */
function handshake(
    host: string,
    port: number,
    ca: string | undefined,
): Promise<{ authorized: boolean; error?: string; validTo: Date }> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({
            host,
            port,
            ...(ca ? { ca } : {}),
            servername: net.isIP(host) ? undefined : host,
            ALPNProtocols: ["h2"],
            rejectUnauthorized: false,
            timeout: 10_000,
        });
        socket.once("secureConnect", () => {
            const certificate = socket.getPeerCertificate();
            const authorizationError = socket.authorizationError;
            resolve({
                authorized: socket.authorized,
                ...(authorizationError ? { error: String(authorizationError) } : {}),
                validTo: new Date(certificate.valid_to),
            });
            socket.end();
        });
        socket.once("timeout", () => socket.destroy(new Error("no TLS handshake within 10 s")));
        socket.once("error", reject);
    });
}

/** Runs every check in order; a link that depends on a failed one is reported as not tried. */
export async function runChecks(input: CheckInput, timeouts: CheckTimeouts = defaultTimeouts): Promise<CheckReport> {
    const { settings: s, secrets } = input;
    const lines: CheckLine[] = [];
    const add: AddLine = (section, what, status, detail) => lines.push({ section, what, status, detail });
    const host = s.endpoint.host;
    const address = `${host}:${s.endpoint.otlpGrpcPort}`;

    // 1. The apps' endpoint name.
    let resolves = false;
    if (net.isIP(host)) {
        resolves = true;
        add("CheckEndpointName", "endpoint name", "pass", `${host} is an address`);
    } else {
        try {
            const found = await dns.lookup(host, { all: true });
            resolves = true;
            add(
                "CheckEndpointName",
                "endpoint name",
                "pass",
                `${host} resolves to ${found.map((a) => a.address).join(", ")}`,
            );
        } catch (error) {
            add("CheckEndpointName", "endpoint name", "fail", `${host} does not resolve: ${(error as Error).message}`);
        }
    }

    // 2. TLS, as the apps see it.
    if (!s.endpoint.tls) add("CheckTls", "TLS", "skip", "TLS is off on this stack");
    else if (!resolves) add("CheckTls", "TLS", "not tried", "the endpoint name does not resolve");
    else {
        try {
            const h = await handshake(host, s.endpoint.otlpGrpcPort, secrets.ca);
            const days = Math.floor((h.validTo.getTime() - Date.now()) / day);
            const until = `valid ${days} more days (until ${h.validTo.toISOString().slice(0, 10)})`;
            if (!h.authorized)
                add("CheckTls", "TLS", "fail", `the certificate of ${address} is not trusted: ${h.error}`);
            else if (days < s.certificateDaysMinimum)
                add(
                    "CheckTls",
                    "TLS",
                    "fail",
                    `handshake with ${address} succeeds, but the certificate is ${until}: its renewal is overdue`,
                );
            else add("CheckTls", "TLS", "pass", `handshake with ${address} succeeds; certificate ${until}`);
        } catch (error) {
            add("CheckTls", "TLS", "fail", `no TLS handshake with ${address}: ${(error as Error).message}`);
        }
    }

    // 3. The token: a canary with it is taken, a request without it refused.
    let canary: { traceId: string } | undefined;
    if (!resolves) add("CheckToken", "token", "not tried", "the endpoint name does not resolve");
    else {
        const endpoint = { address, tls: s.endpoint.tls, ca: secrets.ca };
        const span = canarySpan(s.environment, secrets.canaryKey);
        const withToken = await sendSpan({ ...endpoint, token: secrets.token }, span);
        const without = await sendSpan(endpoint, canarySpan(s.environment));
        if (!accepted(withToken))
            add(
                "CheckToken",
                "token",
                "fail",
                `the canary sent with the token was refused: ${String(withToken.error)}`,
            );
        else if (!refusedForToken(without))
            add(
                "CheckToken",
                "token",
                "fail",
                accepted(without)
                    ? "a request without the token was taken: the receivers do not ask for it"
                    : `a request without the token failed, but not for the token: ${String(without.error)}`,
            );
        else {
            canary = { traceId: span.spanContext().traceId };
            add(
                "CheckToken",
                "token",
                "pass",
                `canary ${canary.traceId} taken with the token; a request without it refused (UNAUTHENTICATED)`,
            );
        }
    }

    // 4. The collector's health.
    try {
        const health = (await getJson(s.healthUrl)) as { status?: string };
        add("CheckCollectorHealth", "collector health", "pass", `${s.healthUrl}: ${health.status ?? "answers"}`);
    } catch (error) {
        add(
            "CheckCollectorHealth",
            "collector health",
            "fail",
            `${s.healthUrl}: ${(error as Error).message}${causeOf(error as Error)}`,
        );
    }

    // 5. and 6. Jaeger answers, and holds the canary.
    const jaeger = s.jaegerUrl.replace(/\/$/, "");
    let jaegerAnswers = false;
    try {
        const services = (await getJson(`${jaeger}/api/v3/services`)) as { services?: string[] };
        jaegerAnswers = true;
        add("CheckJaeger", "Jaeger", "pass", `${jaeger} answers queries (${services.services?.length ?? 0} services)`);
    } catch (error) {
        add(
            "CheckJaeger",
            "Jaeger",
            "fail",
            `${jaeger} does not answer queries: ${(error as Error).message}${causeOf(error as Error)}`,
        );
    }
    let stored: CheckReport["canary"];
    if (!canary) add("CheckCanaryStored", "canary stored", "not tried", "no canary was taken");
    else if (!jaegerAnswers) add("CheckCanaryStored", "canary stored", "not tried", "Jaeger does not answer");
    else {
        const traceId = canary.traceId;
        const found = await poll(timeouts.canaryMs, async () => {
            const response = await fetch(`${jaeger}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
            return response.ok
                ? true
                : `not in Jaeger after ${timeouts.canaryMs / 1000} s (last answer ${response.status})`;
        });
        if (found === true) {
            stored = { traceId, url: `${jaeger}/trace/${traceId}` };
            add("CheckCanaryStored", "canary stored", "pass", `Jaeger holds the canary: ${stored.url}`);
        } else add("CheckCanaryStored", "canary stored", "fail", `canary ${traceId} ${found}`);
    }

    // 7. and 8. Prometheus: the rules loaded, every target up, and what fires.
    if (s.prometheus) await checkPrometheus(s.prometheus, timeouts, add);
    else {
        add(
            "CheckPrometheusRules",
            "Prometheus rules",
            "skip",
            "no Prometheus API for this stack (prometheus.apiUrl is empty)",
        );
        add("CheckPrometheusTargets", "Prometheus targets", "skip", "no Prometheus API for this stack");
    }
    return { lines, ...(stored ? { canary: stored } : {}) };
}

type AddLine = (section: CheckSection, what: string, status: CheckStatus, detail: string) => void;

/** The stack's rule group loaded and evaluating, what of it fires, and every scrape target up. */
async function checkPrometheus(
    p: NonNullable<CheckInput["settings"]["prometheus"]>,
    timeouts: CheckTimeouts,
    add: AddLine,
): Promise<void> {
    const api = p.apiUrl.replace(/\/$/, "");
    type Rules = { data: { groups: { name: string; rules: { name: string; state?: string; health: string }[] }[] } };
    let rules: Rules;
    try {
        rules = (await getJson(`${api}/api/v1/rules`)) as Rules;
    } catch (error) {
        add(
            "CheckPrometheusRules",
            "Prometheus rules",
            "fail",
            `${api}: ${(error as Error).message}${causeOf(error as Error)}`,
        );
        add("CheckPrometheusTargets", "Prometheus targets", "not tried", "Prometheus does not answer");
        return;
    }
    const group = rules.data.groups.find((g) => g.name === p.ruleGroup);
    if (!group)
        add("CheckPrometheusRules", "Prometheus rules", "fail", `${api} has not loaded the rule group ${p.ruleGroup}`);
    else {
        const broken = group.rules.filter((r) => r.health === "err").map((r) => r.name);
        const firing = group.rules.filter((r) => r.state === "firing").map((r) => r.name);
        add(
            "CheckPrometheusRules",
            "Prometheus rules",
            broken.length ? "fail" : "pass",
            `${group.rules.length} rules of ${p.ruleGroup} loaded` +
                (broken.length ? `, failing to evaluate: ${broken.join(", ")}` : "") +
                `; firing: ${firing.length ? firing.join(", ") : "none"}`,
        );
    }
    // A target not scraped yet is "unknown": wait for one scrape of each.
    const up = await poll(timeouts.targetsMs, async () => {
        const targets = (await getJson(`${api}/api/v1/targets?state=active`)) as {
            data: { activeTargets: { labels: { instance: string }; health: string; lastError: string }[] };
        };
        const down = p.targets.flatMap((target) => {
            const found = targets.data.activeTargets.filter((t) => t.labels.instance === target);
            if (found.length === 0) return [`${target}: not among Prometheus's targets`];
            return found.filter((t) => t.health !== "up").map((t) => `${target}: ${t.health} ${t.lastError}`.trim());
        });
        return down.length === 0 ? true : down.join("; ");
    });
    if (up === true)
        add(
            "CheckPrometheusTargets",
            "Prometheus targets",
            "pass",
            `all ${p.targets.length} up: ${p.targets.join(", ")}`,
        );
    else add("CheckPrometheusTargets", "Prometheus targets", "fail", up);
}

/** The runbook link of a check's section. */
export function checkRunbookLink(base: string, section: string): string {
    return `${base}#${section.toLowerCase()}`;
}

/** One line per check; a failure names its runbook section. */
export function formatReport(report: CheckReport, runbookBaseUrl: string): string[] {
    const width = Math.max(...report.lines.map((l) => l.what.length));
    return report.lines.map((l) => {
        const status = l.status.toUpperCase().padEnd(9);
        const link = l.status === "fail" ? ` (runbook: ${checkRunbookLink(runbookBaseUrl, l.section)})` : "";
        return `${status} ${l.what.padEnd(width)}  ${l.detail}${link}`;
    });
}

export const failed = (report: CheckReport) =>
    report.lines.some((l) => l.status === "fail" || l.status === "not tried");
