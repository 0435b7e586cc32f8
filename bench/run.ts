// npm run bench -- [--traces-per-second N] [--seconds S] [--warmup W]
// Runs the pinned collector (the toolchain's build) with each benchmark pipeline in turn, pinned
// to this machine's last CPU with GOMAXPROCS=1, under the same ivatar-like load, and prints per
// pipeline: spans accepted per second, spans per collector CPU-second, CPU per span as a ratio
// to the contrib default, peak memory, spans refused and exported. CPU is the process's own
// accounting over a window after a warm-up; the ratios are the figures to trust on a shared machine.
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { stringify } from "yaml";
import { generateTlsScript, removeTlsScript } from "../components/tls/steps";
import { readStackValues, validateStack } from "../config/load";
import { planStack } from "../config/plan";
import { stackConfig } from "../config/stackFile";
import { ensureToolchain, runOk, tempDir, waitFor } from "../tests/tools";
import { loadCommand } from "./load";
import { cpuSeconds, freePort, peakRssMb, SpanCounts, spanCounts } from "./measure";
import { BenchPipeline, benchPipelines, BenchPlaces } from "./pipelines";
import { startSink } from "./sink";

interface Result {
    pipeline: BenchPipeline;
    acceptedPerSecond: number;
    spansPerCpuSecond: number;
    peakRssMb: number;
    refused: number;
    exported: number;
    evictedTraces: number;
}

const lastCpu = os.cpus().length - 1;
const otherCpus = `0-${Math.max(0, lastCpu - 1)}`;

function stopProcess(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    });
}

