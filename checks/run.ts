// The stack checks, link by link from the apps' endpoint to Prometheus, run from where the caller
// is (the deploy job's runner, an operator's machine). Each failing link names its runbook section.
import { promises as dns } from "dns";
import * as net from "net";
import * as tls from "tls";
import { runbookLink } from "../components/prometheus/rules";
import { accepted, canarySpan, refusedForToken, sendSpans } from "./canary";
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

/** What one link's check found. */
type Verdict = Pick<CheckLine, "status" | "detail">;
const verdict = (status: CheckStatus, detail: string): Verdict => ({ status, detail });
const failure = (what: string, error: unknown) =>
    verdict("fail", `${what}: ${(error as Error).message}${causeOf(error as Error)}`);

/** The apps' endpoint name resolves (an address needs nothing). */
async function endpointName(host: string): Promise<Verdict> {
    if (net.isIP(host)) return verdict("pass", `${host} is an address`);
    try {
        const found = await dns.lookup(host, { all: true });
        return verdict("pass", `${host} resolves to ${found.map((a) => a.address).join(", ")}`);
    } catch (error) {
        return verdict("fail", `${host} does not resolve: ${(error as Error).message}`);
    }
}

/** The TLS handshake, as the apps make it, and the days the certificate has left. */
async function tlsLink(input: CheckInput): Promise<Verdict> {
    const { settings: s, secrets } = input;
    const address = `${s.endpoint.host}:${s.endpoint.otlpGrpcPort}`;
    try {
        const h = await handshake(s.endpoint.host, s.endpoint.otlpGrpcPort, secrets.ca);
        const days = Math.floor((h.validTo.getTime() - Date.now()) / day);
        const until = `valid ${days} more days (until ${h.validTo.toISOString().slice(0, 10)})`;
        if (!h.authorized) return verdict("fail", `the certificate of ${address} is not trusted: ${h.error}`);
        if (days < s.certificateDaysMinimum)
            return verdict(
                "fail",
                `handshake with ${address} succeeds, but the certificate is ${until}: its renewal is overdue`,
            );
        return verdict("pass", `handshake with ${address} succeeds; certificate ${until}`);
    } catch (error) {
        return verdict("fail", `no TLS handshake with ${address}: ${(error as Error).message}`);
    }
}

/** A canary sent with the token is taken, and a request without it is refused for the token. */
async function tokenLink(input: CheckInput): Promise<Verdict & { traceId?: string }> {
    const { settings: s, secrets } = input;
    const endpoint = { address: `${s.endpoint.host}:${s.endpoint.otlpGrpcPort}`, tls: s.endpoint.tls, ca: secrets.ca };
    const span = canarySpan(s.environment, secrets.canaryKey);
    const withToken = await sendSpans({ ...endpoint, token: secrets.token }, [span]);
    const without = await sendSpans(endpoint, [canarySpan(s.environment)]);
    if (!accepted(withToken))
        return verdict("fail", `the canary sent with the token was refused: ${String(withToken.error)}`);
    if (accepted(without))
        return verdict("fail", "a request without the token was taken: the receivers do not ask for it");
    if (!refusedForToken(without))
        return verdict("fail", `a request without the token failed, but not for the token: ${String(without.error)}`);
    const traceId = span.spanContext().traceId;
    return {
        ...verdict("pass", `canary ${traceId} taken with the token; a request without it refused (UNAUTHENTICATED)`),
        traceId,
    };
}

async function collectorHealth(url: string): Promise<Verdict> {
    try {
        const health = (await getJson(url)) as { status?: string };
        return verdict("pass", `${url}: ${health.status ?? "answers"}`);
    } catch (error) {
        return failure(url, error);
    }
}

async function jaegerAnswers(jaeger: string): Promise<Verdict> {
    try {
        const services = (await getJson(`${jaeger}/api/v3/services`)) as { services?: string[] };
        return verdict("pass", `${jaeger} answers queries (${services.services?.length ?? 0} services)`);
    } catch (error) {
        return failure(`${jaeger} does not answer queries`, error);
    }
}

