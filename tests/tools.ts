// The real programs the artifact, live and engine tests run, installed and built by
// scripts/toolchain.sh, which `npm test` runs before mocha (cold it takes long, so never inside
// a hook's timeout). A missing tool fails the tests, never skips them.
import { spawn, spawnSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../config/stackFile";

export interface Tools {
    collector: string;
    jaeger: string;
    telemetrygen: string;
    promtool: string;
    prometheus: string;
    /** Debian's node_exporter, which reads the certificate expiry the TLS step writes. */
    nodeExporter: string;
    /** Directory holding the Pulumi CLI, the Node.js language host and the provider plugins. */
    pulumiBin: string;
    /** The test hosts' root file system (scripts/host-root.sh). */
    hostRoot: string;
    /** The program's images in one archive, for the test hosts' Podman. */
    hostImages: string;
}

let tools: Tools | undefined;

const toolsFile = path.join(
    process.env.IVATAR_OTEL_CACHE ?? path.join(os.homedir(), ".cache/ivatar-otel"),
    "tools.env",
);

/** The tools the last toolchain run recorded; fails with the command to run if there are none. */
export function ensureToolchain(): Tools {
    if (tools) return tools;
    if (!fs.existsSync(toolsFile)) {
        throw new Error(`no ${toolsFile}: run \`bash scripts/toolchain.sh\` first (\`npm test\` does)`);
    }
    const env = Object.fromEntries(
        fs
            .readFileSync(toolsFile, "utf8")
            .trim()
            .split("\n")
            .map((line) => {
                const eq = line.indexOf("=");
                return [line.slice(0, eq), line.slice(eq + 1)];
            }),
    );
    const need = (key: string) => {
        const value = env[key];
        if (!value || !fs.existsSync(value))
            throw new Error(`${toolsFile} names no usable ${key} (got ${value}): run \`bash scripts/toolchain.sh\``);
        return value;
    };
    tools = {
        collector: need("IVATAR_OTEL_COLLECTOR"),
        jaeger: need("IVATAR_OTEL_JAEGER"),
        telemetrygen: need("IVATAR_OTEL_TELEMETRYGEN"),
        promtool: need("IVATAR_OTEL_PROMTOOL"),
        prometheus: need("IVATAR_OTEL_PROMETHEUS"),
        nodeExporter: need("IVATAR_OTEL_NODE_EXPORTER"),
        pulumiBin: need("IVATAR_OTEL_PULUMI_BIN"),
        hostRoot: need("IVATAR_OTEL_HOST_ROOT"),
        hostImages: need("IVATAR_OTEL_HOST_IMAGES"),
    };
    return tools;
}

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a command and returns its exit status and output (never throws on failure). */
export function run(command: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
    const result = spawnSync(command, args, { encoding: "utf8", timeout: 120_000, ...opts });
    if (result.error) throw result.error;
    return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * As run, without blocking this process: for commands that talk to a server the test itself
 * serves, or that run while the test goes on. `onStdout` sees the output so far as it comes.
 */
export function runAsync(
    command: string,
    args: string[],
    opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; onStdout?: (soFar: string) => void } = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            opts.onStdout?.(stdout);
        });
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
        child.stdin.end(opts.input ?? "");
    });
}

/** Runs a command that must succeed; the error carries its output. */
export function runOk(command: string, args: string[], opts: SpawnSyncOptions = {}): string {
    const result = run(command, args, opts);
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
    }
    return result.stdout;
}

/** Copies these entries of the project (paths relative to its root) into dir; node_modules is linked, not copied. */
export function copyProject(entries: string[], dir: string): void {
    for (const entry of entries) {
        fs.mkdirSync(path.dirname(path.join(dir, entry)), { recursive: true });
        fs.cpSync(path.join(projectRoot, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `ivatar-otel-${prefix}-`));
}

/** Writes files (relative path -> content) under dir. */
export function writeTree(dir: string, files: Record<string, string>): void {
    for (const [relative, content] of Object.entries(files)) {
        const target = path.join(dir, relative);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
}

/** Each metric's value summed over its series, from Prometheus's text format. */
export function metricSums(text: string): Map<string, number> {
    const sums = new Map<string, number>();
    for (const line of text.split("\n")) {
        if (!line || line.startsWith("#")) continue;
        const name = line.split(/[{ ]/)[0];
        sums.set(name, (sums.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
    return sums;
}

/** Runs fn with a fresh temporary directory, removed afterwards whatever happens. */
export function inTempDir<T>(prefix: string, fn: (dir: string) => T): T {
    const dir = tempDir(prefix);
    try {
        return fn(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Polls until check() returns a value, or fails after timeoutMs with the last error. */
export async function waitFor<T>(
    what: string,
    check: () => Promise<T | undefined> | T | undefined,
    timeoutMs = 30_000,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await check();
            if (value !== undefined) return value;
        } catch (error) {
            last = error;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
