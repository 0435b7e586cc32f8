// A stack's collector and Jaeger running on this machine's Podman, from exactly the container
// specs and files the components produce, with TLS material made by the program's own TLS step.
import { randomBytes } from "crypto";
import * as fs from "fs";
import { parse, stringify } from "yaml";
import { StackArtifacts, stackArtifacts } from "../stack/files";
import { generateTlsScript, removeTlsScript } from "../components/tls/steps";
import { readStackValues, validateStack } from "../config/load";
import { planStack, StackPlan } from "../stack/plan";
import { stackConfig } from "../config/stackFile";
import { Target, waitForJaeger } from "./otlp";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { containerLogs, removeContainersAndVolumes, startContainer } from "./podman";
import { ensureToolchain, metricSums, runOk, tempDir, waitFor } from "./tools";
import { tlsStepOf } from "./deployed";

export interface LiveStack {
    plan: StackPlan;
    artifacts: StackArtifacts;
    token: string;
    /** The key the deploy check's canary carries. */
    canaryKey: string;
    /** The CA the TLS step printed, as apps would get it from collectorCaCertificate. */
    ca: string;
    hostDir: string;
    jaegerUrl: string;
    /** The collector's OTLP endpoint on this host, with the token and the CA. */
    target(protocol: "grpc" | "http"): Target;
    /** Waits until the collector answers on its health port (after a start or restart). */
    waitHealthy(): Promise<void>;
    /** The collector's own metrics now: name -> sum over all series. */
    internalMetrics(): Promise<Map<string, number>>;
    /** The same page as Prometheus reads it, labels included. */
    internalMetricsText(): Promise<string>;
    /** Replaces the collector with one whose Jaeger exporter has these settings changed; waits until healthy. */
    restartCollectorWithExporter(change: Record<string, unknown>): Promise<void>;
    /** Logs of both containers, for failure messages. */
    logs(): string;
    stop(): void;
}

/**
 * The stack file's config with only what cannot apply on this machine changed (host files go to a
 * temporary directory, Prometheus scrapes localhost), plus the test's own changes in `extra`.
 */
export function livePlan(stack: string, hostDir: string, extra: Record<string, unknown> = {}): StackPlan {
    const values = readStackValues(stackConfig(stack));
    const isObject = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v);
    // Objects change only the keys they name.
    const merge = (key: string, change: Record<string, unknown>) => {
        const current = values[key];
        values[key] = { ...(isObject(current) ? current : {}), ...change };
    };
    merge("collector", { hostDir });
    merge("prometheus", { scrapeAddress: "localhost" });
    for (const [key, value] of Object.entries(extra)) {
        if (isObject(value)) merge(key, value);
        else values[key] = value;
    }
    return planStack(validateStack(values));
}

export function removeStackContainers(artifacts: StackArtifacts): void {
    removeContainersAndVolumes([artifacts.containers.collector, artifacts.containers.jaeger]);
}

/** Waits until a collector answers on its published health port. */
export async function waitForHealth(port: number, what = "collector health"): Promise<void> {
    await waitFor(what, async () => (await fetch(`http://127.0.0.1:${port}/`)).ok || undefined, 60_000);
}

/**
 * Debian's Prometheus in `dir`, scraping the stack's rendered jobs every 2 s (inline: it predates
 * scrape_config_files), and evaluating the rendered rule file every 2 s when asked to, storing exemplars when asked to.
 */
