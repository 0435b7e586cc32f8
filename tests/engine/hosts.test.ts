// The real engine on hosts like ivatar's (tests/hosts.ts: Debian 13, Podman 5, systemd as PID 1,
// firewalld active, each host its own address): a collector host and a separate Prometheus host
// (real Prometheus with the lifecycle API, reached as a sudo user). The preflight refuses what
// would break, `up` places the stack, telemetry flows through firewalld and the stack's own table,
// a second `up` changes nothing, firewalld's reload and restart keep the table, a reboot loses
// nothing, and destroy leaves each host as it was.
import * as assert from "assert";
import { collectorContainerName } from "../../components/collector/container";
import { firewallCheck, firewallUnit } from "../../components/firewall/steps";
import { firewallTable } from "../../components/firewall/ruleset";
import { jaegerContainerName } from "../../components/jaeger/jaeger";
import { renewalUnit } from "../../components/tls/renewal";
import { targetFromOutputs } from "../deployed";
import { changedSteps, EngineProject } from "../engine";
import { bootHosts, BootedHost, HostLab } from "../hosts";
import {
    assertActive,
    assertEveryAcceptedSpanArrived,
    hostSnapshot,
    prometheusApi,
    SendingApp,
    setUpPrometheusHost,
    singleHostValues,
    snapshotDifference,
    StackOnHosts,
    stackOnHosts,
    tearDownStackOnHosts,
} from "../hostStack";
import { assertExported, makeSpans, spansInJaeger, Target, waitForJaeger } from "../otlp";
import { run, waitFor } from "../tools";

const stack = "hosts";
const tlsDir = "/etc/ivatar-otel/tls";
const selinuxLog = "/var/log/selinux-calls";
/** getenforce, selinuxenabled, semanage, restorecon and chcon as on an enforcing host, each call logged. */
const selinuxStandIns = ["selinuxenabled", "getenforce", "semanage", "restorecon", "chcon"]
    .map((command) =>
        [
            `cat > /usr/local/sbin/${command} <<'STANDIN'`,
            "#!/bin/sh",
            `echo "${command} $*" >> ${selinuxLog}`,
            command === "getenforce" ? "echo Enforcing" : "",
            "STANDIN",
            `chmod 0755 /usr/local/sbin/${command}`,
        ].join("\n"),
    )
    .join("\n");
const runId = Date.now().toString(36);

