// Faults, live on local Podman with the rendered configs: nothing sent is lost when Jaeger goes
// away or the collector restarts mid-backlog, and memory pressure ends in refusals the clients
// retry, not in an OOM kill.
import * as assert from "assert";
import { LiveStack, useLiveStack } from "../live";
import { exportSpans, makeSpans, spansInJaeger, succeeded } from "../otlp";
import { runOk, waitFor } from "../tools";

const runId = Date.now().toString(36);

/** Sends `traces` traces of `spansPerTrace` spans in exports of 100 traces; every export must succeed. */
async function send(s: LiveStack, service: string, traces: number, spansPerTrace: number): Promise<void> {
    for (let sent = 0; sent < traces; sent += 100) {
        const result = await exportSpans(
            s.target("grpc"),
            makeSpans({ service, traces: Math.min(100, traces - sent), children: spansPerTrace - 1 }),
        );
        assert.ok(succeeded(result), `export failed: ${result.error}`);
    }
}

async function metric(s: LiveStack, name: string): Promise<number> {
    return (await s.internalMetrics()).get(name) ?? 0;
}

/**
 * Proves the path works before a fault is injected: a canary trace must reach Jaeger, so a
 * failure later names the fault, not a broken setup (name resolution, TLS, the token).
 */
async function canary(s: LiveStack, what: string): Promise<void> {
    const service = `canary-${what}-${runId}`;
    await send(s, service, 1, 2);
    const held = await spansInJaeger(s.jaegerUrl, service, 2, 60_000);
    assert.strictEqual(
        held,
        2,
        `the canary trace did not reach Jaeger before the fault was injected: the path is broken, not the fault handling\n${s.logs()}`,
    );
}

describe("live faults: nothing sent is lost", function () {
    this.timeout(900_000);
    const live = useLiveStack("development");
    const jaegerName = () => live().artifacts.containers.jaeger.name;

    it("Jaeger stopped while 10,000 spans are sent and started 60 s later: all 10,000 arrive", async () => {
        const service = `fault-jaeger-down-${runId}`;
        await canary(live(), "jaeger-down");
        runOk("podman", ["stop", "--time", "5", jaegerName()]);
        await send(live(), service, 1000, 10);
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        const queued = await metric(live(), "otelcol_exporter_queue_size");
        assert.ok(queued > 0, "the spans wait in the sending queue while Jaeger is away");
        runOk("podman", ["start", jaegerName()]);
        const held = await spansInJaeger(live().jaegerUrl, service, 10_000, 180_000);
        console.log(`      Jaeger outage: ${held} of 10000 spans arrived (${queued} bytes had waited in the queue)`);
        assert.strictEqual(held, 10_000, live().logs());
    });

    it("the collector restarted in the middle of a backlog loses no span", async () => {
        const service = `fault-collector-restart-${runId}`;
        await canary(live(), "collector-restart");
        runOk("podman", ["stop", "--time", "5", jaegerName()]);
        await send(live(), service, 500, 4);
        // Tail sampling holds each trace 10 s in memory before it reaches the queue on disk: let
        // every trace through before the restart (the README states this window).
        await new Promise((resolve) => setTimeout(resolve, 20_000));
        assert.ok((await metric(live(), "otelcol_exporter_queue_size")) > 0, "the backlog sits in the queue");
        runOk("podman", ["restart", "--time", "10", live().artifacts.containers.collector.name]);
        await live().waitHealthy();
        runOk("podman", ["start", jaegerName()]);
        const held = await spansInJaeger(live().jaegerUrl, service, 2000, 180_000);
        console.log(`      collector restart: ${held} of 2000 spans arrived`);
        assert.strictEqual(held, 2000, live().logs());
    });
});

describe("live faults: memory pressure", function () {
    this.timeout(600_000);
    // The smallest collector the config allows, so its limit is within reach of one client.
    const live = useLiveStack("development", { collector: { cpus: 1, memoryMb: 256 } });

    it("refuses with a retryable error instead of being OOM-killed, and recovers when the load drops", async () => {
        const service = `fault-memory-${runId}`;
        await canary(live(), "memory");
        const big = "x".repeat(64 * 1024);
        let refused: string | undefined;
        let exports = 0;
        const deadline = Date.now() + 120_000;
        while (!refused && Date.now() < deadline) {
            // Eight exports of about 3 MB at a time (gRPC takes at most 4 MB per message); tail
            // sampling holds each trace for 10 s, so memory fills.
            const results = await Promise.all(
                [0, 1, 2, 3, 4, 5, 6, 7].map(() =>
                    exportSpans(
                        live().target("grpc"),
                        makeSpans({ service, traces: 12, children: 3, attributes: { payload: big } }),
                    ),
                ),
            );
            exports += results.length;
            refused = results.map((r) => r.error?.message).find((m) => m !== undefined);
        }
        const state = runOk("podman", [
            "inspect",
            "--format",
            "{{.State.Running}} {{.State.OOMKilled}} {{.RestartCount}}",
            live().artifacts.containers.collector.name,
        ]).trim();
        console.log(
            `      memory pressure: first refusal after ${exports} exports: ${refused}; container state: ${state}`,
        );
        assert.ok(refused, "the collector never refused data");
        assert.match(
            refused,
            /^(8 RESOURCE_EXHAUSTED|14 UNAVAILABLE): .*memory/i,
            "a retryable gRPC status, from the memory limiter",
        );
        assert.strictEqual(state, "true false 0", "still running, never OOM-killed or restarted");

        await new Promise((resolve) => setTimeout(resolve, 20_000));
        const after = `fault-memory-after-${runId}`;
        const result = await waitFor(
            "an export accepted again",
            async () => {
                const r = await exportSpans(live().target("grpc"), makeSpans({ service: after, traces: 10 }));
                return succeeded(r) ? r : undefined;
            },
            60_000,
        );
        assert.ok(succeeded(result));
        assert.strictEqual(await spansInJaeger(live().jaegerUrl, after, 10, 60_000), 10, "data flows again");
    });
});
