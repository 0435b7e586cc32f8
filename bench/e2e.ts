// The whole path as deployed: the stack's rendered collector and Jaeger containers on this
// machine's Podman at the stack's container sizes (tests/live.ts starts them, TLS made by the
// program's step, badger on a Podman volume), the load over OTLP gRPC with TLS and the token.
//   e2e       steps up the offered rate until a step does not hold, then holds the highest that
//             did for --hold seconds: that rate is the stack's rating. Every step reports the
//             collector's and Jaeger's CPU per span, so the rating names its bottleneck; with
//             --rate it measures one rate instead (production, whose 4 CPUs this machine lacks).
//   recovery  a Jaeger outage (its container paused: Jaeger hangs, its counters survive) under a
//             steady load, then the drain while the load continues; every span counted in Jaeger.
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { BenchClient, startLoad, sleep, stopProcess } from "./collector";
import { markdownTable } from "./compare";
import { spansPerTrace } from "./load";
import { cpuSeconds, spanCounts } from "./measure";
import { BenchPipeline, BenchPlaces } from "./pipelines";
import {
    derivedRating,
    emptyCounts,
    PathCounts,
    queueSlackBytes,
    roundRate,
    searchRates,
    StepRecord,
    stepFailures,
} from "./rating";
import { LiveStack, startLiveStack } from "../tests/live";
import { metricSums, run, runOk } from "../tests/tools";

interface PathUnderTest {
    live: LiveStack;
    cpus: { collector: number; jaeger: number };
    /** With `jaegerAway`, Jaeger's counts are NaN when it does not answer within 5 s (paused). */
    counts(jaegerAway?: boolean): Promise<PathCounts>;
    /** The containers' main processes now (a restart replaces them). */
    pids(): { collector: number; jaeger: number };
    cpuSeconds(pids: { collector: number; jaeger: number }): { collector: number; jaeger: number };
    jaegerVolumeBytes(): number;
    /** Where the load goes, as startLoad takes it: the stack's receiver asks for TLS and the token. */
    load: { pipeline: BenchPipeline; places: BenchPlaces; client: BenchClient };
}

const allCpus = `0-${os.cpus().length - 1}`;
const containerPid = (name: string) => Number(runOk("podman", ["inspect", "--format", "{{.State.Pid}}", name]).trim());

async function startPath(stack: string): Promise<PathUnderTest> {
    const live = await startLiveStack(stack);
    const { collector, jaeger } = live.artifacts.containers;
    const jaegerMetrics = `http://127.0.0.1:${live.plan.jaeger.metricsPort}/metrics`;
    const collectorMetrics = `http://127.0.0.1:${live.plan.collectorHosts[0].collector.ports.internalMetrics}/metrics`;
    const volume = jaeger.mounts.find((m) => "volume" in m);
    const caFile = `${live.hostDir}/bench-ca.crt`;
    fs.writeFileSync(caFile, live.ca);
    return {
        live,
        load: {
            pipeline: { name: "stack", without: "", config: {}, tls: true, token: true },
            places: { dir: live.hostDir, sink: "", ports: live.plan.collectorHosts[0].collector.ports },
            client: { caFile, token: live.token },
        },
        cpus: { collector: collector.cpus, jaeger: jaeger.cpus },
        async counts(jaegerAway = false) {
            const c = await spanCounts(collectorMetrics);
            const j = await fetch(jaegerMetrics, { signal: AbortSignal.timeout(5000) })
                .then(async (response) => metricSums(await response.text()))
                .catch((error: Error) => {
                    if (jaegerAway) return new Map([["otelcol_exporter_sent_spans", NaN]]);
                    throw new Error(`Jaeger's metrics: ${error.message}`, { cause: error });
                });
            return {
                accepted: c.accepted,
                refused: c.refused,
                enqueueFailed: c.enqueueFailed,
                evictedTraces: c.evictedTraces,
                sendFailed: c.sendFailed,
                sent: c.sent,
                queuedBytes: c.queued,
                stored: j.get("otelcol_exporter_sent_spans") ?? 0,
                storeFailed: j.get("otelcol_exporter_send_failed_spans") ?? 0,
                clientFailures: 0,
            };
        },
        pids: () => ({ collector: containerPid(collector.name), jaeger: containerPid(jaeger.name) }),
        cpuSeconds: (pids) => ({ collector: cpuSeconds(pids.collector), jaeger: cpuSeconds(pids.jaeger) }),
        jaegerVolumeBytes() {
            if (!volume || !("volume" in volume)) return 0;
            const dir = runOk("podman", ["volume", "inspect", "--format", "{{.Mountpoint}}", volume.volume]).trim();
            // Blocks in use: badger's value log files are sparse until written.
            return Number(runOk("du", ["-s", "--block-size=1", dir]).split("\t")[0]);
        },
    };
}

