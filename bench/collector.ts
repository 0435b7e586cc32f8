// The benchmarked collector as a process: the toolchain's binary with a config file, pinned to
// the given CPUs with a matching GOMAXPROCS, up when its own metrics answer.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { ensureToolchain, waitFor } from "../tests/tools";
import { loadCommand } from "./load";
import { BenchPipeline, BenchPlaces } from "./pipelines";

export interface RunningCollector {
    pid: number;
    metricsUrl: string;
    /** The last few KB of its log. */
    log(): string;
    stop(): Promise<void>;
}

export function stopProcess(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    });
}

/**
 * Starts the collector with `config` written to `<dir>/<name>.yaml` and an empty `<dir>/queue`,
 * on `cpus` (a taskset list) with GOMAXPROCS=`procs` and any extra environment.
 */
export async function startCollector(o: {
    dir: string;
    name: string;
    config: Record<string, unknown>;
    metricsPort: number;
    cpus: string;
    procs: number;
    env?: Record<string, string>;
}): Promise<RunningCollector> {
    const tools = ensureToolchain();
    const configFile = path.join(o.dir, `${o.name.replace(/\W+/g, "-")}.yaml`);
    fs.writeFileSync(configFile, stringify(o.config));
    fs.rmSync(path.join(o.dir, "queue"), { recursive: true, force: true });
    fs.mkdirSync(path.join(o.dir, "queue"));
    const child = spawn("taskset", ["-c", o.cpus, tools.collector, "--config", configFile], {
        env: { ...process.env, GOMAXPROCS: String(o.procs), ...o.env },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const metricsUrl = `http://127.0.0.1:${o.metricsPort}/metrics`;
    const running = { pid: child.pid as number, metricsUrl, log: () => log, stop: () => stopProcess(child) };
    try {
        await waitFor(`collector (${o.name}) up`, async () => (await fetch(metricsUrl)).ok || undefined, 30_000);
    } catch (error) {
        await running.stop();
        throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
    }
    return running;
}

/** What the load generator prints when it is done. */
export interface LoadReport {
    okRequests?: number;
    failedRequests?: number;
    lastError?: string;
}

/** What a client of the benchmarked collector holds: the CA file and the token. */
export interface BenchClient {
    caFile: string;
    token: string;
}

/**
 * Starts the load generator on `cpus` against the pipeline's receiver, with TLS and the token
 * where the pipeline asks for them; `done` resolves with its report when it exits.
 */
export function startLoad(
    pipeline: BenchPipeline,
    places: BenchPlaces,
    rate: { tracesPerSecond: number; seconds: number },
    client: BenchClient,
    cpus: string,
): { child: ChildProcess; done: Promise<LoadReport> } {
    const command = loadCommand({
        endpoint: `localhost:${places.ports.otlpGrpc}`,
        ...rate,
        caFile: pipeline.tls ? client.caFile : undefined,
        token: pipeline.token ? client.token : undefined,
    });
    const child = spawn("taskset", ["-c", cpus, ...command], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const done = new Promise<LoadReport>((resolve, reject) => {
        child.once("exit", (code) => {
            try {
                resolve(JSON.parse(output.trim().split("\n").pop() ?? "") as LoadReport);
            } catch {
                reject(new Error(`the load generator did not report (exit ${code}):\n${output}`));
            }
        });
    });
    return { child, done };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
