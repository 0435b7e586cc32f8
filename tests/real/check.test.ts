// The stack check (checks/run.ts, scripts/check.ts) against live stacks on this machine's Podman
// and a real Prometheus: every link passes on a healthy stack, and each failure names its link and
// runbook section. The production stack proves the canary is kept whatever the sampling ratio,
// and that a span with a guessed key is not.
import * as assert from "assert";
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { canaryService } from "../../checks/canary";
import { CheckReport, CheckTimeouts, failed, formatReport, runChecks } from "../../checks/run";
import { CheckInput, CheckSettings } from "../../checks/settings";
import { canaryAttribute } from "../../components/collector/config";
import { projectRoot } from "../../config/stackFile";
import { stackArtifacts } from "../../stack/files";
import { LiveStack, livePlan, startScrapingPrometheus, useLiveStack } from "../live";
import { exportSpans, jaegerSpans, makeSpans, succeeded, waitForJaeger } from "../otlp";
import { run, tempDir, waitFor } from "../tools";

const quick: CheckTimeouts = { canaryMs: 60_000, targetsMs: 30_000 };
const prometheusPort = 19093;

/** The stack's check settings as seen from this machine: the collector and Jaeger on localhost. */
function localInput(live: LiveStack, prometheus?: CheckSettings["prometheus"]): CheckInput {
    const { prometheus: _planned, ...check } = live.plan.check;
    const local = (url: string) => url.replace(`//${check.endpoint.host}:`, "//localhost:");
    return {
        settings: {
            ...check,
            endpoint: { ...check.endpoint, host: "localhost" },
            healthUrl: local(check.healthUrl),
            jaegerUrl: live.jaegerUrl,
            ...(prometheus ? { prometheus } : {}),
        },
        secrets: { token: live.token, canaryKey: live.canaryKey, ca: live.ca },
    };
}

const line = (report: CheckReport, section: string) => {
    const found = report.lines.find((l) => l.section === section);
    assert.ok(found, `no ${section} line`);
    return found;
};