/** Jaeger holds the canary's trace within the time tail sampling and the export take. */
async function canaryStored(jaeger: string, traceId: string, ms: number): Promise<Verdict & { url?: string }> {
    const found = await poll(ms, async () => {
        const response = await fetch(`${jaeger}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
        return response.ok ? true : `not in Jaeger after ${ms / 1000} s (last answer ${response.status})`;
    });
    if (found !== true) return verdict("fail", `canary ${traceId} ${found}`);
    const url = `${jaeger}/trace/${traceId}`;
    return { ...verdict("pass", `Jaeger holds the canary: ${url}`), url };
}

/** Runs every check in order; a link that depends on a failed one is reported as not tried. */
export async function runChecks(input: CheckInput, timeouts: CheckTimeouts = defaultTimeouts): Promise<CheckReport> {
    const s = input.settings;
    const lines: CheckLine[] = [];
    const add: AddLine = (section, what, status, detail) => lines.push({ section, what, status, detail });
    const record = (section: CheckSection, what: string, v: Verdict) => add(section, what, v.status, v.detail);
    const notTried = (section: CheckSection, what: string, why: string) => add(section, what, "not tried", why);

    const name = await endpointName(s.endpoint.host);
    record("CheckEndpointName", "endpoint name", name);
    const resolves = name.status === "pass";

    if (!s.endpoint.tls) add("CheckTls", "TLS", "skip", "TLS is off on this stack");
    else if (!resolves) notTried("CheckTls", "TLS", "the endpoint name does not resolve");
    else record("CheckTls", "TLS", await tlsLink(input));

    const token = resolves ? await tokenLink(input) : undefined;
    if (token) record("CheckToken", "token", token);
    else notTried("CheckToken", "token", "the endpoint name does not resolve");

    record("CheckCollectorHealth", "collector health", await collectorHealth(s.healthUrl));

    const jaeger = s.jaegerUrl.replace(/\/$/, "");
    const answers = await jaegerAnswers(jaeger);
    record("CheckJaeger", "Jaeger", answers);
    let stored: CheckReport["canary"];
    if (!token?.traceId) notTried("CheckCanaryStored", "canary stored", "no canary was taken");
    else if (answers.status !== "pass") notTried("CheckCanaryStored", "canary stored", "Jaeger does not answer");
    else {
        const found = await canaryStored(jaeger, token.traceId, timeouts.canaryMs);
        record("CheckCanaryStored", "canary stored", found);
        if (found.url) stored = { traceId: token.traceId, url: found.url };
    }

    if (!s.prometheus) {
        add(
            "CheckPrometheusRules",
            "Prometheus rules",
            "skip",
            "no Prometheus API for this stack (prometheus.apiUrl is empty)",
        );
        add("CheckPrometheusTargets", "Prometheus targets", "skip", "no Prometheus API for this stack");
    } else {
        const rules = await prometheusRules(s.prometheus);
        record("CheckPrometheusRules", "Prometheus rules", rules);
        if (!rules.answers) notTried("CheckPrometheusTargets", "Prometheus targets", "Prometheus does not answer");
        else
            record(
                "CheckPrometheusTargets",
                "Prometheus targets",
                await prometheusTargets(s.prometheus, timeouts.targetsMs),
            );
    }
    return { lines, ...(stored ? { canary: stored } : {}) };
}

type AddLine = (section: CheckSection, what: string, status: CheckStatus, detail: string) => void;
type PrometheusLinks = NonNullable<CheckInput["settings"]["prometheus"]>;
const apiOf = (p: PrometheusLinks) => p.apiUrl.replace(/\/$/, "");

/** The stack's rule group loaded and evaluating, and which of its alerts fire. */
async function prometheusRules(p: PrometheusLinks): Promise<Verdict & { answers: boolean }> {
    type Rules = { data: { groups: { name: string; rules: { name: string; state?: string; health: string }[] }[] } };
    let rules: Rules;
    try {
        rules = (await getJson(`${apiOf(p)}/api/v1/rules`)) as Rules;
    } catch (error) {
        return { ...failure(apiOf(p), error), answers: false };
    }
    const group = rules.data.groups.find((g) => g.name === p.ruleGroup);
    if (!group)
        return { ...verdict("fail", `${apiOf(p)} has not loaded the rule group ${p.ruleGroup}`), answers: true };
    const broken = group.rules.filter((r) => r.health === "err").map((r) => r.name);
    const firing = group.rules.filter((r) => r.state === "firing").map((r) => r.name);
    const detail =
        `${group.rules.length} rules of ${p.ruleGroup} loaded` +
        (broken.length ? `, failing to evaluate: ${broken.join(", ")}` : "") +
        `; firing: ${firing.length ? firing.join(", ") : "none"}`;
    return { ...verdict(broken.length ? "fail" : "pass", detail), answers: true };
}

/** Every scrape target of the stack up; a target not scraped yet is "unknown", so each gets one scrape. */
async function prometheusTargets(p: PrometheusLinks, ms: number): Promise<Verdict> {
    const up = await poll(ms, async () => {
        const targets = (await getJson(`${apiOf(p)}/api/v1/targets?state=active`)) as {
            data: { activeTargets: { labels: { instance: string }; health: string; lastError: string }[] };
        };
        const down = p.targets.flatMap((target) => {
            const found = targets.data.activeTargets.filter((t) => t.labels.instance === target);
            if (found.length === 0) return [`${target}: not among Prometheus's targets`];
            return found.filter((t) => t.health !== "up").map((t) => `${target}: ${t.health} ${t.lastError}`.trim());
        });
        return down.length === 0 ? true : down.join("; ");
    });
    return up === true ? verdict("pass", `all ${p.targets.length} up: ${p.targets.join(", ")}`) : verdict("fail", up);
}

/** One line per check; a failure names its runbook section. */
export function formatReport(report: CheckReport, runbookBaseUrl: string): string[] {
    const width = Math.max(...report.lines.map((l) => l.what.length));
    return report.lines.map((l) => {
        const status = l.status.toUpperCase().padEnd(9);
        const link = l.status === "fail" ? ` (runbook: ${runbookLink(runbookBaseUrl, l.section)})` : "";
        return `${status} ${l.what.padEnd(width)}  ${l.detail}${link}`;
    });
}

export const failed = (report: CheckReport) =>
    report.lines.some((l) => l.status === "fail" || l.status === "not tried");
