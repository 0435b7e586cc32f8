// The real Pulumi engine (CLI, Node.js language host, command/random/docker plugins built by the
// toolchain) run on a copy of this project, with a file backend and a passphrase secrets
// provider in a scratch directory: nothing is read from or written to the checkout or ~/.pulumi.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { examplesFolder, projectRoot } from "../config/stackFile";
import { stringify } from "yaml";
import { copyProject, ensureToolchain, run, RunResult, runAsync, runOk, tempDir, waitFor } from "./tools";

/** What the program needs to run: its sources, its project file and its stack files. */
const projectEntries = [
    "Pulumi.yaml",
    "index.ts",
    "components",
    "config",
    "grammar",
    "stack",
    // The deploy check's script, which the program runs as a local command.
    "checks",
    "scripts",
    "versions.json",
    "package.json",
    "tsconfig.json",
];

export interface PreviewStep {
    op: string;
    urn: string;
    /** Properties whose change makes this step (update and replace steps, with --diff). */
    diffReasons?: string[];
}

export class EngineProject {
    readonly dir: string;
    private readonly env: NodeJS.ProcessEnv;

    constructor() {
        const scratch = tempDir("engine");
        this.dir = path.join(scratch, "project");
        fs.mkdirSync(this.dir);
        copyProject(
            [...projectEntries, ...fs.readdirSync(projectRoot).filter((f) => /^Pulumi\..+\.yaml$/.test(f))],
            this.dir,
        );
        // The example stack files stand beside the others in the copy, so the CLI finds them by name.
        for (const file of fs
            .readdirSync(path.join(projectRoot, examplesFolder))
            .filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
            fs.copyFileSync(path.join(projectRoot, examplesFolder, file), path.join(this.dir, file));
        }
        const home = path.join(scratch, "pulumi-home");
        fs.mkdirSync(path.join(scratch, "state"));
        this.env = {
            ...process.env,
            PATH: `${ensureToolchain().pulumiBin}:${process.env.PATH}`,
            PULUMI_HOME: home,
            PULUMI_BACKEND_URL: `file://${path.join(scratch, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "ivatar-otel engine tests",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            // Plugins come from PATH only: these machines cannot download any.
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
        };
    }

    /**
     * Puts another version's program in place of this copy's (its sources from `root`, this
     * copy's stack files and node_modules kept): the next `up` deploys that version over the same
     * state, as a newer checkout would.
     */
    useProgramFrom(root: string): void {
        for (const entry of projectEntries) fs.rmSync(path.join(this.dir, entry), { recursive: true, force: true });
        // An older version may lack some (the deploy check's script came later).
        for (const entry of projectEntries.filter((e) => fs.existsSync(path.join(root, e))))
            fs.cpSync(path.join(root, entry), path.join(this.dir, entry), { recursive: true });
    }

    /** Runs the CLI in the project copy (never throws; the result carries the exit status). */
    pulumi(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): RunResult {
        return run("pulumi", [...args, "--non-interactive"], {
            cwd: this.dir,
            env: { ...this.env, ...opts.env },
            input: opts.input ?? "",
            timeout: opts.timeoutMs ?? 300_000,
            maxBuffer: 64 * 1024 * 1024,
        });
    }

    /**
     * Runs the CLI in the background; `onOutput` sees its output as it comes (to act in the middle
     * of an `up`). Resolves with the exit status and all the output.
     */
    pulumiInBackground(args: string[], onOutput: (soFar: string) => void, env?: NodeJS.ProcessEnv): Promise<RunResult> {
        return runAsync("pulumi", [...args, "--non-interactive"], {
            cwd: this.dir,
            env: { ...this.env, ...env },
            onStdout: onOutput,
        });
    }

    /** Runs another command in the project copy, with the CLI and its state in reach (as a deploy job does). */
    command(program: string, args: string[], timeoutMs = 300_000): RunResult {
        return run(program, args, { cwd: this.dir, env: this.env, input: "", timeout: timeoutMs });
    }

    /** Runs the CLI and fails with its output unless it exits 0. */
    pulumiOk(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): string {
        const result = this.pulumi(args, opts);
        if (result.status !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
        }
        return result.stdout;
    }

    /** Creates a stack in the scratch backend (its stack file, if any, is the project's copy). */
    initStack(stack: string): void {
        this.pulumiOk(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    }

    writeStackFile(stack: string, content: string): void {
        fs.writeFileSync(path.join(this.dir, `Pulumi.${stack}.yaml`), content);
    }

    /** `pulumi preview --json`: the planned steps, less the stack itself. */
    preview(stack: string, extra: string[] = [], env?: NodeJS.ProcessEnv): PreviewStep[] {
        const out = this.pulumiOk(["preview", "--stack", stack, "--json", ...extra], { env });
        const parsed = JSON.parse(out) as { steps?: PreviewStep[] };
        return (parsed.steps ?? []).filter((s) => !s.urn.includes("::pulumi:pulumi:Stack::"));
    }

    /** The stack's outputs as a deployment job reads them, secrets shown. */
    outputs(stack: string): Record<string, unknown> {
        return JSON.parse(this.pulumiOk(["stack", "output", "--stack", stack, "--json", "--show-secrets"])) as Record<
            string,
            unknown
        >;
    }

    remove(): void {
        fs.rmSync(path.dirname(this.dir), { recursive: true, force: true });
    }
}

/** "type::name" of a URN (the last type of its parent chain and the logical name). */
export function urnKey(urn: string): string {
    const parts = urn.split("::");
    const types = parts[2].split("$");
    return `${types[types.length - 1]}::${parts.slice(3).join("::")}`;
}

/**
 * This machine's Podman API on the socket the local stack uses, as `podman.socket` would serve
 * it on a host with systemd. Returns a stop function (a no-op if a service was already there).
 */
export function startPodmanService(socket = "/run/podman/podman.sock"): () => void {
    const ping = () => run("curl", ["-sf", "--unix-socket", socket, "http://d/_ping"]).status === 0;
    if (ping()) return () => undefined;
    fs.mkdirSync(path.dirname(socket), { recursive: true });
    const child = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], {
        stdio: "ignore",
        detached: false,
    });
    const deadline = Date.now() + 20_000;
    while (!ping()) {
        if (Date.now() > deadline) {
            child.kill();
            throw new Error(`podman system service did not answer on ${socket}`);
        }
        run("sleep", ["0.2"]);
    }
    return () => child.kill();
}

/** "op type::name reasons" of every step that is not "same": what a reviewer is shown. */
export function changedSteps(steps: PreviewStep[]): string[] {
    return steps
        .filter((s) => s.op !== "same")
        .map((s) => `${s.op} ${urnKey(s.urn)} ${(s.diffReasons ?? []).join(",")}`.trim());
}

/**
 * A one-key change to the collector's config (sampling ratio) touches the collector container
 * and nothing else: it is replaced, because a file uploaded into it changed. The deploy check,
 * which follows every change, runs again.
 */
export function assertOnlyCollectorReplaced(steps: PreviewStep[]): void {
    const changed = changedSteps(steps);
    const resources = [...new Set(steps.filter((s) => s.op !== "same").map((s) => urnKey(s.urn)))].sort();
    const expected = ["command:local:Command::deploy-check", "docker:index/container:Container::collector-container"];
    if (JSON.stringify(resources) !== JSON.stringify(expected)) {
        throw new Error(
            `expected only the collector container to change (and the deploy check to run again), found:\n${changed.join("\n")}`,
        );
    }
    if (!steps.some((s) => s.op === "replace" && (s.diffReasons ?? []).includes("uploads"))) {
        throw new Error(`expected the collector container replaced for its uploads, found:\n${changed.join("\n")}`);
    }
}

/** A stack file with these values under the project's namespace. */
export function stackFile(values: Record<string, unknown>): string {
    return stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`ivatar-otel:${k}`, v])) });
}

/**
 * An ssh-agent in `dir` holding the client key: the docker provider's ssh authenticates only
 * through an agent. `env` is what the CLI needs to reach it.
 */
export async function startAgent(
    dir: string,
    clientKey: string,
): Promise<{ agent: ChildProcess; env: NodeJS.ProcessEnv }> {
    const socket = path.join(dir, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    await waitFor("ssh-agent", () => (fs.existsSync(socket) ? true : undefined), 10_000);
    const env = { SSH_AUTH_SOCK: socket };
    runOk("ssh-add", ["-q", clientKey], { env: { ...process.env, ...env } });
    return { agent, env };
}
