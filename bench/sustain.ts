// The sustained run: one stack's pipeline as rendered, at its container size (its CPUs as
// GOMAXPROCS, memory_limiter and GOMEMLIMIT as the container's memory sets them), under a steady
// load for minutes. Every interval prints what the collector took, refused, exported and held;
// the run passes only with nothing refused, no trace evicted undecided, memory under the limit
// and the export keeping up (the queue empty at the end).
import { goMemLimit } from "../components/container";
import { BenchClient, startCollector, startLoad, sleep } from "./collector";
import { markdownTable } from "./compare";
import { cpuSeconds, peakRssMb, rssMb, spanCounts } from "./measure";
import { atContainerSize, BenchPipeline, BenchPlaces } from "./pipelines";

export interface SustainOptions {
    tps: number;
    seconds: number;
    warmup: number;
    interval: number;
    cpus: number;
    memoryMb: number;
}

/** Returns whether the run passed. */
export async function sustain(
    pipeline: BenchPipeline,
    places: BenchPlaces,
    opts: SustainOptions,
    allCpus: string,
    client: BenchClient,
): Promise<boolean> {
    console.log(
        `sustain: ${pipeline.name} at ${opts.cpus} CPUs / ${opts.memoryMb} MB, ${opts.tps * 10} spans/s offered for ${opts.seconds} s after ${opts.warmup} s;`,
    );
    console.log(`collector, load and sink share CPUs ${allCpus}\n`);
    const collector = await startCollector({
        dir: places.dir,
        name: `${pipeline.name}-sustained`,
        config: atContainerSize(pipeline.config, opts.memoryMb),
        metricsPort: places.ports.internalMetrics,
        cpus: allCpus,
        procs: opts.cpus,
        env: { GOMEMLIMIT: goMemLimit(opts.memoryMb) },
    });
    const load = startLoad(
        pipeline,
        places,
        { tracesPerSecond: opts.tps, seconds: opts.warmup + opts.seconds + 3 },
        client,
        allCpus,
    );
    try {
        await sleep(opts.warmup * 1000);
        const start = { cpu: cpuSeconds(collector.pid), counts: await spanCounts(collector.metricsUrl) };
        let last = start;
        const rows: string[][] = [];
        for (let at = opts.interval; at <= opts.seconds; at += opts.interval) {
            await sleep(opts.interval * 1000);
            const now = { cpu: cpuSeconds(collector.pid), counts: await spanCounts(collector.metricsUrl) };
            rows.push([
                String(at),
                ((now.counts.accepted - last.counts.accepted) / opts.interval).toFixed(0),
                ((now.counts.sent - last.counts.sent) / opts.interval).toFixed(0),
                String(now.counts.refused - start.counts.refused),
                String(now.counts.evictedTraces - start.counts.evictedTraces),
                ((now.cpu - last.cpu) / opts.interval).toFixed(2),
                rssMb(collector.pid).toFixed(0),
                (now.counts.queued / 1e6).toFixed(1),
            ]);
            console.log(`  ${at} s: ${rows[rows.length - 1].slice(1).join(" / ")}`);
            last = now;
        }
        const report = await load.done;
        const end = await spanCounts(collector.metricsUrl);
        const peak = peakRssMb(collector.pid);
        const accepted = last.counts.accepted - start.counts.accepted;
        const cpu = last.cpu - start.cpu;
        console.log(
            `\n${markdownTable(["s", "accepted spans/s", "exported spans/s", "refused (total)", "evicted (total)", "collector CPUs busy", "RSS MB", "queue MB"], rows)}`,
        );
        console.log(
            `\n${(accepted / opts.seconds).toFixed(0)} spans/s accepted over ${opts.seconds} s, ${(cpu / opts.seconds).toFixed(2)} of ${opts.cpus} CPUs busy, ` +
                `${(accepted / cpu).toFixed(0)} spans per CPU-second; peak RSS ${peak.toFixed(0)} MB of ${opts.memoryMb} MB`,
        );
        const failures = [
            end.refused - start.counts.refused > 0 ? `${end.refused - start.counts.refused} spans refused` : "",
            end.evictedTraces - start.counts.evictedTraces > 0
                ? `${end.evictedTraces - start.counts.evictedTraces} traces evicted undecided`
                : "",
            end.enqueueFailed > 0 ? `${end.enqueueFailed} spans the queue could not take` : "",
            peak >= opts.memoryMb ? `peak RSS ${peak.toFixed(0)} MB reached the ${opts.memoryMb} MB limit` : "",
            (report.failedRequests ?? 0) > 0
                ? `${report.failedRequests} requests failed at the client (${report.lastError})`
                : "",
        ].filter(Boolean);
        console.log(
            failures.length
                ? `FAILED: ${failures.join("; ")}`
                : "PASSED: nothing refused or evicted, memory under the limit",
        );
        return failures.length === 0;
    } finally {
        load.child.kill("SIGKILL");
        await collector.stop();
    }
}
