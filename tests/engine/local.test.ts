// `pulumi up --stack local` with the real engine on this machine's Podman (API socket served by
// `podman system service`, as podman.socket serves it on a host): what it places matches the
// container specs, telemetry sent with the stack outputs reaches Jaeger, a second `up` changes
// nothing, a changed setting replaces only the collector and loses no queued span, and
// `destroy` removes everything but the retained volumes.
import * as assert from "assert";
import * as fs from "fs";
import { parse } from "yaml";
import { collectorPaths } from "../../components/collector/config";
import { StackArtifacts, stackArtifacts } from "../../stack/files";
import { planFor, privateNetwork, StackPlan } from "../../stack/plan";
import {
    assertPlacedAsSpecified,
    fileInContainer,
    grafanaFiles,
    removeLeftovers,
    retainedVolumes,
    targetFromOutputs,
    tlsStepOf,
} from "../deployed";
import { assertOnlyCollectorReplaced, changedSteps, EngineProject, startPodmanService } from "../engine";
import { exportSpans, makeSpans, spansInJaeger, succeeded } from "../otlp";
import { run, runOk } from "../tools";

const stack = "local";
const runId = Date.now().toString(36);

describe("engine: pulumi up / up again / change / destroy on the local stack", function () {
    this.timeout(900_000);
    let project: EngineProject;
    let stopPodman: () => void;
    let plan: StackPlan;
    let artifacts: StackArtifacts;
    let token: string;

    before(() => {
        plan = planFor(stack);
        artifacts = stackArtifacts(plan, { bearerToken: "unused", canaryKey: "unused" });
        removeLeftovers(artifacts, plan);
        stopPodman = startPodmanService();
        project = new EngineProject();
        project.initStack(stack);
    });
    after(() => {
        if (project) project.pulumi(["destroy", "--yes", "--stack", stack], { timeoutMs: 300_000 });
        if (artifacts && plan) removeLeftovers(artifacts, plan);
        stopPodman?.();
        project?.remove();
    });

    it("pulumi up places the containers, network, volumes and files the specs describe", () => {
        project.pulumiOk(["up", "--yes", "--skip-preview", "--stack", stack], { timeoutMs: 600_000 });
        token = String(project.outputs(stack).otlpBearerToken);
        const expected = stackArtifacts(plan, {
            bearerToken: token,
            canaryKey: String(project.outputs(stack).canaryKey),
        }).containers;
        assertPlacedAsSpecified(expected.jaeger);
        assertPlacedAsSpecified(expected.collector);
        assert.strictEqual(fileInContainer(expected.collector.name, collectorPaths.bearerToken), token);
        for (const volume of retainedVolumes)
            assert.strictEqual(run("podman", ["volume", "exists", volume]).status, 0, volume);
        for (const file of [
            plan.prometheus.rulesPath,
            plan.prometheus.scrapePath,
            `${tlsStepOf(plan).dir}/server.crt`,
            ...grafanaFiles(plan),
        ]) {
            assert.ok(fs.existsSync(file), `${file} placed`);
        }
    });

    it("telemetry sent with the stack outputs, read as a deployment job reads them, reaches Jaeger", async () => {
        const { target, jaegerUrl } = targetFromOutputs(project.outputs(stack));
        assert.strictEqual(target.token, token);
        const service = `engine-local-${runId}`;
        const result = await exportSpans(target, makeSpans({ service, traces: 20, children: 2 }));
        assert.ok(succeeded(result), `export failed: ${result.error}`);
        assert.strictEqual(await spansInJaeger(jaegerUrl, service, 60), 60);
    });

    it("npm run check -- --stack local reads the stack outputs and passes every link (Prometheus skipped: none on this stack)", () => {
        const check = project.command("npm", ["run", "--silent", "check", "--", "--stack", stack]);
        console.log(check.stdout.replace(/^/gm, "      "));
        assert.strictEqual(check.status, 0, `${check.stdout}${check.stderr}`);
        const lines = check.stdout.split("\n");
        assert.strictEqual(lines.filter((l) => l.startsWith("PASS")).length, 6, check.stdout);
        assert.strictEqual(lines.filter((l) => l.startsWith("SKIP")).length, 2, check.stdout);
        assert.match(check.stdout, /^canary trace [0-9a-f]{32}: http:\/\/localhost:16686\/trace\//m);
        assert.ok(!check.stdout.includes(token) && !check.stderr.includes(token), "no secret printed");
    });

    it("pulumi up again changes nothing", () => {
        assert.deepStrictEqual(changedSteps(project.preview(stack)), []);
        project.pulumiOk(["up", "--yes", "--expect-no-changes", "--stack", stack]);
    });

    it("a changed sampling ratio replaces only the collector, and spans queued meanwhile all arrive; the deploy check fails that up while Jaeger is away, and passes the next", async () => {
        const { target, jaegerUrl } = targetFromOutputs(project.outputs(stack));
        const jaeger = artifacts.containers.jaeger.name;
        const service = `engine-change-${runId}`;
        runOk("podman", ["stop", "--time", "5", jaeger]);
        try {
            for (let i = 0; i < 5; i++) {
                const result = await exportSpans(target, makeSpans({ service, traces: 100, children: 1 }));
                assert.ok(succeeded(result), `export failed: ${result.error}`);
            }
            // Tail sampling decides 10 s after a trace's last span; then the spans wait in the queue.
            await new Promise((resolve) => setTimeout(resolve, 15_000));

            project.pulumiOk(["config", "set", "--stack", stack, "ivatar-otel:samplingRatio", "0.5"]);
            assertOnlyCollectorReplaced(project.preview(stack, ["--diff"]));
            // What a merge-request note shows: the changed key of the collector's config (the
            // collectorConfig output; the container's files are one secret property), and no secret.
            const review = project.pulumiOk(["preview", "--diff", "--stack", stack]);
            assert.match(review, /~ sampling_percentage: 100 => 50/, review);
            assert.match(review, /~ samplingRatio *: 1 => 0\.5/, review);
            assert.ok(!review.includes(token), "the bearer token is not in the diff");
            // The up replaces the collector, then its deploy check finds Jaeger away and fails it.
            const whileAway = project.pulumi(["up", "--yes", "--skip-preview", "--stack", stack], {
                timeoutMs: 600_000,
            });
            const output = `${whileAway.stdout}${whileAway.stderr}`;
            assert.notStrictEqual(whileAway.status, 0, output);
            assert.match(output, /FAIL +Jaeger .*\(runbook: docs\/runbook\.md#checkjaeger\)/);
        } finally {
            runOk("podman", ["start", jaeger]);
        }
        // With Jaeger back, the next up runs the check again, and it passes.
        const again = project.pulumiOk(["up", "--yes", "--skip-preview", "--stack", stack], { timeoutMs: 600_000 });
        assert.match(again, /PASS +canary stored +Jaeger holds the canary/);
        const config = parse(fileInContainer(artifacts.containers.collector.name, collectorPaths.config));
        assert.strictEqual(config.processors.tail_sampling.policies[1].probabilistic.sampling_percentage, 50);
        const held = await spansInJaeger(jaegerUrl, service, 1000, 180_000);
        assert.strictEqual(held, 1000, "every span queued before the replacement reaches Jaeger");
    });

    it("pulumi destroy removes everything placed but the retained volumes", () => {
        project.pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", stack], { timeoutMs: 600_000 });
        for (const spec of [artifacts.containers.collector, artifacts.containers.jaeger]) {
            assert.notStrictEqual(run("podman", ["container", "exists", spec.name]).status, 0, `${spec.name} removed`);
        }
        assert.notStrictEqual(run("podman", ["network", "exists", privateNetwork]).status, 0, "network removed");
        for (const file of [
            plan.prometheus.rulesPath,
            plan.prometheus.scrapePath,
            `${tlsStepOf(plan).dir}/server.crt`,
            ...grafanaFiles(plan),
        ]) {
            assert.ok(!fs.existsSync(file), `${file} removed`);
        }
        for (const volume of retainedVolumes)
            assert.strictEqual(run("podman", ["volume", "exists", volume]).status, 0, `${volume} kept`);
    });
});
