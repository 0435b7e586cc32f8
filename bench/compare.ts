// The comparison: each pipeline in turn on one CPU (GOMAXPROCS=1) under the same load, for a
// number of rounds, and one table of medians: spans accepted per second, spans per collector
// CPU-second, CPU per span against the contrib default of the same round (and its range), peak
// memory, spans refused and exported, and traces evicted undecided.
import { BenchClient, startCollector, startLoad, sleep } from "./collector";
import { cpuSeconds, peakRssMb, SpanCounts, spanCounts } from "./measure";
import { BenchPipeline, BenchPlaces } from "./pipelines";

export interface CompareOptions {
    tps: number;
    seconds: number;
    warmup: number;
    /** Times every pipeline is measured; the table shows medians. */
    rounds: number;
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

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Each round's CPU per span of the pipeline at `index` against the contrib default of that round. */
function ratiosToDefault(rounds: Result[][], index: number): number[] {
    return rounds.flatMap((round) => {
        const base = round.find((r) => r.pipeline.name === "contrib default");
        return base && round[index].spansPerCpuSecond > 0
            ? [base.spansPerCpuSecond / round[index].spansPerCpuSecond]
            : [];
    });
}

/**
 * One row per pipeline: medians over the rounds. Each round's ratio is taken against the contrib
 * default of the same round (the machine drifts between rounds), and its range is shown.
 */
function table(rounds: Result[][]): string {
    const names = rounds[0].map((r) => r.pipeline.name);
    return markdownTable(
        [
            "pipeline",
            "accepted spans/s",
            "spans per CPU-second",
            "CPU per span vs default",
            "ratio range over rounds",
            "peak RSS MB",
            "refused",
            "exported",
            "traces evicted undecided",
        ],
        names.map((name, i) => {
            const runs = rounds.map((round) => round[i]);
            const ratios = ratiosToDefault(rounds, i);
            const sum = (k: "refused" | "exported" | "evictedTraces") => runs.reduce((t, r) => t + r[k], 0);
            return [
                name,
                median(runs.map((r) => r.acceptedPerSecond)).toFixed(0),
                median(runs.map((r) => r.spansPerCpuSecond)).toFixed(0),
                ratios.length ? `${median(ratios).toFixed(2)}x` : "-",
                ratios.length > 1 ? `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x` : "-",
                Math.max(...runs.map((r) => r.peakRssMb)).toFixed(0),
                String(sum("refused")),
                String(sum("exported")),
                String(sum("evictedTraces")),
            ];
        }),
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
        `compare: ${opts.tps} traces/s offered (${opts.tps * 10} spans/s), ${opts.warmup} s warm-up, ${opts.seconds} s measured per pipeline, ${opts.rounds} round(s);`,
    );
    console.log(`collector on CPU ${cpus.collector} with GOMAXPROCS=1, load and sink on CPUs ${cpus.load}\n`);
    const rounds: Result[][] = [];
    for (let round = 1; round <= opts.rounds; round++) {
        // Every round measures each pipeline once, in the same order, so drift spreads over all of them.
        const results: Result[] = [];
        for (const pipeline of pipelines) {
            process.stdout.write(`  round ${round}: ${pipeline.name} ...`);
            results.push(await measure(pipeline, places, opts, cpus, client));
            process.stdout.write(` ${results[results.length - 1].spansPerCpuSecond.toFixed(0)} spans per CPU-second\n`);
        }
        rounds.push(results);
    }
    console.log(`\n${table(rounds)}`);
    const bounds = regressionBounds(rounds);
    if (bounds) console.log(`\n${bounds}`);
}

/** Production's regression bounds: at least this many spans per CPU-second, at most this ratio to the default. */
export const productionBounds = { spansPerCpuSecond: 60_000, ratio: 2.0 };

/** Whether production's medians keep within its bounds (when both it and the default ran). */
function regressionBounds(rounds: Result[][]): string | undefined {
    const index = rounds[0].findIndex((r) => r.pipeline.name === "production");
    const ratios = index < 0 ? [] : ratiosToDefault(rounds, index);
    if (!ratios.length) return undefined;
    const perCpu = median(rounds.map((round) => round[index].spansPerCpuSecond));
    const ratio = median(ratios);
    const met = perCpu >= productionBounds.spansPerCpuSecond && ratio <= productionBounds.ratio;
    return (
        `production's bounds (at least ${productionBounds.spansPerCpuSecond.toLocaleString("en")} spans per CPU-second, ` +
        `at most ${productionBounds.ratio.toFixed(1)}x the default): ${perCpu.toFixed(0)} and ${ratio.toFixed(2)}x, ${met ? "met" : "NOT MET"}`
    );
}
