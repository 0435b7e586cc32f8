// Every resource's URN and what it waits for, per stack file, against a committed list. A URN
// that changes makes Pulumi delete and re-create the resource (a container, a volume, a step)
// on the next `up`, so a refactoring must leave this list as it is; a deliberate change updates
// the list (URNS_WRITE=1) and says why in its commit.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Registered, runStack, stackNames } from "./harness";

const fixture = path.join(__dirname, "fixtures", "urns.json");

/** URN of a registered resource: its parents' types joined by "$", then its own type and name. */
function urnOf(r: Registered, stack: string): string {
    const parentTypes = r.parent && !r.parent.includes("::pulumi:pulumi:Stack::") ? r.parent.split("::")[2] + "$" : "";
    return `urn:pulumi:${stack}::ivatar-otel::${parentTypes}${r.type}::${r.name}`;
}

async function urnsOf(stack: (typeof stackNames)[number]): Promise<Record<string, string[]>> {
    const run = await runStack(stack);
    const entries = run.resources.map((r) => [urnOf(r, stack), [...r.dependencies].sort()] as const);
    return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

describe("resource URNs and dependencies per stack file", () => {
    for (const stack of stackNames) {
        it(`Pulumi.${stack}.yaml registers the committed URNs, each waiting for the same resources`, async () => {
            const found = await urnsOf(stack);
            const all = fs.existsSync(fixture) ? (JSON.parse(fs.readFileSync(fixture, "utf8")) as Record<string, unknown>) : {};
            if (process.env.URNS_WRITE === "1") {
                fs.writeFileSync(fixture, JSON.stringify({ ...all, [stack]: found }, null, 2) + "\n");
                return;
            }
            assert.deepStrictEqual(found, all[stack], `URNs of ${stack} changed (URNS_WRITE=1 rewrites ${fixture})`);
        });
    }
});