export function startScrapingPrometheus(
    artifacts: StackArtifacts,
    dir: string,
    port: number,
    opts: { rules?: boolean; exemplars?: boolean } = {},
): ChildProcess {
    const files = artifacts.files;
    const scrape = Object.keys(files).find((f) => f.endsWith(".scrape.yml"));
    const rules = Object.keys(files).find((f) => f.endsWith(".rules.yml"));
    if (!scrape || !rules) throw new Error("the stack renders no scrape or rule file");
    const jobs = (parse(files[scrape]) as { scrape_configs: Record<string, unknown>[] }).scrape_configs.map((job) => ({
        ...job,
        scrape_interval: "2s",
    }));
    const config: Record<string, unknown> = { scrape_configs: jobs };
    if (opts.rules) {
        fs.writeFileSync(path.join(dir, "rules.yml"), files[rules]);
        Object.assign(config, { global: { evaluation_interval: "2s" }, rule_files: [path.join(dir, "rules.yml")] });
    }
    fs.writeFileSync(path.join(dir, "prometheus.yml"), stringify(config));
    return spawn(
        ensureToolchain().prometheus,
        [
            `--config.file=${path.join(dir, "prometheus.yml")}`,
            `--storage.tsdb.path=${path.join(dir, "data")}`,
            `--web.listen-address=127.0.0.1:${port}`,
            "--web.enable-lifecycle",
            ...(opts.exemplars ? ["--enable-feature=exemplar-storage"] : []),
        ],
        { stdio: "ignore" },
    );
}

export async function startLiveStack(stack: string, extra: Record<string, unknown> = {}): Promise<LiveStack> {
    const hostDir = tempDir(`live-${stack}`);
    const plan = livePlan(stack, hostDir, extra);
    const token = randomBytes(24).toString("hex");
    const canaryKey = "liveCanaryKey";
    const artifacts = stackArtifacts(plan, { bearerToken: token, canaryKey });
    removeStackContainers(artifacts);

    // The program's TLS step, run as root here as it would run on the host.
    const ca = runOk("sh", ["-s"], { input: generateTlsScript(tlsStepOf(plan)) });
    const { collector, jaeger } = artifacts.containers;
    const logs = () => `--- collector\n${containerLogs(collector.name)}\n--- jaeger\n${containerLogs(jaeger.name)}`;
    const stop = () => {
        removeStackContainers(artifacts);
        runOk("sh", ["-s"], { input: removeTlsScript(tlsStepOf(plan)) });
        fs.rmSync(hostDir, { recursive: true, force: true });
    };
    const ports = plan.collectorHosts[0].collector.ports;
    const target = (protocol: "grpc" | "http"): Target => ({
        protocol,
        address: `localhost:${protocol === "grpc" ? ports.otlpGrpc : ports.otlpHttp}`,
        token,
        ca,
    });
    const waitHealthy = () => waitForHealth(ports.health);
    const internalMetricsText = async () => (await fetch(`http://127.0.0.1:${ports.internalMetrics}/metrics`)).text();
    const internalMetrics = async () => metricSums(await internalMetricsText());
    const restartCollectorWithExporter = async (change: Record<string, unknown>) => {
        const [config, ...others] = collector.files;
        const changed = parse(config.content) as { exporters: Record<string, Record<string, unknown>> };
        Object.assign(changed.exporters["otlp_grpc/jaeger"], change);
        startContainer({ ...collector, files: [{ ...config, content: stringify(changed) }, ...others] });
        await waitHealthy();
    };
    try {
        startContainer(jaeger);
        startContainer(collector);
        const jaegerUrl = `http://127.0.0.1:${plan.jaeger.uiPort}`;
        await waitHealthy();
        await waitForJaeger(jaegerUrl);
        return {
            plan,
            artifacts,
            token,
            canaryKey,
            ca,
            hostDir,
            jaegerUrl,
            target,
            waitHealthy,
            internalMetrics,
            internalMetricsText,
            restartCollectorWithExporter,
            logs,
            stop,
        };
    } catch (error) {
        const message = `${(error as Error).message}\n${logs()}`;
        stop();
        throw new Error(message, { cause: error });
    }
}

/**
 * A live stack for the enclosing describe block: built from the toolchain before its tests,
 * removed after them. Returns the running stack's accessor.
 */
export function useLiveStack(stack: string, extra: Record<string, unknown> = {}): () => LiveStack {
    let live: LiveStack | undefined;
    before(async () => {
        ensureToolchain();
        live = await startLiveStack(stack, extra);
    });
    after(() => live?.stop());
    return () => {
        if (!live) throw new Error(`the live ${stack} stack did not start`);
        return live;
    };
}
