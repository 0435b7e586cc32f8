// A remote stack with the real engine: this machine stands in for a Podman host behind the
// loopback test sshd. The docker provider reaches Podman over `ssh://` (its `docker system
// dial-stdio` on the host) with the pinned host key; the steps run through the command provider's
// own SSH client with the key from secret config. A wrong host key is refused before anything is
// placed; the right one places everything, firewall included, and telemetry flows through it; a
// second `up` changes nothing, a changed ratio replaces only the collector, `destroy` cleans up.
import * as assert from "assert";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { collectorPaths } from "../../components/collector/config";
import { firewallTable } from "../../components/firewall/ruleset";
import { stackArtifacts } from "../../stack/files";
import { validateStack } from "../../config/load";
import { planStack, privateNetwork, StackPlan } from "../../stack/plan";
import {
    assertPlacedAsSpecified,
    fileInContainer,
    grafanaFiles,
    removeLeftovers,
    retainedVolumes,
    targetFromOutputs,
    tlsStepOf,
} from "../deployed";
import {
    assertOnlyCollectorReplaced,
    changedSteps,
    EngineProject,
    stackFile,
    startAgent,
    startPodmanService,
} from "../engine";
import { exportSpans, makeSpans, spansInJaeger, succeeded } from "../otlp";
import { startSshd, stopSshd, TestHost } from "../sshd";
import { run, runOk, tempDir, waitFor } from "../tools";

const stack = "ssh";
const sshPort = 2223;
const podmanSocket = "/run/podman/podman.sock";
const runId = Date.now().toString(36);

/** The stack's values: the development defaults, with this machine as both hosts. */
function stackValues(host: TestHost, hostKey: string, work: string): Record<string, unknown> {
    const sshHost = { address: "127.0.0.1", port: host.port, user: "root", hostKey };
    return {
        environment: "development",
        serviceVersion: "engine-test",
        collectorHost: sshHost,
        // A small queue: the preflight checks the disk has room for it (test machines vary).
        collector: {
            cpus: 1,
            memoryMb: 1024,
            queueDiskGiB: 1,
            endpointHost: "localhost",
            hostDir: path.join(work, "host"),
        },
        prometheus: {
            host: sshHost,
            rulesDir: path.join(work, "rules.d"),
            scrapeConfigDir: path.join(work, "scrape.d"),
            reloadUrl: "",
            scrapeAddress: "localhost",
        },
        grafana: {
            provisioningDir: path.join(work, "grafana/provisioning"),
            dashboardsDir: path.join(work, "grafana/dashboards"),
            datasourcesDir: path.join(work, "grafana/datasources"),
        },
        trustedNetworks: { ingest: ["127.0.0.0/8"], metrics: ["127.0.0.0/8"], admin: ["127.0.0.0/8"] },
        firewall: { enabled: true },
    };
}

