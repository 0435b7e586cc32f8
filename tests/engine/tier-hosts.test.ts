// The three-host tier (collectorHosts) with the real engine on three booted Podman 5 hosts with
// their own addresses, and Prometheus on a fourth: `up` places it and spans flow through every
// front, a second `up` changes nothing, each host rebooted in turn while an app sends loses no
// span the fronts accepted, and a config change rolls through the hosts one at a time so the app
// always finds a front up. Destroy leaves every host as it was.
import * as assert from "assert";
import { collectorContainerName, samplerContainerName } from "../../components/collector/container";
import { jaegerContainerName } from "../../components/jaeger/jaeger";
import { FrontEndpoint } from "../../stack/plan";
import { changedSteps, EngineProject } from "../engine";
import { bootHosts, BootedHost, HostLab } from "../hosts";
import {
    assertEveryAcceptedSpanArrived,
    hostSnapshot,
    SendingApp,
    setUpPrometheusHost,
    snapshotDifference,
    sshHost,
    StackOnHosts,
    stackOnHosts,
    sudoUser,
    tearDownStackOnHosts,
    testNetworks,
    upWhileAppsSend,
} from "../hostStack";
import { assertExported, makeSpans, spansInJaeger, Target, waitForJaeger } from "../otlp";
import { waitFor } from "../tools";

const stack = "tier";
const runId = Date.now().toString(36);

