// Live: the step that runs just before a container's replacement (handoverScript), on this
// machine's Podman with the pinned collector image, run as the local stack runs its steps. A
// container placed by a version without the stop grace (restart policy unless-stopped) must stop
// as a SIGTERM stops a collector, not be killed; one this version placed, or none, is left alone.
import * as assert from "assert";
import { handoverScript } from "../../components/container";
import { asRoot } from "../../components/host/scripts";
import versions from "../../versions.json";
import { containerLogs } from "../podman";
import { ensureToolchain, run, runOk, waitFor } from "../tools";

const runId = Date.now().toString(36);
const legacy = `handover-legacy-${runId}`;
const current = `handover-current-${runId}`;
const absent = `handover-absent-${runId}`;

/** A collector that receives OTLP and has somewhere to send it (the pinned build carries no default config). */
const minimalConfig = JSON.stringify({
    receivers: { otlp: { protocols: { grpc: { endpoint: "127.0.0.1:4317" } } } },
    exporters: { otlp: { endpoint: "127.0.0.1:4317", tls: { insecure: true } } },
    service: { pipelines: { traces: { receivers: ["otlp"], exporters: ["otlp"] } } },
});

/** The step as PodmanHost.step runs it on the local stack: the script on stdin to the root shell. */
const handover = (name: string) => run("/bin/sh", ["-c", asRoot], { input: handoverScript(name) });
const state = (name: string) =>
    runOk("podman", ["container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]).trim();

describe("live: a container placed without a stop grace is stopped gracefully before its replacement", function () {
    this.timeout(120_000);

    before(async () => {
        ensureToolchain();
        for (const [name, restart] of [
            [legacy, "unless-stopped"],
            [current, "always"],
        ]) {
            runOk("podman", [
                "run",
                "-d",
                "--name",
                name,
                "--restart",
                restart,
                "--env",
                `CONFIG=${minimalConfig}`,
                versions.collector.image,
                "--config",
                "env:CONFIG",
            ]);
        }
        for (const name of [legacy, current])
            await waitFor(`${name} started`, () =>
                /Everything is ready/.test(containerLogs(name)) ? true : undefined,
            );
    });
    after(() => {
        for (const name of [legacy, current]) run("podman", ["rm", "-f", "-t", "0", name]);
    });

    it("stops the unless-stopped container with SIGTERM: the collector shuts down cleanly and exits 0", () => {
        const result = handover(legacy);
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(result.stderr, new RegExp(`stopping ${legacy} with a 30 s grace`));
        assert.strictEqual(state(legacy), "exited 0", containerLogs(legacy));
        assert.match(containerLogs(legacy), /Shutdown complete/);
    });

    it("leaves a container this version placed running, and passes over one that does not exist", () => {
        for (const name of [current, absent]) {
            const result = handover(name);
            assert.strictEqual(result.status, 0, result.stderr);
            assert.strictEqual(result.stderr, "", `${name}: nothing to say`);
        }
        assert.strictEqual(state(current), "running 0");
    });
});
