// Checks on what a deployment placed on this machine's Podman, shared by the engine tests: the
// containers against their specs, the outputs as a deployment job reads them, and clean-up.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { collectorQueueVolume } from "../components/collector/container";
import { ContainerSpec } from "../components/container";
import { grafanaPlacement } from "../components/grafana/placement";
import { jaegerDataVolume } from "../components/jaeger/jaeger";
import { TlsStepSettings } from "../components/tls/steps";
import { StackArtifacts } from "../stack/files";
import { privateNetwork, StackPlan } from "../stack/plan";
import { Target } from "./otlp";
import { removeStackContainers } from "./live";
import { run, runOk, tempDir } from "./tools";

/** Named volumes a destroy keeps, so that it never loses queued spans or stored traces. */
export const retainedVolumes = [collectorQueueVolume, jaegerDataVolume];

interface Inspected {
    Config: { User: string; Env: string[]; Image: string };
    HostConfig: {
        NanoCpus: number;
        Memory: number;
        RestartPolicy: { Name: string };
        PortBindings: Record<string, { HostPort: string }[]>;
    };
    NetworkSettings: { Networks: Record<string, unknown> };
    Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
    State: { Running: boolean };
    ImageName: string;
}

export function inspect(name: string): Inspected {
    return (JSON.parse(runOk("podman", ["container", "inspect", name])) as Inspected[])[0];
}

/** A file from inside a container (the images have no shell, so copy it out). */
export function fileInContainer(name: string, file: string): string {
    const dir = tempDir("copy");
    try {
        runOk("podman", ["cp", `${name}:${file}`, path.join(dir, "file")]);
        return fs.readFileSync(path.join(dir, "file"), "utf8");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export function assertPlacedAsSpecified(spec: ContainerSpec): void {
    const c = inspect(spec.name);
    assert.ok(c.State.Running, `${spec.name} runs`);
    assert.strictEqual(c.ImageName, spec.image);
    assert.strictEqual(c.Config.User, spec.user);
    assert.strictEqual(c.HostConfig.NanoCpus, spec.cpus * 1e9);
    if (spec.memoryMb) assert.strictEqual(c.HostConfig.Memory, spec.memoryMb * 1024 * 1024);
    assert.strictEqual(c.HostConfig.RestartPolicy.Name, spec.restart);
    for (const [key, value] of Object.entries(spec.env))
        assert.ok(c.Config.Env.includes(`${key}=${value}`), `${spec.name}: ${key}`);
    const published = Object.entries(c.HostConfig.PortBindings)
        .map(([port, b]) => `${b[0].HostPort}:${port.split("/")[0]}`)
        .sort();
    assert.deepStrictEqual(published, spec.ports.map((p) => `${p.external}:${p.internal}`).sort());
    assert.deepStrictEqual(Object.keys(c.NetworkSettings.Networks), [spec.network]);
    for (const m of spec.mounts) {
        const mount = c.Mounts.find((x) => x.Destination === m.containerPath);
        assert.ok(mount, `${spec.name} mounts ${m.containerPath}`);
        if ("volume" in m) assert.strictEqual(mount.Name, m.volume);
        else assert.deepStrictEqual([mount.Source, mount.RW], [m.hostPath, false]);
    }
    for (const file of spec.files.filter((f) => !f.secret)) {
        assert.strictEqual(fileInContainer(spec.name, file.path), file.content, `${spec.name}:${file.path}`);
    }
}

/** Where the outputs tell an app to send, as a deployment job turns them into its settings. */
export function targetFromOutputs(outputs: Record<string, unknown>): { target: Target; jaegerUrl: string } {
    const env = outputs.appEnvironment as Record<string, string>;
    const header = decodeURIComponent(env.OTEL_EXPORTER_OTLP_HEADERS);
    const token = header.replace(/^authorization=Bearer /, "");
    const address = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT).host;
    return {
        target: { protocol: "grpc", address, token, ca: String(outputs.collectorCaCertificate) },
        jaegerUrl: String(outputs.jaegerUiUrl).replace(/\/$/, ""),
    };
}

export function removeLeftovers(artifacts: StackArtifacts, plan: StackPlan): void {
    removeStackContainers(artifacts);
    run("podman", ["network", "rm", "--force", privateNetwork]);
    // The local stack keeps every host file (TLS, CA, Prometheus files) under its host directory.
    fs.rmSync(path.dirname(plan.collectorHosts[0].firewall.rulesetPath), { recursive: true, force: true });
}

/** The TLS step's settings of a stack that has TLS (every stack file's does). */
export function tlsStepOf(plan: StackPlan): TlsStepSettings {
    if (plan.collectorHosts[0].tls.mode === "disabled") throw new Error("this stack has TLS disabled");
    return plan.collectorHosts[0].tls.step;
}

/**
 * A host's TLS step run on this machine: its directories moved under `root`, and the expiry
 * metric (where the stack writes one) into a directory made there for it.
 */
export function tlsStepUnder(step: TlsStepSettings, root: string): TlsStepSettings {
    const moved = { ...step, dir: path.join(root, "tls"), caDir: path.join(root, "ca") };
    if (!step.expiryMetrics) return moved;
    const metrics = path.join(root, "textfile");
    fs.mkdirSync(metrics, { recursive: true });
    return { ...moved, expiryMetrics: { ...step.expiryMetrics, dir: metrics } };
}

/** The provider file, the data sources and the dashboards the Grafana step places (none when Grafana is off). */
export function grafanaFiles(plan: StackPlan): string[] {
    if (!plan.grafana) return [];
    const g = plan.grafana;
    return [
        g.providerPath,
        g.datasourcePath,
        ...Object.keys(grafanaPlacement(g).files)
            .filter((f) => f.endsWith(".json"))
            .map((f) => `${g.dashboardsDir}/${f}`),
    ];
}
