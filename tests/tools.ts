// The real programs the artifact and live tests run, installed and built by scripts/toolchain.sh.
// A missing tool is installed, never skipped: if the toolchain cannot be had, the tests fail.
import { spawnSync, SpawnSyncOptions } from "child_process";
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
}

let tools: Tools | undefined;

/** Runs scripts/toolchain.sh once per test process (quick when its cache is warm). */
export function ensureToolchain(): Tools {
    if (tools) return tools;
    const result = spawnSync("bash", [path.join(projectRoot, "scripts/toolchain.sh")], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    if (result.status !== 0) throw new Error(`scripts/toolchain.sh failed (exit ${result.status}); see its output above`);
    const env = Object.fromEntries(result.stdout.trim().split("\n").map((line) => {
        const eq = line.indexOf("=");
        return [line.slice(0, eq), line.slice(eq + 1)];
    }));
    const need = (key: string) => {
        const value = env[key];
        if (!value || !fs.existsSync(value)) throw new Error(`toolchain did not provide ${key} (got ${value})`);
        return value;
    };
    tools = {
        collector: need("IVATAR_OTEL_COLLECTOR"),
        jaeger: need("IVATAR_OTEL_JAEGER"),
        telemetrygen: need("IVATAR_OTEL_TELEMETRYGEN"),
        promtool: need("IVATAR_OTEL_PROMTOOL"),
        prometheus: need("IVATAR_OTEL_PROMETHEUS"),
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

/** Runs a command that must succeed; the error carries its output. */
export function runOk(command: string, args: string[], opts: SpawnSyncOptions = {}): string {
    const result = run(command, args, opts);
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
    }
    return result.stdout;
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

/** Polls until check() returns a value, or fails after timeoutMs with the last error. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
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
