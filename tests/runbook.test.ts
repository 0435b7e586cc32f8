// Every alert any stack file renders links to a section of docs/runbook.md that exists, and the
// runbook has no section for an alert no stack renders.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { alertRules } from "../components/prometheus/rules";
import { planFor } from "../stack/plan";
import { allStackNames } from "./harness";

describe("the runbook", () => {
    it("has one section per alert of every stack file, and none besides", () => {
        const runbook = fs.readFileSync(path.join(__dirname, "..", "docs", "runbook.md"), "utf8");
        const sections = [...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]).sort();
        const alerts = [
            ...new Set(
                allStackNames.flatMap((stack) => alertRules(planFor(stack).prometheus.rules).map((r) => r.alert)),
            ),
        ].sort();
        assert.deepStrictEqual(sections, alerts);
    });
});