describe("engine: the collector tier on three booted Podman 5 hosts", function () {
    this.timeout(2_400_000);
    let lab: HostLab;
    let collectors: BootedHost[];
    let prometheusHost: BootedHost;
    let project: EngineProject;
    let deployed: StackOnHosts | undefined;
    let agentEnv: NodeJS.ProcessEnv;
    let fronts: Target[];
    let jaegerUrl: string;
    const snapshots: Record<string, string[]> = {};

    const values = () => ({
        environment: "development",
        serviceVersion: "tier-test",
        samplingRatio: 1,
        collectorHosts: collectors.map((h) => sshHost(h)),
        // Per host: the front and the sampler get half each.
        collector: { cpus: 1, memoryMb: 1024, queueDiskGiB: 1, endpointHost: collectors[0].address },
        prometheus: { host: sshHost(prometheusHost, sudoUser) },
        trustedNetworks: testNetworks(prometheusHost, collectors),
        firewall: { enabled: true },
    });
    const upOk = (extra: string[] = []) =>
        project.pulumiOk(["up", "--yes", "--skip-preview", "--stack", stack, ...extra], {
            timeoutMs: 1_200_000,
            env: agentEnv,
        });
    const expected = (host: BootedHost) =>
        [collectorContainerName, samplerContainerName, ...(host === collectors[0] ? [jaegerContainerName] : [])].sort();
    /** Names of the host's running containers, and how often any of them restarted. */
    const runningOn = (host: BootedHost) => {
        const lines = host.sh("podman ps --format '{{.Names}} {{.Restarts}}'").trim().split("\n").filter(Boolean);
        return {
            names: lines.map((l) => l.split(" ")[0]).sort(),
            restarts: lines.reduce((sum, l) => sum + Number(l.split(" ")[1]), 0),
        };
    };
    const healthy = (host: BootedHost) =>
        waitFor(
            `${host.name}'s collectors healthy`,
            () =>
                host.exec([
                    "sh",
                    "-c",
                    "curl -fsS -o /dev/null http://localhost:13133/ && curl -fsS -o /dev/null http://localhost:13134/",
                ]).status === 0 || undefined,
            120_000,
        );
    const startedAt = (host: BootedHost, name: string) =>
        Date.parse(
            host
                .sh(`podman inspect --format '{{.State.StartedAt}}' ${name}`)
                .trim()
                .replace(/ \+0000 UTC.*$/, "Z")
                .replace(" ", "T"),
        );

    before(async () => {
        lab = await bootHosts(["c1", "c2", "c3", "prometheus"]);
        collectors = ["c1", "c2", "c3"].map((n) => lab.host(n));
        prometheusHost = lab.host("prometheus");
        setUpPrometheusHost(prometheusHost, lab);
        for (const host of lab.hosts) snapshots[host.name] = hostSnapshot(host);
        deployed = await stackOnHosts(lab, stack, values());
        ({ project, env: agentEnv } = deployed);
    });
    after(() => tearDownStackOnHosts(lab, stack, deployed, 900_000));

    it("pulumi up places a front and a sampler on each host and Jaeger on the first, none restarting; spans through every front reach Jaeger", async () => {
        const started = Date.now();
        upOk();
        console.log(`      up took ${Math.round((Date.now() - started) / 1000)} s`);
        for (const host of collectors) {
            await healthy(host);
            const { names, restarts } = runningOn(host);
            assert.deepStrictEqual(names, expected(host), host.name);
            assert.strictEqual(restarts, 0, `no container on ${host.name} restarted (the CA bundle parses)`);
        }
        const outputs = project.outputs(stack);
        const token = decodeURIComponent(
            (outputs.appEnvironment as Record<string, string>).OTEL_EXPORTER_OTLP_HEADERS,
        ).replace(/^authorization=Bearer /, "");
        const ca = String(outputs.collectorCaCertificate);
        assert.strictEqual(ca.match(/-----BEGIN CERTIFICATE-----/g)?.length, 3, "one CA per host");
        fronts = (outputs.frontEndpoints as FrontEndpoint[]).map((f) => ({
            protocol: "grpc",
            address: new URL(f.otlpGrpc).host,
            token,
            ca,
        }));
        jaegerUrl = String(outputs.jaegerUiUrl).replace(/\/$/, "");
        await waitForJaeger(jaegerUrl);
        for (const [i, front] of fronts.entries()) {
            const service = `tier-up-${i}-${runId}`;
            await assertExported(front, makeSpans({ service, traces: 30, children: 1 }));
            assert.strictEqual(await spansInJaeger(jaegerUrl, service, 60), 60, `through ${front.address}`);
        }
    });

    it("pulumi up again changes nothing", () => {
        assert.deepStrictEqual(changedSteps(project.preview(stack, [], agentEnv)), []);
        upOk(["--expect-no-changes"]);
    });

    it("each host rebooted in turn while an app sends to every front: every span a front accepted arrives", async () => {
        const app = new SendingApp(`tier-reboots-${runId}`, fronts);
        const windows: { host: BootedHost; from: number; to: number }[] = [];
        for (const host of collectors) {
            const from = Date.now();
            await host.reboot();
            await healthy(host);
            windows.push({ host, from, to: Date.now() });
            assert.deepStrictEqual(runningOn(host).names, expected(host), `${host.name} after its reboot`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        await app.stop();
        // An export is counted in the window in which it began (one to a host going down may end seconds later).
        for (const { host, from, to } of windows) {
            const during = app.attempts.filter((a) => a.at >= from && a.at < to);
            const refused = during.filter((a) => !a.ok);
            const byFront = [...new Set(refused.map((a) => a.target))].map(
                (t) => `${t} ${refused.filter((a) => a.target === t).length}`,
            );
            console.log(
                `      ${host.name}: back and healthy after ${Math.round((to - from) / 1000)} s; ${refused.length} of ${during.length} exports ` +
                    `begun meanwhile refused${byFront.length ? ` (by ${byFront.join(", ")})` : ""}`,
            );
            assert.ok(
                during.some((a) => a.ok && !a.target.startsWith(host.address)),
                `the other fronts took exports while ${host.name} rebooted`,
            );
            for (const a of refused.filter((r) => !r.target.startsWith(host.address))) {
                console.log(`        refused by another front, ${a.target}: ${a.error ?? "(no error given)"}`);
            }
        }
        console.log(`      ${app.attempts.length} exports, ${app.refusals().count} refused`);
        assertEveryAcceptedSpanArrived(await app.delivery(jaegerUrl, 300_000), "the fronts");
        project.pulumiOk(["preview", "--expect-no-changes", "--stack", stack], { env: agentEnv });
    });

    it("a config change replaces one host's collectors at a time, each healthy before the next: the app always finds a front up", async () => {
        const before = collectors.map((h) => startedAt(h, collectorContainerName));
        project.pulumiOk(["config", "set", "--path", "--stack", stack, "ivatar-otel:tls.reloadInterval", "30m"]);
        const planned = changedSteps(project.preview(stack, [], agentEnv));
        for (const s of ["", "-2", "-3"]) {
            for (const name of [`collector${s}`, `sampler${s}`]) {
                assert.ok(
                    planned.some((p) => p.startsWith("replace") && p.includes(`::${name}-container`)),
                    `${name} is replaced:\n${planned.join("\n")}`,
                );
            }
        }
        const app = new SendingApp(`tier-rolling-${runId}`, fronts, 100);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await upWhileAppsSend(deployed, stack);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await app.stop();
        const after = collectors.map((h) => startedAt(h, collectorContainerName));
        collectors.forEach((h, i) => assert.ok(after[i] > before[i], `${h.name}'s front was replaced`));
        assert.ok(
            after[0] < after[1] && after[1] < after[2],
            `the fronts started one host after another: ${after.map((t) => new Date(t).toISOString()).join(", ")}`,
        );
        for (const front of fronts) {
            const r = app.refusals(front.address);
            console.log(
                `      ${front.address}: ${r.count} exports refused over ${(r.firstToLastMs / 1000).toFixed(1)} s`,
            );
        }
        const errors = new Map<string, number>();
        for (const a of app.attempts.filter((x) => !x.ok)) {
            const key = `${a.target}: ${a.error ?? "(no error given)"}`;
            errors.set(key, (errors.get(key) ?? 0) + 1);
        }
        for (const [key, n] of errors) console.log(`        ${n} × ${key}`);
        const allDown = app.allRefused();
        console.log(
            `      every front refusing at once: ${allDown.moments} times, ${allDown.ms} ms in all (${app.attempts.length} exports)`,
        );
        assert.strictEqual(allDown.moments, 0, "the app always found a front up");
        assertEveryAcceptedSpanArrived(await app.delivery(jaegerUrl, 300_000), "the fronts");
    });

    it("pulumi destroy leaves every host as it was, the retained volumes aside", () => {
        project.pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", stack], {
            timeoutMs: 900_000,
            env: agentEnv,
        });
        for (const host of lab.hosts) {
            assert.deepStrictEqual(
                snapshotDifference(snapshots[host.name], hostSnapshot(host)),
                { left: [], removed: [] },
                `${host.name} differs after destroy`,
            );
        }
        for (const host of collectors)
            assert.deepStrictEqual(runningOn(host).names, [], `nothing runs on ${host.name}`);
    });
});
