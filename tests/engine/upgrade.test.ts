// An upgrade with the real engine on booted Podman 5 hosts: the stack deployed by the program as
// it stood before the real-hosts work (tag before-real-hosts), then by this version over the same
// state, while an app sends, and the containers then come back after a reboot (the old version's
// restart policy did not). Known loss: the old version's containers carry no stop grace, so the
// provider removes its collector with SIGKILL and the traces it held undecided (accepted in the
// seconds before) are lost. The test measures that loss and holds it to those seconds; every span
// accepted before or after arrives.
import * as assert from "assert";
import * as fs from "fs";
import { collectorContainerName } from "../../components/collector/container";
import { jaegerContainerName } from "../../components/jaeger/jaeger";
import { projectRoot } from "../../config/stackFile";
import { targetFromOutputs } from "../deployed";
import { changedSteps, EngineProject } from "../engine";
import { bootHosts, BootedHost, HostLab } from "../hosts";
import {
    SendingApp,
    setUpPrometheusHost,
    singleHostValues,
    StackOnHosts,
    stackOnHosts,
    tearDownStackOnHosts,
    upWhileAppsSend,
} from "../hostStack";
import { waitForJaeger } from "../otlp";
import { run, runOk, tempDir } from "../tools";

const stack = "upgrade";
const runId = Date.now().toString(36);
/** The program before this work: the tag names it, the commit is what the test checks out. */
const previous = { tag: "before-real-hosts", commit: "067ec0a670a726284aee8e316a5b33df8d0b518a" };

/** The previous version's sources, from this clone's history. */
function previousProgram(): string {
    if (run("git", ["-C", projectRoot, "cat-file", "-e", `${previous.commit}^{commit}`]).status !== 0) {
        throw new Error(
            `the upgrade test deploys commit ${previous.commit} (tag ${previous.tag}) first, and this clone lacks it: fetch the history (git fetch --unshallow)`,
        );
    }
    const dir = tempDir("previous-program");
    runOk("sh", [
        "-c",
        `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`,
        "sh",
        projectRoot,
        previous.commit,
        dir,
    ]);
    return dir;
}

describe(`engine: upgrading a deployed stack from ${previous.tag} to this version on booted hosts`, function () {
    this.timeout(1_800_000);
    let lab: HostLab;
    let collectorHost: BootedHost;
    let project: EngineProject;
    let deployed: StackOnHosts | undefined;
    let agentEnv: NodeJS.ProcessEnv;
    let oldProgram: string;

    const upOk = () =>
        project.pulumiOk(["up", "--yes", "--skip-preview", "--stack", stack], { timeoutMs: 900_000, env: agentEnv });
    const restartPolicies = () =>
        collectorHost
            .sh(
                `podman inspect --format '{{.Name}} {{.HostConfig.RestartPolicy.Name}}' ${collectorContainerName} ${jaegerContainerName}`,
            )
            .trim();

    before(async () => {
        oldProgram = previousProgram();
        lab = await bootHosts(["collector", "prometheus"]);
        collectorHost = lab.host("collector");
        const prometheusHost = lab.host("prometheus");
        setUpPrometheusHost(prometheusHost, lab);
        deployed = await stackOnHosts(
            lab,
            stack,
            singleHostValues(collectorHost, prometheusHost, "upgrade-test"),
            oldProgram,
        );
        ({ project, env: agentEnv } = deployed);
    });
    after(() => {
        tearDownStackOnHosts(lab, stack, deployed, 600_000);
        if (oldProgram) fs.rmSync(oldProgram, { recursive: true, force: true });
    });

    it(`the ${previous.tag} version deploys, then this version's up while an app sends: only what the old collector held undecided when it was killed is lost; the containers then survive a reboot`, async () => {
        upOk();
        assert.match(restartPolicies(), /unless-stopped[\s\S]*unless-stopped/, "the old version placed its containers");
        const { target, jaegerUrl } = targetFromOutputs(project.outputs(stack));
        await waitForJaeger(jaegerUrl);

        project.useProgramFrom(projectRoot);
        const planned = changedSteps(project.preview(stack, ["--diff"], agentEnv));
        console.log(`      the upgrade plans:\n${planned.map((p) => `        ${p}`).join("\n")}`);
        const app = new SendingApp(`upgrade-${runId}`, [target]);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await upWhileAppsSend(deployed, stack);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await app.stop();
        const refused = app.refusals();
        console.log(
            `      ${app.attempts.length} exports during the upgrade, ${refused.count} refused over ${(refused.firstToLastMs / 1000).toFixed(1)} s`,
        );
        const delivery = await app.delivery(jaegerUrl, 60_000);
        const firstRefusal = Math.min(...app.attempts.filter((a) => !a.ok).map((a) => a.at));
        const lostBefore = delivery.lost.map((a) => (firstRefusal - a.at) / 1000);
        console.log(
            `      Jaeger holds ${delivery.acceptedHeld} of the ${delivery.accepted} spans the collector accepted; ` +
                `${delivery.lost.length} traces lost, accepted ${lostBefore.length ? `${Math.min(...lostBefore).toFixed(1)} to ${Math.max(...lostBefore).toFixed(1)} s` : "-"} before the old collector stopped answering`,
        );
        assert.strictEqual(delivery.unknownHeld, 0, "Jaeger holds only spans the app sent");
        // The tail sampler decides a trace about a second after its root; the bound leaves room for the batch and the kill.
        assert.ok(
            lostBefore.every((s) => s >= 0 && s <= 10),
            `only traces accepted in the 10 s before the kill are lost: ${lostBefore.join(", ")}`,
        );
        assert.match(restartPolicies(), /always[\s\S]*always/);
        project.pulumiOk(["preview", "--expect-no-changes", "--stack", stack], { env: agentEnv });

        await collectorHost.reboot();
        await waitForJaeger(jaegerUrl);
        const running = collectorHost.sh("podman ps --format '{{.Names}}'").trim().split("\n").sort();
        assert.deepStrictEqual(
            running,
            [collectorContainerName, jaegerContainerName].sort(),
            "both back after the reboot",
        );
    });
});
