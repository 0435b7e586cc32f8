// Every stack file previews with the real Pulumi engine, planning exactly the resources the mock
// tests see. (What `preview --diff` shows a reviewer after a one-key change needs a deployed
// state: local.test.ts and ssh.test.ts check it.)
import * as assert from "assert";
import { EngineProject, PreviewStep, startPodmanService, urnKey } from "../engine";
import { allStackNames, runStack } from "../harness";

/** "type::name" of every resource the program registers under Pulumi's mocks. */
async function mockedResources(stack: (typeof allStackNames)[number]): Promise<string[]> {
    const run = await runStack(stack);
    return run.resources.map((r) => `${r.type}::${r.name}`).sort();
}

/** The planned resources, without the default providers the engine adds by itself. */
function plannedResources(steps: PreviewStep[]): string[] {
    return steps
        .map((s) => urnKey(s.urn))
        .filter((k) => !/^pulumi:providers:[a-z]+::default/.test(k))
        .sort();
}

describe("engine: pulumi preview of every stack file", function () {
    this.timeout(600_000);
    let project: EngineProject;
    let stopPodman: () => void;

    before(() => {
        // The local stack's docker provider connects to this machine's Podman socket even to preview.
        stopPodman = startPodmanService();
        project = new EngineProject();
    });
    after(() => {
        stopPodman?.();
        project?.remove();
    });

    for (const stack of allStackNames) {
        it(`Pulumi.${stack}.yaml previews, creating what the mock tests register`, async () => {
            project.initStack(stack);
            const steps = project.preview(stack);
            assert.ok(
                steps.every((s) => s.op === "create"),
                steps.map((s) => `${s.op} ${s.urn}`).join("\n"),
            );
            const planned = plannedResources(steps);
            assert.deepStrictEqual(planned, await mockedResources(stack));
            console.log(`      ${stack}: ${planned.length} resources to create`);
        });
    }

    it("a bad value stops the preview with the program's own message, naming the key", () => {
        const result = project.pulumi([
            "preview",
            "--stack",
            "production",
            "--config",
            "ivatar-otel:samplingRatio=1.5",
        ]);
        assert.notStrictEqual(result.status, 0);
        const output = `${result.stdout}${result.stderr}`;
        assert.match(output, /ivatar-otel:samplingRatio: expected a number from 0 to 1, found 1\.5/);
        assert.match(output, /nothing was deployed/);
    });
});
