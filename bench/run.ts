// npm run bench -- [compare|sustain|outage|reboot|e2e|recovery] [options: see README, Performance]
// The collector benchmarks, with the toolchain's pinned collector and each stack's config as
// rendered (paths and ports moved to a scratch directory), TLS and the token as apps send them:
//   compare  each pipeline on one CPU, beside the contrib default and production with one guarantee
//            removed at a time: CPU per span (the process's own accounting), memory, counts;
//   sustain  one stack at its container size under a steady load for minutes (default development);
//   outage   the export target down under load: queue bytes per span, then the drain;
//   reboot   what brings containers back after a reboot of a booted Podman 5 host (bench/reboot.ts);
//   e2e, recovery  the stack's collector and Jaeger containers as deployed (bench/e2e.ts).
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { generateTlsScript, removeTlsScript } from "../components/tls/steps";
import { planFor } from "../stack/plan";
import { runOk, tempDir } from "../tests/tools";
import { compare } from "./compare";
import { e2e, recovery } from "./e2e";
import { freePort } from "./measure";
import { outage } from "./outage";
import { reboot } from "./reboot";
import { benchPipelines, BenchPlaces } from "./pipelines";
import { startSink } from "./sink";
import { sustain } from "./sustain";

const lastCpu = os.cpus().length - 1;
const otherCpus = `0-${Math.max(0, lastCpu - 1)}`;
const allCpus = `0-${lastCpu}`;
const stacks = ["production", "development", "local"];

async function main(): Promise<boolean> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            "traces-per-second": { type: "string" },
            seconds: { type: "string" },
            warmup: { type: "string" },
            only: { type: "string" },
            stack: { type: "string", default: "development" },
            reboots: { type: "string", default: "3" },
            rounds: { type: "string" },
            from: { type: "string" },
            to: { type: "string" },
            "step-seconds": { type: "string" },
            hold: { type: "string" },
            rate: { type: "string" },
            "outage-seconds": { type: "string" },
            "drain-seconds": { type: "string" },
        },
    });
    const mode = positionals[0] ?? "compare";
    const modes = ["compare", "sustain", "outage", "reboot", "e2e", "recovery"];
    if (!modes.includes(mode)) throw new Error(`unknown mode ${mode}: expected one of ${modes.join(", ")}`);
    if (mode === "reboot") {
        const reboots = Number(values.reboots);
        if (!(Number.isInteger(reboots) && reboots > 0))
            throw new Error(`--reboots: expected a whole number above 0, found ${values.reboots}`);
        await reboot(reboots);
        return true;
    }
    if (!stacks.includes(values.stack as string))
        throw new Error(`--stack: expected one of ${stacks.join(", ")}, found ${values.stack}`);
    if (lastCpu < 1) throw new Error("the benchmark needs two CPUs: one for the collector, one for the load");
    type NumberOption =
        | "traces-per-second"
        | "seconds"
        | "warmup"
        | "from"
        | "to"
        | "step-seconds"
        | "hold"
        | "rate"
        | "rounds"
        | "outage-seconds"
        | "drain-seconds";
    const number = (key: NumberOption, fallback: number) => {
        const value = Number(values[key] ?? fallback);
        if (!(value > 0)) throw new Error(`--${key}: expected a positive number, found ${values[key]}`);
        return value;
    };
    const wholeNumber = (key: NumberOption, fallback: number) => {
        const value = number(key, fallback);
        if (!Number.isInteger(value)) throw new Error(`--${key}: expected a whole number, found ${values[key]}`);
        return value;
    };
    const stack = values.stack as string;
    if (mode === "e2e")
        return await e2e({
            stack,
            from: number("from", 10_000),
            to: number("to", 400_000),
            stepSeconds: number("step-seconds", 60),
            hold: number("hold", 600),
            rate: values.rate === undefined ? undefined : number("rate", 0),
        });
    if (mode === "recovery")
        return await recovery({
            stack,
            spansPerSecond: number("rate", 10_000),
            warmup: number("warmup", 60),
            outageSeconds: number("outage-seconds", 600),
            drainBudget: number("drain-seconds", 1200),
        });
    const dir = tempDir("bench");
    const tlsStep = { dir: `${dir}/tls`, caDir: `${dir}/ca`, owner: "0:0", serverNames: ["localhost"] };
    // In outage mode nothing listens where the sink would be until the drain.
    const sink = mode === "outage" ? undefined : await startSink();
    try {
        const places: BenchPlaces = {
            dir,
            sink: sink?.endpoint ?? `127.0.0.1:${await freePort()}`,
            ports: {
                otlpGrpc: await freePort(),
                otlpHttp: await freePort(),
                prometheusExporter: await freePort(),
                health: await freePort(),
                internalMetrics: await freePort(),
            },
        };
        // The program's own TLS step makes the certificate (its renewal units are removed after).
        runOk("sh", ["-s"], { input: generateTlsScript(tlsStep) });
        const token = randomBytes(24).toString("hex");
        fs.writeFileSync(path.join(dir, "token"), token);
        fs.writeFileSync(path.join(dir, "canary-key"), "benchCanaryKey");
        const plans = Object.fromEntries(stacks.map((stack) => [stack, planFor(stack)]));
        const pipelines = benchPipelines(
            Object.fromEntries(stacks.map((s) => [s, plans[s].collectorHosts[0].collector.config])),
            places,
        );
        const client = { caFile: path.join(dir, "ca", "ca.crt"), token };
        if (mode === "compare") {
            // This process and the load stay off the collector's CPU.
            runOk("taskset", ["-p", "-c", otherCpus, String(process.pid)]);
            // One name part picks every pipeline whose name has it; a comma list picks those names exactly.
            const only = values.only?.split(",") ?? [];
            const chosen = pipelines.filter(
                (p) => only.length === 0 || (only.length === 1 ? p.name.includes(only[0]) : only.includes(p.name)),
            );
            await compare(
                chosen,
                places,
                {
                    tps: number("traces-per-second", 4000),
                    seconds: number("seconds", 30),
                    warmup: number("warmup", 15),
                    rounds: wholeNumber("rounds", 3),
                },
                { collector: String(lastCpu), load: otherCpus },
                client,
            );
            return true;
        }
        if (mode === "sustain") {
            const size = plans[stack].collectorHosts[0].collector;
            const pipeline = pipelines.find((p) => p.name === stack);
            if (!pipeline) throw new Error(`no pipeline for ${stack}`);
            return await sustain(
                pipeline,
                places,
                {
                    tps: number("traces-per-second", 3000),
                    seconds: number("seconds", 300),
                    warmup: number("warmup", 20),
                    interval: 30,
                    cpus: Math.ceil(size.cpus),
                    memoryMb: size.memoryMb,
                },
                allCpus,
                client,
            );
        }
        await outage(
            pipelines.filter((p) => ["production", "development"].includes(p.name)),
            places,
            { tps: number("traces-per-second", 2000), seconds: number("seconds", 60) },
            allCpus,
            2,
            client,
        );
        return true;
    } finally {
        await sink?.stop();
        runOk("sh", ["-s"], { input: removeTlsScript(tlsStep) });
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    (passed) => process.exit(passed ? 0 : 1),
    (error: Error) => {
        console.error(error.message);
        process.exit(1);
    },
);
