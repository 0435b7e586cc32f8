// Every resource's URN and what it waits for, per stack file, against a committed list. A URN
// that changes makes Pulumi delete and re-create the resource (a container, a volume, a step)
// on the next `up`, unless the resource carries an alias to its old URN. So every committed URN
// must still be there or be aliased, and a deliberate change updates the list (URNS_WRITE=1)
// and says why in its commit.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { allStackNames, runStack } from "./harness";

const fixture = path.join(__dirname, "fixtures", "urns.json");

/** URN of a resource: its parent's types joined by "$", then its own type and name. */
function urn(stack: string, parent: string | undefined, type: string, name: string): string {
    const parentTypes = parent && !parent.includes("::pulumi:pulumi:Stack::") ? parent.split("::")[2] + "$" : "";
    return `urn:pulumi:${stack}::ivatar-otel::${parentTypes}${type}::${name}`;
}

async function urnsOf(
    stack: (typeof allStackNames)[number],
): Promise<{ found: Record<string, string[]>; aliased: Map<string, string> }> {
    const run = await runStack(stack);
    const found = Object.fromEntries(
        run.resources
            .map((r) => [urn(stack, r.parent, r.type, r.name), [...r.dependencies].sort()] as const)
            .sort(([a], [b]) => a.localeCompare(b)),
    );
    // Old URN -> the URN of the resource that now answers for it.
    const aliased = new Map(
        run.resources.flatMap((r) =>
            r.aliases.map(
                (a) =>
                    [
                        urn(
                            stack,
                            a.noParent ? undefined : (a.parentUrn ?? r.parent),
                            a.type ?? r.type,
                            a.name ?? r.name,
                        ),
                        urn(stack, r.parent, r.type, r.name),
                    ] as const,
            ),
        ),
    );
    return { found, aliased };
}

describe("resource URNs and dependencies per stack file", () => {
    for (const stack of allStackNames) {
        it(`Pulumi.${stack}.yaml registers the committed URNs, each waiting for the same resources`, async () => {
            const { found, aliased } = await urnsOf(stack);
            const all = fs.existsSync(fixture)
                ? (JSON.parse(fs.readFileSync(fixture, "utf8")) as Record<string, unknown>)
                : {};
            if (process.env.URNS_WRITE === "1") {
                fs.writeFileSync(fixture, JSON.stringify({ ...all, [stack]: found }, null, 2) + "\n");
                return;
            }
            // A committed URN that moved, with an alias at its new place, counts as that resource.
            const expected = Object.fromEntries(
                Object.entries((all[stack] ?? {}) as Record<string, string[]>).map(([old, deps]) => [
                    old in found ? old : (aliased.get(old) ?? old),
                    deps.map((d) => (d in found ? d : (aliased.get(d) ?? d))).sort(),
                ]),
            );
            assert.deepStrictEqual(
                found,
                expected,
                `URNs of ${stack} changed without an alias (URNS_WRITE=1 rewrites ${fixture})`,
            );
        });
    }
});