async function measure(pipeline: BenchPipeline, places: BenchPlaces, opts: { tps: number; seconds: number; warmup: number }, ca: string, token: string): Promise<Result> {
    const tools = ensureToolchain();
    const configFile = path.join(places.dir, `${pipeline.name.replace(/\W+/g, "-")}.yaml`);
    fs.writeFileSync(configFile, stringify(pipeline.config));
    fs.rmSync(path.join(places.dir, "queue"), { recursive: true, force: true });
    fs.mkdirSync(path.join(places.dir, "queue"));
    const collector = spawn("taskset", ["-c", String(lastCpu), tools.collector, "--config", configFile],
        { env: { ...process.env, GOMAXPROCS: "1" }, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    collector.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const metricsUrl = `http://127.0.0.1:${places.ports.internalMetrics}/metrics`;
    const load: ChildProcess[] = [];
    try {
        await waitFor(`collector (${pipeline.name}) up`, async () => (await fetch(metricsUrl)).ok || undefined, 30_000)
            .catch((error: Error) => { throw new Error(`${error.message}\n${log}`); });
        const command = loadCommand({
            endpoint: `localhost:${places.ports.otlpGrpc}`, tracesPerSecond: opts.tps, seconds: opts.warmup + opts.seconds + 3,
            caFile: pipeline.tls ? ca : undefined, token: pipeline.token ? token : undefined,
        });
        const generator = spawn("taskset", ["-c", otherCpus, ...command], { stdio: ["ignore", "pipe", "pipe"] });
        let loadReport = "";
        generator.stdout?.on("data", (chunk: Buffer) => (loadReport += chunk.toString()));
        generator.stderr?.on("data", (chunk: Buffer) => (loadReport += chunk.toString()));
        load.push(generator);
        await new Promise((r) => setTimeout(r, opts.warmup * 1000));
        const pid = collector.pid as number;
        const [cpu0, counts0] = [cpuSeconds(pid), await spanCounts(metricsUrl)];
        await new Promise((r) => setTimeout(r, opts.seconds * 1000));
        const [cpu1, counts1] = [cpuSeconds(pid), await spanCounts(metricsUrl)];
        const delta = (k: keyof SpanCounts) => counts1[k] - counts0[k];
        const cpu = cpu1 - cpu0;
        const peak = peakRssMb(pid);
        // The generator stops on its own a few seconds later and reports what its requests met.
        await new Promise<void>((resolve) => (generator.exitCode !== null ? resolve() : generator.once("exit", () => resolve())));
        let report: { failedRequests?: number; lastError?: string };
        try {
            report = JSON.parse(loadReport.trim().split("\n").pop() ?? "") as typeof report;
        } catch {
            throw new Error(`the load generator did not report (exit ${generator.exitCode}):\n${loadReport}`);
        }
        if (report.failedRequests) console.log(`\n    ${pipeline.name}: ${report.failedRequests} requests failed at the client, last: ${report.lastError}`);
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
        await Promise.all(load.map(stopProcess));
        await stopProcess(collector);
    }
}

function table(results: Result[]): string {
    const base = results.find((r) => r.pipeline.name === "contrib default");
    const rows = results.map((r) => [
        r.pipeline.name,
        r.acceptedPerSecond.toFixed(0),
        r.spansPerCpuSecond.toFixed(0),
        base && r.spansPerCpuSecond > 0 ? `${(base.spansPerCpuSecond / r.spansPerCpuSecond).toFixed(2)}x` : "-",
        r.peakRssMb.toFixed(0),
        String(r.refused),
        String(r.exported),
        String(r.evictedTraces),
    ]);
    const header = ["pipeline", "accepted spans/s", "spans per CPU-second", "CPU per span vs default", "peak RSS MB", "refused", "exported", "traces evicted undecided"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: {
        "traces-per-second": { type: "string", default: "4000" }, seconds: { type: "string", default: "30" }, warmup: { type: "string", default: "15" },
        only: { type: "string" },
    } });
    if (lastCpu < 1) throw new Error("the benchmark needs two CPUs: one for the collector, one for the load");
    // This process and the load stay off the collector's CPU.
    runOk("taskset", ["-p", "-c", otherCpus, String(process.pid)]);
    const opts = { tps: Number(values["traces-per-second"]), seconds: Number(values.seconds), warmup: Number(values.warmup) };
    const dir = tempDir("bench");
    const tlsStep = { dir: `${dir}/tls`, caDir: `${dir}/ca`, owner: "0:0", serverNames: ["localhost"] };
    const sink = await startSink();
    try {
        const places: BenchPlaces = {
            dir, sink: sink.endpoint,
            ports: { otlpGrpc: await freePort(), otlpHttp: await freePort(), prometheusExporter: await freePort(), health: await freePort(), internalMetrics: await freePort() },
        };
        // The program's own TLS step makes the certificate (its renewal units are removed after).
        runOk("sh", ["-s"], { input: generateTlsScript(tlsStep) });
        const token = randomBytes(24).toString("hex");
        fs.writeFileSync(path.join(dir, "token"), token);
        const rendered = Object.fromEntries(["production", "development", "local"].map((stack) =>
            [stack, planStack(validateStack(readStackValues(stackConfig(stack)))).collector.config]));
        const pipelines = benchPipelines(rendered, places).filter((p) => !values.only || p.name.includes(values.only));
        console.log(`ivatar-otel bench: ${opts.tps} traces/s offered (${opts.tps * 10} spans/s), ${opts.warmup} s warm-up, ${opts.seconds} s measured per pipeline;`);
        console.log(`collector on CPU ${lastCpu} with GOMAXPROCS=1, load and sink on CPUs ${otherCpus}\n`);
        const results: Result[] = [];
        for (const pipeline of pipelines) {
            process.stdout.write(`  ${pipeline.name} ...`);
            results.push(await measure(pipeline, places, opts, `${dir}/ca/ca.crt`, token));
            process.stdout.write(" done\n");
        }
        console.log(`\n${table(results)}`);
        console.log(`\nsink: ${sink.counts().requests} export requests, ${(sink.counts().bytes / 1e6).toFixed(1)} MB`);
    } finally {
        await sink.stop();
        runOk("sh", ["-s"], { input: removeTlsScript(tlsStep) });
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
});