describe("engine: a stack on a remote Podman host over SSH", function () {
    this.timeout(900_000);
    let project: EngineProject;
    let host: TestHost;
    let work: string;
    let plan: StackPlan;
    let agent: ChildProcess | undefined;
    let agentEnv: NodeJS.ProcessEnv;
    let stopPodman: () => void;

    const placedNothing = () => {
        assert.notStrictEqual(
            run("podman", ["container", "exists", "ivatar-otel-collector"]).status,
            0,
            "no collector container",
        );
        assert.notStrictEqual(run("podman", ["network", "exists", privateNetwork]).status, 0, "no network");
        assert.notStrictEqual(run("nft", ["list", "table", "inet", firewallTable]).status, 0, "no firewall table");
        assert.ok(
            !fs.existsSync(path.join(work, "host")) || fs.readdirSync(path.join(work, "host")).length === 0,
            "no host files",
        );
    };

    before(async () => {
        work = tempDir("engine-ssh");
        // Grafana's provisioning directory, as its package would have made it.
        fs.mkdirSync(path.join(work, "grafana/provisioning"), { recursive: true, mode: 0o755 });
        fs.mkdirSync(path.join(work, "grafana/datasources"), { recursive: true, mode: 0o755 });
        // The Docker CLI's `system dial-stdio` on the host connects to DOCKER_HOST: Podman's socket.
        host = startSshd(sshPort, { DOCKER_HOST: `unix://${podmanSocket}` });
        const started = await startAgent(work, host.clientKey);
        agent = started.agent;
        agentEnv = started.env;
        stopPodman = startPodmanService(podmanSocket);
        plan = planStack(validateStack(stackValues(host, host.hostKey, work)));
        removeLeftovers(stackArtifacts(plan, { bearerToken: "unused", canaryKey: "unused" }), plan);
        run("nft", ["delete", "table", "inet", firewallTable]);
        project = new EngineProject();
        await waitFor(
            "sshd",
            () =>
                run("ssh", [
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "UserKnownHostsFile=/dev/null",
                    "-i",
                    host.clientKey,
                    "-p",
                    String(sshPort),
                    "root@127.0.0.1",
                    "true",
                ]).status === 0
                    ? true
                    : undefined,
            15_000,
        );
    });
    after(() => {
        if (project)
            project.pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack], {
                timeoutMs: 300_000,
                env: agentEnv,
            });
        if (plan) removeLeftovers(stackArtifacts(plan, { bearerToken: "unused", canaryKey: "unused" }), plan);
        run("nft", ["delete", "table", "inet", firewallTable]);
        stopPodman?.();
        agent?.kill();
        stopSshd(host);
        project?.remove();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("a host key other than the pinned one is refused, and nothing is placed", () => {
        const other = tempDir("other-key");
        runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(other, "key")]);
        const wrongKey = fs.readFileSync(path.join(other, "key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
        fs.rmSync(other, { recursive: true, force: true });
        project.writeStackFile(stack, stackFile(stackValues(host, wrongKey, work)));
        project.initStack(stack);
        // On stdin, as the README shows, so the key is on no command line.
        project.pulumiOk(["config", "set", "--secret", "--stack", stack, "ivatar-otel:sshPrivateKey"], {
            input: fs.readFileSync(host.clientKey, "utf8"),
        });
        const result = project.pulumi(["up", "--yes", "--skip-preview", "--stack", stack], {
            timeoutMs: 300_000,
            env: agentEnv,
        });
        assert.notStrictEqual(result.status, 0, "up must fail");
        assert.match(`${result.stdout}${result.stderr}`, /host key (mismatch|verification failed)/i);
        placedNothing();
    });

    it("with the pinned host key, pulumi up places everything over SSH, and telemetry flows through the firewall", async () => {
        const stored = fs.readFileSync(path.join(project.dir, `Pulumi.${stack}.yaml`), "utf8");
        assert.match(
            stored,
            /ivatar-otel:sshPrivateKey:\n\s+secure: /,
            "the SSH key is stored encrypted in the stack file",
        );
        assert.ok(!stored.includes("PRIVATE KEY"), "and not in plain text");
        // The fix an operator makes: the key `ssh-keyscan` prints, for both hosts.
        for (const key of ["ivatar-otel:collectorHost.hostKey", "ivatar-otel:prometheus.host.hostKey"]) {
            project.pulumiOk(["config", "set", "--path", "--stack", stack, key, host.hostKey]);
        }
        project.pulumiOk(["up", "--yes", "--skip-preview", "--stack", stack], { timeoutMs: 600_000, env: agentEnv });

        const outputs = project.outputs(stack);
        const expected = stackArtifacts(plan, {
            bearerToken: String(outputs.otlpBearerToken),
            canaryKey: String(outputs.canaryKey),
        }).containers;
        assertPlacedAsSpecified(expected.jaeger);
        assertPlacedAsSpecified(expected.collector);
        assert.match(runOk("nft", ["list", "table", "inet", firewallTable]), /fib daddr type local/);
        for (const file of [
            plan.prometheus.rulesPath,
            plan.prometheus.scrapePath,
            `${tlsStepOf(plan).dir}/server.crt`,
            ...grafanaFiles(plan),
        ]) {
            assert.ok(fs.existsSync(file), `${file} placed`);
        }

        const { target, jaegerUrl } = targetFromOutputs(outputs);
        const service = `engine-ssh-${runId}`;
        const result = await exportSpans(target, makeSpans({ service, traces: 20, children: 2 }));
        assert.ok(succeeded(result), `export failed: ${result.error}`);
        assert.strictEqual(
            await spansInJaeger(jaegerUrl, service, 60),
            60,
            "the collector reaches Jaeger across the bridge with the table loaded",
        );
    });

    it("pulumi up again over SSH changes nothing", () => {
        assert.deepStrictEqual(changedSteps(project.preview(stack, [], agentEnv)), []);
        project.pulumiOk(["up", "--yes", "--expect-no-changes", "--stack", stack], {
            timeoutMs: 600_000,
            env: agentEnv,
        });
    });

    it("a changed sampling ratio over SSH replaces only the collector, which then runs the new config", () => {
        project.pulumiOk(["config", "set", "--stack", stack, "ivatar-otel:samplingRatio", "0.5"]);
        assertOnlyCollectorReplaced(project.preview(stack, ["--diff"], agentEnv));
        project.pulumiOk(["up", "--yes", "--skip-preview", "--stack", stack], { timeoutMs: 600_000, env: agentEnv });
        const config = parse(
            fileInContainer(
                stackArtifacts(plan, { bearerToken: "unused", canaryKey: "unused" }).containers.collector.name,
                collectorPaths.config,
            ),
        );
        assert.strictEqual(config.processors.tail_sampling.policies[1].probabilistic.sampling_percentage, 50);
    });

    it("pulumi destroy over SSH removes everything placed but the retained volumes", () => {
        project.pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", stack], {
            timeoutMs: 600_000,
            env: agentEnv,
        });
        placedNothing();
        for (const file of [plan.prometheus.rulesPath, plan.prometheus.scrapePath, ...grafanaFiles(plan)])
            assert.ok(!fs.existsSync(file), `${file} removed`);
        for (const volume of retainedVolumes)
            assert.strictEqual(run("podman", ["volume", "exists", volume]).status, 0, `${volume} kept`);
    });
});