describe("engine: a stack on booted Podman 5 hosts (a collector host and a Prometheus host)", function () {
    this.timeout(1_800_000);
    let lab: HostLab;
    let collectorHost: BootedHost;
    let prometheusHost: BootedHost;
    let project: EngineProject;
    let deployed: StackOnHosts | undefined;
    let agentEnv: NodeJS.ProcessEnv;
    let target: Target;
    let jaegerUrl: string;
    /** Each host as it was before the first `up`, for the comparison after destroy. */
    const snapshots: Record<string, string[]> = {};

    const up = (extra: string[] = []) =>
        project.pulumi(["up", "--yes", "--skip-preview", "--stack", stack, ...extra], {
            timeoutMs: 900_000,
            env: agentEnv,
        });
    const upOk = (extra: string[] = []) => {
        const result = up(extra);
        assert.strictEqual(result.status, 0, `pulumi up failed:\n${result.stdout}\n${result.stderr}`);
        return result.stdout;
    };
    const containers = (host: BootedHost) =>
        host.sh("podman ps -a --format '{{.Names}} {{.State}}'").trim().split("\n").filter(Boolean).sort();
    const running = (host: BootedHost) =>
        containers(host)
            .filter((c) => c.endsWith(" running"))
            .map((c) => c.split(" ")[0]);
    const tableLoaded = (host: BootedHost) => host.exec(["nft", "list", "table", "inet", firewallTable]).status === 0;
    /** The collector's health port, asked on the host (from outside, the metrics and admin networks alone reach it). */
    const waitForHealthyCollector = () =>
        waitFor(
            "the collector healthy",
            () =>
                collectorHost.exec(["curl", "-fsS", "-o", "/dev/null", "http://localhost:13133/"]).status === 0 ||
                undefined,
            60_000,
        );
    /** Whether a TCP connection from this machine to the host's port is answered (curl: any HTTP answer). */
    const answers = (host: BootedHost, port: number) =>
        run("curl", ["-s", "-o", "/dev/null", "--max-time", "4", `http://${host.address}:${port}/`]).status === 0;

    before(async () => {
        lab = await bootHosts(["collector", "prometheus"]);
        collectorHost = lab.host("collector");
        prometheusHost = lab.host("prometheus");
        // SELinux cannot run on this machine's kernel: stand-ins that answer as an enforcing host
        // would and record every labelling call the steps make.
        collectorHost.sh(selinuxStandIns);
        deployed = await stackOnHosts(lab, stack, singleHostValues(collectorHost, prometheusHost, "hosts-test"));
        ({ project, env: agentEnv } = deployed);
    });
    after(() => tearDownStackOnHosts(lab, stack, deployed, 600_000));

    it("the preflight refuses a collector host whose podman-restart.service is disabled and whose podman.socket is stopped, naming both, and nothing is placed", () => {
        collectorHost.sh("systemctl disable podman-restart.service && systemctl stop podman.socket");
        for (const host of [collectorHost, prometheusHost]) snapshots[host.name] = hostSnapshot(host);
        const result = up();
        assert.notStrictEqual(result.status, 0, "up must fail");
        const output = `${result.stdout}${result.stderr}`;
        assert.match(
            output,
            /preflight on collector\.ivotel\.test: nothing was placed[\s\S]*podman-restart\.service is not enabled, so the containers would stay stopped after a reboot/,
        );
        assert.match(
            output,
            /podman\.socket is inactive, not active \(the docker provider reaches Podman through it\)/,
        );
        assert.deepStrictEqual(containers(collectorHost), [], "no container on the collector host");
        assert.ok(!tableLoaded(collectorHost), "no firewall table");
        collectorHost.sh("systemctl enable podman-restart.service && systemctl start podman.socket");
        snapshots[collectorHost.name] = hostSnapshot(collectorHost);
    });

    it("the Prometheus host's preflight refuses a Prometheus that does not read the scrape directory, naming the file, before placing it", () => {
        setUpPrometheusHost(prometheusHost, lab, { readsScrapeDir: false });
        snapshots[prometheusHost.name] = hostSnapshot(prometheusHost);
        const result = up();
        assert.notStrictEqual(result.status, 0, "up must fail");
        const output = `${result.stdout}${result.stderr}`;
        // The collector host passed its preflight in this up, and said what it found.
        assert.match(output, /preflight: ok \(podman 5\.\d+\.\d+, netavark, SELinux Enforcing\)/);
        assert.match(
            output,
            /preflight on prometheus\.ivotel\.test: nothing was placed[\s\S]*does not read \/etc\/prometheus\/scrape\.d\/ivatar-otel-development\.scrape\.yml: none of its scrape_config_files matches it/,
        );
        assert.doesNotMatch(output, /does not read \/etc\/prometheus\/rules\.d/, "the rule directory is read");
        assert.strictEqual(
            prometheusHost.sh("ls /etc/prometheus/rules.d /etc/prometheus/scrape.d").trim(),
            "/etc/prometheus/rules.d:\n\n/etc/prometheus/scrape.d:",
        );
    });

    it("with the hosts set up, pulumi up places the stack; spans flow through firewalld and the stack's table; Prometheus on its own host scrapes every target", async () => {
        setUpPrometheusHost(prometheusHost, lab);
        snapshots[prometheusHost.name] = hostSnapshot(prometheusHost);
        const output = upOk();
        // The deploy check ran last, from this machine, and every link passed.
        // Pulumi shows each line the check printed after the command's progress (the outputs
        // section repeats them inside deployCheckReport's string: not those).
        const check = [
            ...new Set(
                output
                    .split("\n")
                    .filter((l) => l.includes("command:local:Command deploy-check"))
                    .flatMap((l) => l.match(/\b(PASS|FAIL|SKIP|NOT TRIED) +\S.*$/)?.[0] ?? []),
            ),
        ];
        console.log(`      the deploy check printed:\n${check.map((l) => `      ${l}`).join("\n")}`);
        assert.strictEqual(check.filter((l) => l.startsWith("PASS ")).length, 8, output);
        assert.match(output, /canary trace [0-9a-f]{32}: http:\/\/collector\.ivotel\.test:16686\/trace\/[0-9a-f]{32}/);
        // The TLS directory, bind-mounted into the collector, gets a persistent container_file_t rule.
        const calls = collectorHost.sh(`cat ${selinuxLog}`);
        assert.match(calls, new RegExp(`^semanage fcontext -a -t container_file_t ${tlsDir}\\(/\\.\\*\\)\\?$`, "m"));
        assert.match(calls, new RegExp(`^restorecon -R ${tlsDir}$`, "m"));
        assert.doesNotMatch(calls, /^chcon /m, "no label that a relabel would undo");
        assert.deepStrictEqual(running(collectorHost), [collectorContainerName, jaegerContainerName].sort());
        assert.ok(tableLoaded(collectorHost), "the stack's table beside firewalld's");
        assertActive(collectorHost, [
            "firewalld.service",
            firewallUnit,
            `${firewallCheck}.timer`,
            `${renewalUnit}.timer`,
        ]);

        ({ target, jaegerUrl } = targetFromOutputs(project.outputs(stack)));
        await waitForJaeger(jaegerUrl);
        const service = `hosts-up-${runId}`;
        await assertExported(target, makeSpans({ service, traces: 20, children: 2 }));
        assert.strictEqual(await spansInJaeger(jaegerUrl, service, 60), 60);

        // Only the Prometheus host reaches the metrics ports; this machine (the apps' network) does not.
        assert.ok(!answers(collectorHost, 8888), "8888 refused to the apps' network");
        type Targets = {
            data: {
                activeTargets: { labels: { job: string }; scrapeUrl: string; health: string; lastError: string }[];
            };
        };
        const stackTargets = () =>
            (prometheusApi(prometheusHost, "/api/v1/targets") as Targets).data.activeTargets.filter(
                (a) => a.labels.job !== "prometheus",
            );
        // Every target scraped once (5 s apart) before judging it.
        await waitFor(
            "every target scraped",
            () => stackTargets().every((t) => t.health !== "unknown") || undefined,
            60_000,
        );
        const targets = stackTargets();
        assert.strictEqual(targets.length, 3, "the collector's two targets and Jaeger's");
        for (const t of targets) assert.strictEqual(t.health, "up", `${t.scrapeUrl}: ${t.lastError}`);
        const rules = prometheusApi(prometheusHost, "/api/v1/rules") as { data: { groups: { name: string }[] } };
        assert.ok(rules.data.groups.length > 0, "Prometheus loaded the stack's rules");
    });

    it("pulumi up again changes nothing", () => {
        assert.deepStrictEqual(changedSteps(project.preview(stack, [], agentEnv)), []);
        upOk(["--expect-no-changes"]);
    });

    it("the deploy check fails an up whose trusted ingest network leaves out the apps, naming the link and its runbook section; the right network passes again", () => {
        const ingest = (network: string) =>
            project.pulumiOk([
                "config",
                "set",
                "--path",
                "--stack",
                stack,
                "ivatar-otel:trustedNetworks.ingest[0]",
                network,
            ]);
        const right = (
            singleHostValues(collectorHost, prometheusHost, "hosts-test").trustedNetworks as Record<string, string[]>
        ).ingest[0];
        ingest("192.0.2.0/24");
        const result = up();
        const output = `${result.stdout}${result.stderr}`;
        assert.notStrictEqual(result.status, 0, "up must fail");
        assert.match(
            output,
            /FAIL +TLS +no TLS handshake with collector\.ivotel\.test:4317.*\(runbook: docs\/runbook\.md#checktls\)/,
        );
        assert.match(output, /NOT TRIED|FAIL +token/);
        ingest(right);
        const restored = upOk();
        assert.match(restored, /PASS +TLS +handshake with collector\.ivotel\.test:4317 succeeds/);
    });

    it("drift: a container removed by hand, the table flushed with its timer stopped, the certificate deleted: a refreshed preview shows each, and pulumi up --refresh restores them", async () => {
        collectorHost.sh(
            [
                `podman rm --force ${collectorContainerName}`,
                `systemctl stop ${firewallCheck}.timer`,
                `nft flush table inet ${firewallTable}`,
                `rm -f ${tlsDir}/server.crt`,
            ].join("\n"),
        );
        const planned = changedSteps(project.preview(stack, ["--refresh"], agentEnv));
        for (const expected of [
            /^create .*::collector-container/,
            /^update .*::firewall-table-kept/,
            /^update .*::collector-tls-material-kept/,
        ]) {
            assert.ok(
                planned.some((step) => expected.test(step)),
                `the preview shows ${expected}; it planned:\n${planned.join("\n")}`,
            );
        }
        upOk(["--refresh"]);
        assert.deepStrictEqual(running(collectorHost), [collectorContainerName, jaegerContainerName].sort());
        assert.ok(
            collectorHost.sh(`nft list table inet ${firewallTable}`).includes(" drop "),
            "the table has its rules again",
        );
        assertActive(collectorHost, [`${firewallCheck}.timer`]);
        collectorHost.sh(`openssl verify -CAfile /etc/ivatar-otel/ca/ca.crt ${tlsDir}/server.crt`);
        await waitForHealthyCollector();
        const service = `hosts-drift-${runId}`;
        await assertExported(target, makeSpans({ service, traces: 5, children: 1 }));
        assert.strictEqual(await spansInJaeger(jaegerUrl, service, 10), 10);
        project.pulumiOk(["preview", "--refresh", "--expect-no-changes", "--stack", stack], { env: agentEnv });
    });

    for (const action of ["firewall-cmd --reload", "systemctl restart firewalld"]) {
        it(`${action} leaves the stack's table in force`, () => {
            collectorHost.sh(action);
            assert.ok(tableLoaded(collectorHost), `the table is gone after ${action}`);
            assert.ok(answers(collectorHost, 16686), "the admin network still reaches Jaeger's UI");
            assert.ok(!answers(collectorHost, 8888), "the apps' network is still refused the metrics port");
        });
    }

    it("a reboot of the collector host loses nothing: containers, table and timers come back, queued spans arrive, stored traces stay, and no change is planned", async () => {
        const stored = `hosts-stored-${runId}`;
        await assertExported(target, makeSpans({ service: stored, traces: 10, children: 1 }));
        assert.strictEqual(await spansInJaeger(jaegerUrl, stored, 20), 20, "stored before the reboot");
        // Jaeger away: what the collector accepts waits in its disk queue through the reboot.
        collectorHost.sh(`podman stop ${jaegerContainerName}`);
        const queued = `hosts-queued-${runId}`;
        await assertExported(target, makeSpans({ service: queued, traces: 50, children: 1 }));
        // Past tail sampling's wait (the spans are then in the queue, not in memory).
        await new Promise((resolve) => setTimeout(resolve, 12_000));

        const started = Date.now();
        await collectorHost.reboot();
        await waitForJaeger(jaegerUrl);
        console.log(
            `      host back and Jaeger answering ${Math.round((Date.now() - started) / 1000)} s after the reboot began`,
        );
        assert.deepStrictEqual(running(collectorHost), [collectorContainerName, jaegerContainerName].sort());
        assert.ok(tableLoaded(collectorHost), "the table is loaded at boot");
        assertActive(collectorHost, [
            "firewalld.service",
            firewallUnit,
            `${firewallCheck}.timer`,
            `${renewalUnit}.timer`,
            "podman.socket",
        ]);
        assert.strictEqual(
            await spansInJaeger(jaegerUrl, queued, 100),
            100,
            "the spans queued before the reboot arrive",
        );
        assert.strictEqual(await spansInJaeger(jaegerUrl, stored, 20), 20, "what Jaeger stored is still there");
        const after = `hosts-after-${runId}`;
        await assertExported(target, makeSpans({ service: after, traces: 5, children: 1 }));
        assert.strictEqual(await spansInJaeger(jaegerUrl, after, 10), 10);
        project.pulumiOk(["preview", "--expect-no-changes", "--stack", stack], { env: agentEnv });
    });

    it("a reboot of the collector host while an app sends: every span the collector accepted arrives; the refused window is measured", async () => {
        const app = new SendingApp(`hosts-sending-${runId}`, [target]);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        await collectorHost.reboot();
        await waitForJaeger(jaegerUrl);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        await app.stop();
        const refused = app.refusals();
        console.log(
            `      ${app.attempts.length} exports, ${refused.count} refused over ${Math.round(refused.firstToLastMs / 1000)} s (the app's SDK retries or drops those)`,
        );
        assert.ok(refused.count > 0, "the reboot was seen by the app");
        assertEveryAcceptedSpanArrived(await app.delivery(jaegerUrl, 180_000), "the collector");
    });

    it("the collector host cut off in the middle of an up: the up fails naming the host, and the next up converges", async () => {
        project.pulumiOk(["config", "set", "--stack", stack, "ivatar-otel:samplingRatio", "0.5"]);
        let reconnect: (() => void) | undefined;
        const started = Date.now();
        let cutError: unknown;
        const result = await project.pulumiInBackground(
            ["up", "--yes", "--skip-preview", "--stack", stack],
            (soFar) => {
                // While the collector container is being replaced: the old one is gone, the new one not yet there.
                if (reconnect || cutError || !/collector-container deleting original/.test(soFar)) return;
                try {
                    reconnect = collectorHost.cutOff();
                } catch (error) {
                    cutError = error;
                }
            },
            agentEnv,
        );
        assert.strictEqual(cutError, undefined, "the host was cut off");
        reconnect?.();
        const output = `${result.stdout}${result.stderr}`;
        console.log(
            `      the up ended after ${Math.round((Date.now() - started) / 1000)} s: ${output
                .split("\n")
                .filter((l) => /error/i.test(l))
                .slice(0, 3)
                .join(" | ")}`,
        );
        assert.ok(reconnect, "the up reached the replacement");
        assert.notStrictEqual(result.status, 0, "the up fails");
        assert.match(output, /collector\.ivotel\.test/, "the error names the host");
        upOk();
        assert.deepStrictEqual(running(collectorHost), [collectorContainerName, jaegerContainerName].sort());
        assert.deepStrictEqual(changedSteps(project.preview(stack, [], agentEnv)), [], "converged");
        await waitForHealthyCollector();
        const service = `hosts-reconnected-${runId}`;
        // Error traces: tail sampling keeps every one of them at any ratio.
        await assertExported(target, makeSpans({ service, traces: 10, children: 1, error: true }));
        assert.strictEqual(await spansInJaeger(jaegerUrl, service, 20), 20, "spans flow again");
    });

    it("pulumi destroy leaves both hosts as they were, the retained volumes aside", () => {
        project.pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", stack], {
            timeoutMs: 600_000,
            env: agentEnv,
        });
        for (const host of [collectorHost, prometheusHost]) {
            const diff = snapshotDifference(snapshots[host.name], hostSnapshot(host));
            assert.deepStrictEqual(diff, { left: [], removed: [] }, `${host.name} differs after destroy`);
        }
        assert.deepStrictEqual(containers(collectorHost), []);
        assert.match(
            collectorHost.sh(`cat ${selinuxLog}`),
            new RegExp(`^semanage fcontext -d ${tlsDir}\\(/\\.\\*\\)\\?$`, "m"),
            "the file-context rule is removed",
        );
        const volumes = collectorHost.sh("podman volume ls --format '{{.Name}}'").trim().split("\n").sort();
        assert.deepStrictEqual(volumes, ["ivatar-otel-collector-queue", "ivatar-otel-jaeger-data"]);
    });
});
