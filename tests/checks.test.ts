// The stack check's inputs and report, on literal values (tests/real/check.test.ts runs the checks live).
import * as assert from "assert";
import { checkSections, formatReport } from "../checks/run";
import { checkInputFromOutputs, parseCheckInput } from "../checks/settings";
import { planFor, planStack } from "../stack/plan";
import { readStackValues, validateStack } from "../config/load";
import { stackConfig } from "../config/stackFile";

const settings = planFor("production").check;

describe("the stack check's inputs", () => {
    it("reads the stack outputs, and names what is missing without printing a value", () => {
        const outputs = { deployCheck: settings, otlpBearerToken: "t0ken-value", canaryKey: "keyValue" };
        const input = checkInputFromOutputs(outputs);
        assert.deepStrictEqual(input.secrets, { token: "t0ken-value", canaryKey: "keyValue" });
        assert.throws(
            () => checkInputFromOutputs({ deployCheck: settings, otlpBearerToken: "t0ken-value" }),
            (error: Error) => /lack canaryKey/.test(error.message) && !error.message.includes("t0ken-value"),
        );
        assert.throws(
            () => checkInputFromOutputs({ otlpBearerToken: "[secret]", canaryKey: 1 }),
            /deployCheck, canaryKey/,
        );
        assert.deepStrictEqual(parseCheckInput(JSON.stringify(input)), input);
    });

    it("reaches Prometheus's API by the reload URL's port on the Prometheus host, by apiUrl when set, and not at all without either", () => {
        assert.strictEqual(settings.prometheus?.apiUrl, "http://prometheus.internal:9090");
        assert.strictEqual(settings.prometheus?.ruleGroup, "ivatar-otel-collector-production");
        const values = readStackValues(stackConfig("production"));
        const withApi = (apiUrl: string) =>
            planStack(validateStack({ ...values, prometheus: { ...(values.prometheus as object), apiUrl } })).check
                .prometheus;
        assert.strictEqual(
            withApi("https://prometheus.example.org/prom")?.apiUrl,
            "https://prometheus.example.org/prom",
        );
        assert.strictEqual(withApi(""), undefined);
        assert.strictEqual(planFor("local").check.prometheus, undefined, "local: no reload URL, no Prometheus");
    });

    it("fails a certificate a day short of the renewal window", () => {
        assert.strictEqual(settings.certificateDaysMinimum, 29);
    });
});

describe("the stack check's report", () => {
    it("gives a failing link its runbook section, and only a failing one", () => {
        const lines = formatReport(
            {
                lines: [
                    { section: "CheckEndpointName", what: "endpoint name", status: "pass", detail: "resolves" },
                    { section: "CheckToken", what: "token", status: "fail", detail: "refused" },
                    { section: "CheckCanaryStored", what: "canary stored", status: "not tried", detail: "no canary" },
                ],
            },
            "https://gitlab.example.org/ivatar-otel/-/blob/main/docs/runbook.md",
        );
        assert.deepStrictEqual(lines, [
            "PASS      endpoint name  resolves",
            "FAIL      token          refused (runbook: https://gitlab.example.org/ivatar-otel/-/blob/main/docs/runbook.md#checktoken)",
            "NOT TRIED canary stored  no canary",
        ]);
        assert.strictEqual(checkSections.length, 8);
    });
});
