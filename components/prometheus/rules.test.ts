// The alert rules renderer, on literal settings (promtool checks and unit-tests the rendered
// files in tests/real/artifacts.test.ts; the metric names are checked on a live collector).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { collectorMetrics, refusedRequests } from "../selfMetrics";
import { alertRules, renderRuleTests, RuleSettings } from "./rules";

const production: RuleSettings = {
    environment: "production",
    cpus: 4,
    memoryMb: 8192,
    runbookBaseUrl: "docs/runbook.md",
};
const development: RuleSettings = { ...production, environment: "development", cpus: 2, memoryMb: 4096 };

describe("alert rules renderer", () => {
    it("scales the CPU and memory alerts to the container's limits", () => {
        const rules = alertRules(production);
        const cpu = rules.find((r) => r.alert === "HighCollectorCPU");
        const memory = rules.find((r) => r.alert === "HighCollectorMemory");
        assert.match(cpu?.expr ?? "", /\/ 4 > 0\.8$/);
        assert.match(memory?.expr ?? "", new RegExp(`/ ${8192 * 1024 * 1024} > 0\\.8$`));
        const dev = alertRules(development);
        assert.match(dev.find((r) => r.alert === "HighCollectorCPU")?.expr ?? "", /\/ 2 > 0\.8$/);
    });

    it("gives every alert a severity, summary, description and runbook link", () => {
        const rules = alertRules(production);
        assert.ok(rules.length >= 7);
        for (const r of rules) {
            assert.ok(["critical", "warning"].includes(r.labels.severity), r.alert);
            assert.ok(r.annotations.summary && r.annotations.description, r.alert);
            assert.strictEqual(r.annotations.runbook_url, `docs/runbook.md#${r.alert.toLowerCase()}`);
        }
    });

    it("adds the collector tier's alerts only for a tier, each with its own promtool test", () => {
        const names = (settings: RuleSettings) => alertRules(settings).map((r) => r.alert);
        assert.ok(!names(production).some((n) => n.startsWith("OtelCollectorTier")));
        const tier = { ...production, tier: { samplers: 3 } };
        assert.deepStrictEqual(
            names(tier).filter((n) => n.startsWith("OtelCollectorTier")),
            ["OtelCollectorTierBackendsMissing", "OtelCollectorTierBackendFailing"],
        );
        assert.match(alertRules(tier).find((r) => r.alert === "OtelCollectorTierBackendsMissing")?.expr ?? "", / < 3$/);
        const tests = (parse(renderRuleTests(tier, "rules.yml")) as { tests: { name: string }[] }).tests.map(
            (t) => t.name,
        );
        for (const alert of ["OtelCollectorTierBackendsMissing", "OtelCollectorTierBackendFailing"]) {
            assert.ok(tests.includes(`${alert} fires`) && tests.includes(`${alert} stays quiet`), alert);
        }
    });

    it("has a runbook section for every alert, the tier's included", () => {
        const runbook = fs.readFileSync(path.join(__dirname, "../../docs/runbook.md"), "utf8");
        for (const r of alertRules({ ...production, tier: { samplers: 3 } }))
            assert.match(runbook, new RegExp(`^## ${r.alert}$`, "m"), r.alert);
    });

    it("refers only to metric names the pinned collector exposes (as listed in collectorMetrics and refusedRequests)", () => {
        const known = new Set([
            ...Object.values(collectorMetrics),
            ...Object.values(refusedRequests).map((r) => r.metric),
            "up",
        ]);
        for (const r of alertRules({ ...production, tier: { samplers: 3 } })) {
            for (const name of r.expr.match(/\b((?:otelcol|rpc_server|http_server)_[a-z_]+|up)\b/g) ?? [])
                assert.ok(known.has(name), `${r.alert}: ${name}`);
        }
    });

    it("ships a firing and a quiet test for every alert", () => {
        const all = { ...production, tier: { samplers: 2 }, noSpansFor: "15m" };
        const suite = parse(renderRuleTests(all, "rules.yml")) as {
            tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
        };
        for (const r of alertRules(all)) {
            const cases = suite.tests.flatMap((t) => t.alert_rule_test).filter((t) => t.alertname === r.alert);
            const counts = cases.map((c) => c.exp_alerts.length);
            assert.strictEqual(counts.filter((n) => n === 0).length, 1, `${r.alert}: one quiet test`);
            assert.ok(counts.filter((n) => n === 1).length >= 1, `${r.alert}: a firing test`);
            assert.strictEqual(counts.length, counts.filter((n) => n <= 1).length, r.alert);
        }
    });
});
