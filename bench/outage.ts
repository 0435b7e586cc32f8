// The outage run: each stack's pipeline as rendered, its export target down (nothing listens
// where Jaeger should be), under load. Reports what the disk queue holds per span offered (as the
// queue counts it and as the file on disk takes it), then brings the target up and times the
// drain. With the stack's queue limit and a load, that gives the outage a stack survives.
import { execFileSync } from "child_process";
import * as path from "path";
import { BenchClient, startCollector, startLoad, sleep } from "./collector";
import { markdownTable } from "./compare";
import { spanCounts } from "./measure";
import { BenchPipeline, BenchPlaces } from "./pipelines";
import { startSink } from "./sink";
import { waitFor } from "../tests/tools";

export interface OutageOptions {
    tps: number;
    seconds: number;
}

/** What one stack's queue held after the outage, per span offered, and how long it took to drain. */
interface Filled {
    name: string;
    accepted: number;
    queuedBytes: number;
    diskBytes: number;
    enqueueFailed: number;
    drainSeconds: number;
    leftQueued: number;
}

async function fill(
    pipeline: BenchPipeline,
    places: BenchPlaces,
    opts: OutageOptions,
    cpus: string,
    procs: number,
    client: BenchClient,
): Promise<Filled> {
    const sinkPort = Number(places.sink.split(":").pop());
    const collector = await startCollector({
        dir: places.dir,
        name: `${pipeline.name}-outage`,
        config: pipeline.config,
        metricsPort: places.ports.internalMetrics,
        cpus,
        procs,
    });
    const load = startLoad(pipeline, places, { tracesPerSecond: opts.tps, seconds: opts.seconds }, client, cpus);
    try {
        await load.done;
        // Tail sampling's last decisions reach the queue within its wait.
        await sleep(12_000);
        const counts = await spanCounts(collector.metricsUrl);
        const diskBytes =
            Number(
                execFileSync("du", ["-sk", path.join(places.dir, "queue")])
                    .toString()
                    .split("\t")[0],
            ) * 1024;
        const sink = await startSink(sinkPort);
        const drainStart = Date.now();
        try {
            const left = await waitFor(
                "the queue drained",
                async () => ((await spanCounts(collector.metricsUrl)).queued === 0 ? 0 : undefined),
                600_000,
            ).catch(async () => (await spanCounts(collector.metricsUrl)).queued);
            return {
                name: pipeline.name,
                accepted: counts.accepted,
                queuedBytes: counts.queued,
                diskBytes,
                enqueueFailed: counts.enqueueFailed,
                drainSeconds: (Date.now() - drainStart) / 1000,
                leftQueued: left,
            };
        } finally {
            await sink.stop();
        }
    } finally {
        load.child.kill("SIGKILL");
        await collector.stop();
    }
}

export async function outage(
    pipelines: BenchPipeline[],
    places: BenchPlaces,
    opts: OutageOptions,
    cpus: string,
    procs: number,
    client: BenchClient,
): Promise<void> {
    console.log(
        `outage: ${opts.tps * 10} spans/s offered for ${opts.seconds} s with the export target down, then up again\n`,
    );
    const rows: string[][] = [];
    for (const pipeline of pipelines) {
        process.stdout.write(`  ${pipeline.name} ...`);
        const f = await fill(pipeline, places, opts, cpus, procs, client);
        process.stdout.write(" done\n");
        rows.push([
            f.name,
            String(f.accepted),
            (f.queuedBytes / 1e6).toFixed(1),
            (f.diskBytes / 1e6).toFixed(1),
            (f.queuedBytes / f.accepted).toFixed(1),
            (f.diskBytes / f.accepted).toFixed(1),
            String(f.enqueueFailed),
            f.leftQueued === 0 ? `${f.drainSeconds.toFixed(0)} s` : `not in 600 s (${f.leftQueued} bytes left)`,
        ]);
    }
    console.log(
        `\n${markdownTable(["pipeline", "spans accepted", "queue MB (its count)", "queue MB on disk", "queue bytes per span offered", "disk bytes per span offered", "spans the queue refused", "drained after the target came back"], rows)}`,
    );
}