interface StepResult {
    /** What the step was for: search, hold or fixed rate. */
    label: string;
    spansPerSecond: number;
    seconds: number;
    record: StepRecord;
    cpu: { collector: number; jaeger: number };
    failures: string[];
}

/** Offers `spansPerSecond` for `warmup + seconds`; measures the last `seconds`, sampling the queue every 10 s. */
async function runStep(
    path: PathUnderTest,
    label: string,
    spansPerSecond: number,
    seconds: number,
    warmup: number,
    progress: (line: string) => void,
): Promise<StepResult> {
    const { pipeline, places, client } = path.load;
    const load = startLoad(
        pipeline,
        places,
        { tracesPerSecond: spansPerSecond / spansPerTrace, seconds: warmup + seconds + 2 },
        client,
        allCpus,
    );
    const pids = path.pids();
    const reasons: string[] = [];
    let start: PathCounts | undefined;
    let end: PathCounts | undefined;
    let cpu = { collector: NaN, jaeger: NaN };
    const queueSamples: number[] = [];
    try {
        await sleep(warmup * 1000);
        start = await path.counts();
        const cpu0 = path.cpuSeconds(pids);
        for (let at = 10; at <= seconds; at += 10) {
            await sleep(10_000);
            const now = await path.counts();
            queueSamples.push(now.queuedBytes);
            if (at % 60 === 0)
                progress(
                    `${at} s: ${((now.accepted - start.accepted) / at).toFixed(0)} accepted/s, ${((now.stored - start.stored) / at).toFixed(0)} stored/s, queue ${(now.queuedBytes / 2 ** 20).toFixed(1)} MiB`,
                );
        }
        const cpu1 = path.cpuSeconds(pids);
        end = await path.counts();
        cpu = { collector: cpu1.collector - cpu0.collector, jaeger: cpu1.jaeger - cpu0.jaeger };
        const report = await load.done;
        end.clientFailures = report.failedRequests ?? 0;
    } catch (error) {
        reasons.push(`the path stopped answering (${(error as Error).message})`);
    } finally {
        load.child.kill("SIGKILL");
    }
    const now = path.pids();
    for (const name of ["collector", "jaeger"] as const)
        if (now[name] !== pids[name])
            reasons.push(`the ${name} container's process was replaced (killed and restarted)`);
    const record = { start: start ?? emptyCounts, end: end ?? start ?? emptyCounts, queueSamples };
    return { label, spansPerSecond, seconds, record, cpu, failures: [...reasons, ...stepFailures(record)] };
}

/** Waits until the collector's queue is back to a few batches (after a step that built one). */
async function settle(path: PathUnderTest): Promise<void> {
    for (let waited = 0; waited < 300; waited += 2) {
        // A container that was restarted answers again after a while.
        const queued = await path.counts().then(
            (c) => c.queuedBytes,
            () => Infinity,
        );
        if (queued <= queueSlackBytes) return;
        await sleep(2000);
    }
}