describe("live: the stack check on the development stack", function () {
    this.timeout(600_000);
    const live = useLiveStack("development");
    let prometheus: ChildProcess | undefined;
    let dir = "";
    const api = () => ({
        apiUrl: `http://127.0.0.1:${prometheusPort}`,
        ruleGroup: live().plan.check.prometheus?.ruleGroup ?? "",
        targets: live().plan.check.prometheus?.targets ?? [],
    });

    before(() => {
        dir = tempDir("check");
        prometheus = startScrapingPrometheus(live().artifacts, dir, prometheusPort, { rules: true });
    });
    after(() => {
        prometheus?.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("passes every link, from the endpoint's name to Prometheus's targets, and finds the canary in Jaeger", async () => {
        const report = await runChecks(localInput(live(), api()), quick);
        const lines = formatReport(report, "docs/runbook.md");
        console.log(lines.map((l) => `      ${l}`).join("\n"));
        assert.deepStrictEqual(
            report.lines.filter((l) => l.status !== "pass").map((l) => `${l.section}: ${l.detail}`),
            [],
        );
        assert.ok(report.canary, "the canary's trace");
        const stored = await jaegerSpans(live().jaegerUrl, canaryService);
        const canary = stored.find((s) => s.traceId === report.canary?.traceId);
        assert.ok(canary, "Jaeger holds the canary's span");
        assert.ok(!(canary.attributes ?? []).some((a) => a.key === canaryAttribute), "the canary's key is not stored");
    });

    it("scripts/check.ts reads the stack outputs, prints a line per link and exits 0; with a wrong token it exits 1 naming CheckToken's runbook section", () => {
        const input = localInput(live(), api());
        const outputs = (token: string) => ({
            deployCheck: input.settings,
            otlpBearerToken: token,
            canaryKey: input.secrets.canaryKey,
            collectorCaCertificate: input.secrets.ca,
        });
        const check = (token: string) => {
            const file = path.join(dir, "outputs.json");
            fs.writeFileSync(file, JSON.stringify(outputs(token)), { mode: 0o600 });
            return spawnSync(
                path.join(projectRoot, "node_modules/.bin/ts-node"),
                ["--transpile-only", "scripts/check.ts", "--outputs", file],
                { cwd: projectRoot, encoding: "utf8", timeout: 300_000 },
            );
        };
        const good = check(live().token);
        console.log(good.stdout.replace(/^/gm, "      "));
        assert.strictEqual(good.status, 0, good.stdout + good.stderr);
        assert.strictEqual(good.stdout.split("\n").filter((l) => l.startsWith("PASS")).length, 8, good.stdout);
        assert.ok(!good.stdout.includes(live().token) && !good.stdout.includes(live().canaryKey), "no secret printed");

        const bad = check("not-the-token");
        assert.strictEqual(bad.status, 1, bad.stdout + bad.stderr);
        assert.match(bad.stderr, /^FAIL +token .*\(runbook: docs\/runbook\.md#checktoken\)$/m);
        assert.match(bad.stderr, /^NOT TRIED +canary stored/m);
    });

    it("fails CheckToken for a wrong token, and the canary is then not tried", async () => {
        const input = localInput(live(), api());
        const report = await runChecks({ ...input, secrets: { ...input.secrets, token: "not-the-token" } }, quick);
        assert.strictEqual(line(report, "CheckToken").status, "fail");
        assert.match(line(report, "CheckToken").detail, /refused/);
        assert.strictEqual(line(report, "CheckCanaryStored").status, "not tried");
        assert.ok(failed(report));
    });

    it("fails CheckJaeger with Jaeger stopped, and passes again once it is back", async () => {
        const jaeger = live().artifacts.containers.jaeger.name;
        run("podman", ["stop", "--time", "2", jaeger]);
        try {
            const report = await runChecks(localInput(live()), quick);
            assert.strictEqual(line(report, "CheckJaeger").status, "fail");
            assert.strictEqual(line(report, "CheckCanaryStored").status, "not tried");
            assert.match(formatReport(report, "docs/runbook.md").join("\n"), /#checkjaeger\)/);
        } finally {
            run("podman", ["start", jaeger]);
            await waitForJaeger(live().jaegerUrl);
        }
        // The canary sent while Jaeger was away waits in the queue; a new one goes through.
        const again = await runChecks(localInput(live()), quick);
        assert.strictEqual(line(again, "CheckCanaryStored").status, "pass", line(again, "CheckCanaryStored").detail);
    });

    it("fails CheckPrometheusTargets when Prometheus cannot resolve a target's name, with Prometheus's own error", async () => {
        // The same stack as Prometheus would scrape it by a name nothing resolves.
        const unresolvable = livePlan("development", live().hostDir, {
            prometheus: { scrapeAddress: "collector.invalid" },
        });
        const artifacts = stackArtifacts(unresolvable, { bearerToken: live().token, canaryKey: live().canaryKey });
        const otherDir = tempDir("check-unresolvable");
        const other = startScrapingPrometheus(artifacts, otherDir, prometheusPort + 1, { rules: true });
        try {
            await waitFor("the second Prometheus", async () => {
                const r = await fetch(`http://127.0.0.1:${prometheusPort + 1}/-/ready`).catch(() => undefined);
                return r?.ok || undefined;
            });
            const report = await runChecks(
                localInput(live(), {
                    apiUrl: `http://127.0.0.1:${prometheusPort + 1}`,
                    ruleGroup: unresolvable.check.prometheus?.ruleGroup ?? "",
                    targets: unresolvable.check.prometheus?.targets ?? [],
                }),
                quick,
            );
            const targets = line(report, "CheckPrometheusTargets");
            assert.strictEqual(targets.status, "fail");
            assert.match(targets.detail, /collector\.invalid:8888: down .*no such host/);
            assert.strictEqual(line(report, "CheckPrometheusRules").status, "pass");
        } finally {
            other.kill("SIGTERM");
            fs.rmSync(otherDir, { recursive: true, force: true });
        }
    });
});

describe("live: the deploy canary on the production stack (10 % sampling)", function () {
    this.timeout(600_000);
    const live = useLiveStack("production");

    it("keeps every canary, keeps a span with a guessed key only by the sampling ratio, and stores no key", async () => {
        const input = localInput(live());
        const canaries: string[] = [];
        for (let i = 0; i < 20; i++) {
            const report = await runChecks(input, { canaryMs: 60_000, targetsMs: 0 });
            assert.strictEqual(
                line(report, "CheckCanaryStored").status,
                "pass",
                line(report, "CheckCanaryStored").detail,
            );
            canaries.push(report.canary?.traceId ?? "");
        }
        // 20 spans carrying a wrong key, as an app trying to skip sampling would send them.
        const service = `check-guessed-key-${Date.now().toString(36)}`;
        const guessed = makeSpans({ service, traces: 20, attributes: { [canaryAttribute]: "not-the-canary-key" } });
        assert.ok(succeeded(await exportSpans(live().target("grpc"), guessed)));
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        const kept = new Set((await jaegerSpans(live().jaegerUrl, service)).map((s) => s.traceId)).size;
        console.log(`      20 of 20 canaries kept; ${kept} of 20 spans with a guessed key kept (10 % expected)`);
        // At 10 %, 10 or more of 20 happen once in about 150,000 runs.
        assert.ok(kept < 10, `${kept} of 20 spans with a guessed key kept`);
        const stored = await jaegerSpans(live().jaegerUrl, canaryService);
        assert.ok(canaries.every((id) => stored.some((s) => s.traceId === id)));
        assert.ok(
            stored.every((s) => !(s.attributes ?? []).some((a) => a.key === canaryAttribute)),
            "no stored canary carries the key",
        );
    });
});
