// Every alert any stack file renders, and every link the stack check follows, links to a section
// of docs/runbook.md that exists, and the runbook has no section for anything else.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkSections } from "../checks/run";
import { alertRules } from "../components/prometheus/rules";
import { planFor } from "../stack/plan";
import { allStackNames } from "./harness";

describe("the runbook", () => {
    it("has one section per alert of every stack file and per link the stack check follows, and none besides", () => {
        const runbook = fs.readFileSync(path.join(__dirname, "..", "docs", "runbook.md"), "utf8");
        const sections = [...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]).sort();
        const alerts = [
            ...new Set(
                allStackNames.flatMap((stack) => alertRules(planFor(stack).prometheus.rules).map((r) => r.alert)),
            ),
        ].sort();
        assert.deepStrictEqual(sections, [...alerts, ...checkSections].sort());
    });
});