function stepRow(s: StepResult): string[] {
    const { start, end } = s.record;
    const accepted = end.accepted - start.accepted;
    const stored = end.stored - start.stored;
    return [
        s.label,
        s.spansPerSecond.toLocaleString("en"),
        (accepted / s.seconds).toFixed(0),
        (stored / s.seconds).toFixed(0),
        (s.cpu.collector / s.seconds).toFixed(2),
        (s.cpu.jaeger / s.seconds).toFixed(2),
        s.cpu.collector > 0 ? (accepted / s.cpu.collector).toFixed(0) : "-",
        s.cpu.jaeger > 0 ? (stored / s.cpu.jaeger).toFixed(0) : "-",
        (Math.max(...s.record.queueSamples, 0) / 2 ** 20).toFixed(1),
        s.failures.length ? `no: ${s.failures.join("; ")}` : "yes",
    ];
}

const stepHeader = [
    "step",
    "offered spans/s",
    "accepted spans/s",
    "stored in Jaeger spans/s",
    "collector CPUs busy",
    "Jaeger CPUs busy",
    "collector spans per CPU-second",
    "Jaeger spans stored per CPU-second",
    "queue peak MiB",
    "held",
];

export interface E2eOptions {
    stack: string;
    from: number;
    to: number;
    stepSeconds: number;
    hold: number;
    /** Measure this one rate instead of searching. */
    rate?: number;
}

/** Returns whether a rating was found and held (or, with a fixed rate, whether it held). */
export async function e2e(o: E2eOptions): Promise<boolean> {
    const path = await startPath(o.stack);
    const log = (line: string) => console.log(`    ${line}`);
    try {
        console.log(
            `e2e: ${o.stack} as deployed: collector ${path.cpus.collector} CPUs, Jaeger ${path.cpus.jaeger} CPU on badger; ` +
                `load, collector and Jaeger share this machine's CPUs\n`,
        );
        const steps: StepResult[] = [];
        const step = async (rate: number, seconds: number, label: string) => {
            console.log(`  ${label}: ${rate.toLocaleString("en")} spans/s for ${seconds} s`);
            const result = await runStep(path, label, rate, seconds, 15, log);
            steps.push(result);
            console.log(`    ${result.failures.length ? `did not hold: ${result.failures.join("; ")}` : "held"}`);
            await settle(path);
            return result;
        };
        let held: StepResult | undefined;
        if (o.rate !== undefined) {
            held = await step(o.rate, o.hold, "fixed rate");
            if (held.failures.length) held = undefined;
        } else {
            let best: number | undefined;
            for (const rate of searchRates(o.from, o.to, 1.25)) {
                const result = await step(rate, o.stepSeconds, "search");
                if (result.failures.length) break;
                best = rate;
            }
            // The highest rate that held a step, then a fifth less, must hold for the whole time.
            for (const rate of best === undefined ? [] : [best, roundRate(best * 0.8)]) {
                const result = await step(rate, o.hold, "hold");
                if (!result.failures.length) {
                    held = result;
                    break;
                }
            }
        }
        console.log(`\n${markdownTable(stepHeader, steps.map(stepRow))}\n`);
        // Per-core figures from the busiest step that held (or the last one measured).
        const basis = held ?? steps[steps.length - 1];
        const accepted = basis.record.end.accepted - basis.record.start.accepted;
        const stored = basis.record.end.stored - basis.record.start.stored;
        const figures = {
            collector: {
                spansPerCpuSecond: accepted / basis.cpu.collector,
                cpus: path.cpus.collector,
                shareOfOffered: 1,
            },
            jaeger: {
                spansPerCpuSecond: stored / basis.cpu.jaeger,
                cpus: path.cpus.jaeger,
                shareOfOffered: stored / accepted,
            },
        };
        const derived = derivedRating(figures);
        const volume = path.jaegerVolumeBytes();
        const totalStored = basis.record.end.stored;
        console.log(
            `Jaeger keeps ${(figures.jaeger.shareOfOffered * 100).toFixed(1)} % of the spans offered; its badger volume holds ` +
                `${(volume / 2 ** 20).toFixed(0)} MiB for ${totalStored.toLocaleString("en")} spans stored (${(volume / Math.max(1, totalStored)).toFixed(0)} bytes per span, compaction pending).`,
        );
        console.log(
            `Per-core figures (${held ? "the held step" : "the last step"}): collector ${figures.collector.spansPerCpuSecond.toFixed(0)} spans per CPU-second, ` +
                `Jaeger ${figures.jaeger.spansPerCpuSecond.toFixed(0)} spans stored per CPU-second. At the containers' sizes the collector carries ` +
                `${derived.capacities.collector.toFixed(0)} and Jaeger ${derived.capacities.jaeger.toFixed(0)} offered spans/s: ` +
                `derived rating ${derived.rating.toLocaleString("en")} spans/s (three quarters of the ${derived.bottleneck}'s).`,
        );
        if (o.rate === undefined)
            console.log(
                held
                    ? `RATED: ${o.stack} held ${held.spansPerSecond.toLocaleString("en")} spans/s for ${o.hold} s with nothing refused, dropped or evicted and the queue not growing.`
                    : `NOT RATED: no rate held for ${o.hold} s.`,
            );
        return held !== undefined;
    } catch (error) {
        throw new Error(`${(error as Error).message}\n${path.live.logs()}`, { cause: error });
    } finally {
        path.live.stop();
    }
}

