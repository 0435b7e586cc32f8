// The comparison: each pipeline in turn on one CPU (GOMAXPROCS=1) under the same load, and one
// table of spans accepted per second, spans per collector CPU-second, CPU per span against the
// contrib default, peak memory, spans refused and exported, and traces evicted undecided.
import { BenchClient, startCollector, startLoad, sleep } from "./collector";
import { cpuSeconds, peakRssMb, SpanCounts, spanCounts } from "./measure";
import { BenchPipeline, BenchPlaces } from "./pipelines";

export interface CompareOptions {
    tps: number;
    seconds: number;
    warmup: number;
}

interface Result {
    pipeline: BenchPipeline;
    acceptedPerSecond: number;
    spansPerCpuSecond: number;
    peakRssMb: number;
    refused: number;
    exported: number;
    evictedTraces: number;
}

export interface CpuSplit {
    collector: string;
    load: string;
}

async function measure(
    pipeline: BenchPipeline,
    places: BenchPlaces,
    opts: CompareOptions,
    cpus: CpuSplit,
    client: BenchClient,
): Promise<Result> {
    const collector = await startCollector({
        dir: places.dir,
        name: pipeline.name,
        config: pipeline.config,
        metricsPort: places.ports.internalMetrics,
        cpus: cpus.collector,
        procs: 1,
    });
    const load = startLoad(
        pipeline,
        places,
        { tracesPerSecond: opts.tps, seconds: opts.warmup + opts.seconds + 3 },
        client,
        cpus.load,
    );
    try {
        await sleep(opts.warmup * 1000);
        const [cpu0, counts0] = [cpuSeconds(collector.pid), await spanCounts(collector.metricsUrl)];
        await sleep(opts.seconds * 1000);
        const [cpu1, counts1] = [cpuSeconds(collector.pid), await spanCounts(collector.metricsUrl)];
        const delta = (k: keyof SpanCounts) => counts1[k] - counts0[k];
        const cpu = cpu1 - cpu0;
        const peak = peakRssMb(collector.pid);
        // The generator stops on its own a few seconds later and reports what its requests met.
        const report = await load.done;
        if (report.failedRequests)
            console.log(
                `\n    ${pipeline.name}: ${report.failedRequests} requests failed at the client, last: ${report.lastError}`,
            );
        return {
            pipeline,
            acceptedPerSecond: delta("accepted") / opts.seconds,
            spansPerCpuSecond: cpu > 0 ? delta("accepted") / cpu : 0,
            peakRssMb: peak,
            refused: delta("refused"),
            exported: delta("sent"),
            evictedTraces: delta("evictedTraces"),
        };
    } finally {
        load.child.kill("SIGKILL");
        await collector.stop();
    }
}

/** A Markdown table, the same shape as the README's. */
export function markdownTable(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

function table(results: Result[]): string {
    const base = results.find((r) => r.pipeline.name === "contrib default");
    return markdownTable(
        [
            "pipeline",
            "accepted spans/s",
            "spans per CPU-second",
            "CPU per span vs default",
            "peak RSS MB",
            "refused",
            "exported",
            "traces evicted undecided",
        ],
        results.map((r) => [
            r.pipeline.name,
            r.acceptedPerSecond.toFixed(0),
            r.spansPerCpuSecond.toFixed(0),
            base && r.spansPerCpuSecond > 0 ? `${(base.spansPerCpuSecond / r.spansPerCpuSecond).toFixed(2)}x` : "-",
            r.peakRssMb.toFixed(0),
            String(r.refused),
            String(r.exported),
            String(r.evictedTraces),
        ]),
    );
}

export async function compare(
    pipelines: BenchPipeline[],
    places: BenchPlaces,
    opts: CompareOptions,
    cpus: CpuSplit,
    client: BenchClient,
): Promise<void> {
    console.log(
        `compare: ${opts.tps} traces/s offered (${opts.tps * 10} spans/s), ${opts.warmup} s warm-up, ${opts.seconds} s measured per pipeline;`,
    );
    console.log(`collector on CPU ${cpus.collector} with GOMAXPROCS=1, load and sink on CPUs ${cpus.load}\n`);
    const results: Result[] = [];
    for (const pipeline of pipelines) {
        process.stdout.write(`  ${pipeline.name} ...`);
        results.push(await measure(pipeline, places, opts, cpus, client));
        process.stdout.write(" done\n");
    }
    console.log(`\n${table(results)}`);
}
