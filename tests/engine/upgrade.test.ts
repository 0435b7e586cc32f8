// An upgrade with the real engine on booted Podman 5 hosts: the stack deployed by the program as
// it stood before the real-hosts work (tag before-real-hosts), then by this version over the same
// state, while an app sends, and the containers then come back after a reboot (the old version's
// restart policy did not). The old version's state gives its containers no stop grace, so the
// provider alone would kill the old collector and lose the traces it held undecided: this version
// stops each such container gracefully just before replacing it (handoverScript), and every span
// the collector accepted arrives.
import * as assert from "assert";
import * as fs from "fs";
import { collectorContainerName } from "../../components/collector/container";
import { jaegerContainerName } from "../../components/jaeger/jaeger";
import { projectRoot } from "../../config/stackFile";
import { targetFromOutputs } from "../deployed";
import { changedSteps, EngineProject } from "../engine";
import { bootHosts, BootedHost, HostLab } from "../hosts";
import {
    assertEveryAcceptedSpanArrived,
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

    it(`the ${previous.tag} version deploys, then this version's up while an app sends: the old containers are stopped gracefully before their replacement, every accepted span arrives, and the containers then survive a reboot`, async () => {
        upOk();
        assert.match(restartPolicies(), /unless-stopped[\s\S]*unless-stopped/, "the old version placed its containers");
        const { target, jaegerUrl } = targetFromOutputs(project.outputs(stack));
        await waitForJaeger(jaegerUrl);

        project.useProgramFrom(projectRoot);
        const planned = changedSteps(project.preview(stack, ["--diff"], agentEnv));
        console.log(`      the upgrade plans:\n${planned.map((p) => `        ${p}`).join("\n")}`);
        const app = new SendingApp(`upgrade-${runId}`, [target]);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const output = await upWhileAppsSend(deployed, stack);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await app.stop();
        for (const name of [collectorContainerName, jaegerContainerName])
            assert.match(output, new RegExp(`stopping ${name} with a 30 s grace`), `${name} handed over:\n${output}`);
        const refused = app.refusals();
        console.log(
            `      ${app.attempts.length} exports during the upgrade, ${refused.count} refused over ${(refused.firstToLastMs / 1000).toFixed(1)} s`,
        );
        assertEveryAcceptedSpanArrived(await app.delivery(jaegerUrl, 60_000), "the collector");
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