export interface RecoveryOptions {
    stack: string;
    spansPerSecond: number;
    warmup: number;
    outageSeconds: number;
    /** How long the backlog may take to drain while the load continues. */
    drainBudget: number;
}

/** Returns whether the backlog drained within the budget and Jaeger stored every accepted span. */
export async function recovery(o: RecoveryOptions): Promise<boolean> {
    const path = await startPath(o.stack);
    const jaegerName = path.live.artifacts.containers.jaeger.name;
    const { pipeline, places, client } = path.load;
    let load: { child: ChildProcess; done: Promise<{ failedRequests?: number; lastError?: string }> } | undefined;
    try {
        console.log(
            `recovery: ${o.stack}, ${o.spansPerSecond.toLocaleString("en")} spans/s offered throughout; Jaeger paused ` +
                `for ${o.outageSeconds} s after ${o.warmup} s; the backlog has ${o.drainBudget} s to drain while the load continues\n`,
        );
        load = startLoad(
            pipeline,
            places,
            {
                tracesPerSecond: o.spansPerSecond / spansPerTrace,
                seconds: o.warmup + o.outageSeconds + o.drainBudget + 60,
            },
            client,
            allCpus,
        );
        const timeline: string[][] = [];
        const began = Date.now();
        const mark = async (event: string, jaegerAway = false) => {
            const c = await path.counts(jaegerAway);
            timeline.push([
                ((Date.now() - began) / 1000).toFixed(0),
                event,
                c.accepted.toLocaleString("en"),
                Number.isNaN(c.stored) ? "(paused)" : c.stored.toLocaleString("en"),
                (c.queuedBytes / 2 ** 20).toFixed(1),
            ]);
            console.log(`  ${timeline[timeline.length - 1].join(" | ")}`);
            return c;
        };
        await sleep(o.warmup * 1000);
        await mark("Jaeger paused");
        runOk("podman", ["pause", jaegerName]);
        for (let at = 60; at <= o.outageSeconds; at += 60) {
            await sleep(60_000);
            await mark(`outage, ${at} s`, true);
        }
        runOk("podman", ["unpause", jaegerName]);
        const back = await mark("Jaeger back");
        const drainStart = Date.now();
        let drained: { seconds: number; counts: PathCounts } | undefined;
        let lastMark = Date.now();
        while (Date.now() - drainStart < o.drainBudget * 1000) {
            await sleep(5000);
            const c = await path.counts();
            if (c.queuedBytes <= queueSlackBytes) {
                drained = { seconds: (Date.now() - drainStart) / 1000, counts: c };
                await mark("backlog drained");
                break;
            }
            if (Date.now() - lastMark >= 60_000) {
                lastMark = Date.now();
                await mark("draining");
            }
        }
        // The load stops; what it sent last reaches Jaeger; then Jaeger's count is compared.
        await stopProcess(load.child);
        const report = await load.done.catch(() => ({ failedRequests: -1, lastError: "no report" }));
        const final = await waitStill(path);
        await mark("load stopped, all delivered");
        console.log(
            `\n${markdownTable(["s", "event", "accepted (total)", "stored in Jaeger (total)", "queue MiB"], timeline)}\n`,
        );
        const drainRate = drained
            ? (drained.counts.sent - back.sent) / drained.seconds
            : (final.sent - back.sent) / ((Date.now() - drainStart) / 1000);
        const backlogSpans = back.accepted - back.stored;
        // A stack that samples nothing away must store every accepted span; one that samples, every span exported.
        const keepsAll = path.live.plan.collectorHosts[0].collector.config.samplingRatio === 1;
        const expected = keepsAll ? final.accepted : final.sent;
        console.log(
            `backlog at Jaeger's return: ${backlogSpans.toLocaleString("en")} spans (${(back.queuedBytes / 2 ** 20).toFixed(0)} MiB queued); ` +
                `export rate while draining ${drainRate.toFixed(0)} spans/s against ${o.spansPerSecond.toLocaleString("en")} offered: ` +
                `net drain ${(drainRate - (o.spansPerSecond * final.sent) / Math.max(1, final.accepted)).toFixed(0)} spans/s`,
        );
        const failures = [
            drained ? "" : `the backlog did not drain within ${o.drainBudget} s`,
            final.stored < expected
                ? `Jaeger stored ${final.stored} of the ${expected} spans ${keepsAll ? "accepted" : "exported"}`
                : "",
            final.refused ? `${final.refused} spans refused` : "",
            final.enqueueFailed ? `${final.enqueueFailed} spans the queue could not take` : "",
            final.evictedTraces ? `${final.evictedTraces} traces evicted undecided` : "",
            final.storeFailed ? `${final.storeFailed} spans Jaeger failed to store` : "",
            report.failedRequests ? `${report.failedRequests} requests failed at the client (${report.lastError})` : "",
        ].filter(Boolean);
        console.log(
            `accepted ${final.accepted.toLocaleString("en")}, exported ${final.sent.toLocaleString("en")}, stored in Jaeger ${final.stored.toLocaleString("en")}` +
                (final.stored > final.sent
                    ? ` (${final.stored - final.sent} stored twice: exports retried after Jaeger had taken them)`
                    : ""),
        );
        console.log(
            failures.length
                ? `FAILED: ${failures.join("; ")}`
                : `PASSED: drained in ${drained?.seconds.toFixed(0)} s while the load continued; every accepted span stored`,
        );
        return failures.length === 0;
    } catch (error) {
        throw new Error(`${(error as Error).message}\n${path.live.logs()}`, { cause: error });
    } finally {
        if (load) load.child.kill("SIGKILL");
        // Paused only if the run stopped during the outage; otherwise Podman refuses, harmlessly.
        run("podman", ["unpause", jaegerName]);
        path.live.stop();
    }
}

/** Counts once the queue is empty and Jaeger's count has stayed still for 10 s. */
async function waitStill(path: PathUnderTest): Promise<PathCounts> {
    let last = await path.counts();
    let stillSince = Date.now();
    for (let waited = 0; waited < 600; waited += 2) {
        await sleep(2000);
        const now = await path.counts();
        if (now.stored !== last.stored || now.queuedBytes > 0) stillSince = Date.now();
        last = now;
        if (Date.now() - stillSince >= 10_000) break;
    }
    return last;
}
