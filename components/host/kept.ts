// KeptStep: keeps what a host step placed. The command provider cannot read a host back, so a
// table flushed or a certificate deleted on the host would stay unseen by Pulumi. This resource,
// beside the step, runs the step's check script on refresh (`pulumi up --refresh`, `pulumi
// preview --refresh`): what it prints is missing, which shows as a change, and the update runs the
// step's own (idempotent) create script again, then checks once more.
import * as pulumi from "@pulumi/pulumi";
import { asRoot } from "./scripts";

/** How the check and repair reach the host: the same pinned SSH as the docker provider, or this machine. */
export interface KeptConnection {
    /** Arguments of the local `ssh` before the command (options, port, user@address); absent: run locally. */
    sshArgs?: string[];
}

/** The wrapper that runs a script from stdin as root, captured into the serialized provider as a plain string. */
const rootShell = asRoot;

interface KeptInputs {
    connection: KeptConnection;
    /** SSH private key; without it the agent at $SSH_AUTH_SOCK. */
    privateKey?: string;
    /** Prints one line per piece of the step's work missing on the host; nothing when all is there. */
    check: string;
    /** The step's create script: puts everything back, changing nothing that is in place. */
    repair: string;
}

interface KeptState extends KeptInputs {
    /** What the last refresh found missing. */
    missing: string[];
}

/**
 * Runs a script as root on the host and returns its stdout lines; throws with its output if it
 * fails. Self-contained: Pulumi serializes it into the state with the provider.
 */
function runOnHost(inputs: KeptInputs, script: string, asRootCommand: string): string[] {
    const childProcess = require("child_process") as typeof import("child_process");
    const fs = require("fs") as typeof import("fs");
    const os = require("os") as typeof import("os");
    const path = require("path") as typeof import("path");
    let keyDir: string | undefined;
    try {
        let command = "/bin/sh";
        let args = ["-c", asRootCommand];
        if (inputs.connection.sshArgs) {
            const identity: string[] = [];
            if (inputs.privateKey) {
                keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "ivatar-otel-key-"));
                fs.writeFileSync(path.join(keyDir, "key"), inputs.privateKey.endsWith("\n") ? inputs.privateKey : `${inputs.privateKey}\n`, { mode: 0o600 });
                identity.push("-i", path.join(keyDir, "key"), "-o", "IdentitiesOnly=yes");
            }
            command = "ssh";
            args = [...identity, ...inputs.connection.sshArgs, asRootCommand];
        }
        const result = childProcess.spawnSync(command, args, { input: script, encoding: "utf8", timeout: 600_000 });
        if (result.error) throw result.error;
        if (result.status !== 0) {
            const where = inputs.connection.sshArgs ? inputs.connection.sshArgs[inputs.connection.sshArgs.length - 1] : "this machine";
            throw new Error(`on ${where}: exited ${String(result.status)}: ${result.stderr}${result.stdout}`.trim());
        }
        return result.stdout.split("\n").filter((line) => line.trim() !== "");
    } finally {
        if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    }
}

const keptProvider: pulumi.dynamic.ResourceProvider = {
    // The step has just placed everything; the next refresh looks.
    async create(inputs: KeptInputs) {
        return { id: `kept-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, outs: { ...inputs, missing: [] } };
    },
    async read(id: string, props: KeptState) {
        return { id, props: { ...props, missing: runOnHost(props, props.check, rootShell) } };
    },
    // A change when a refresh found something missing, or the step's scripts changed (the state keeps the current ones).
    async diff(_id: string, olds: KeptState, news: KeptInputs) {
        const changed = olds.check !== news.check || olds.repair !== news.repair || olds.privateKey !== news.privateKey
            || JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
        return { changes: (olds.missing ?? []).length > 0 || changed };
    },
    async update(_id: string, olds: KeptState, news: KeptInputs) {
        // Only what went missing needs the repair: a change of scripts was run by the step itself.
        if ((olds.missing ?? []).length > 0) {
            runOnHost(news, news.repair, rootShell);
            const still = runOnHost(news, news.check, rootShell);
            if (still.length > 0) throw new Error(`still missing after the repair:\n  - ${still.join("\n  - ")}`);
        }
        return { outs: { ...news, missing: [] } };
    },
};

export interface KeptStepArgs {
    connection: KeptConnection;
    privateKey?: pulumi.Input<string>;
    check: string;
    repair: pulumi.Input<string>;
}

/** Keeps a step's work on its host (see the file's comment); waits for the step through `dependsOn`. */
export class KeptStep extends pulumi.dynamic.Resource {
    /** What the last refresh found missing (empty after an up). */
    declare readonly missing: pulumi.Output<string[]>;

    constructor(name: string, args: KeptStepArgs, opts?: pulumi.CustomResourceOptions) {
        super(keptProvider, name, { ...args, missing: undefined }, { ...opts, additionalSecretOutputs: ["privateKey", "repair"] });
    }
}
