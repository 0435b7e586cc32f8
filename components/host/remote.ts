// Running a script as root on a host from inside a dynamic provider (KeptStep, PodmanFacts):
// the same pinned SSH as the docker provider, or this machine. Self-contained, because Pulumi
// serializes the providers that call it into the state.
import { asRoot } from "./scripts";

/** How a dynamic provider reaches the host. */
export interface HostConnection {
    /** Arguments of the local `ssh` before the command (options, port, user@address); absent: run locally. */
    sshArgs?: string[];
}

/** What the providers pass: the connection, and the SSH private key (without it the agent at $SSH_AUTH_SOCK). */
export interface HostAccess {
    connection: HostConnection;
    privateKey?: string;
}

/** The wrapper that runs a script from stdin as root, captured into serialized providers as a plain string. */
export const rootShell = asRoot;

/**
 * Runs a script as root on the host and returns its stdout lines; throws with its output if it
 * fails. Self-contained: Pulumi serializes it into the state with the provider.
 */
export function runOnHost(inputs: HostAccess, script: string, asRootCommand: string): string[] {
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
                fs.writeFileSync(
                    path.join(keyDir, "key"),
                    inputs.privateKey.endsWith("\n") ? inputs.privateKey : `${inputs.privateKey}\n`,
                    { mode: 0o600 },
                );
                identity.push("-i", path.join(keyDir, "key"), "-o", "IdentitiesOnly=yes");
            }
            command = "ssh";
            args = [...identity, ...inputs.connection.sshArgs, asRootCommand];
        }
        const result = childProcess.spawnSync(command, args, { input: script, encoding: "utf8", timeout: 600_000 });
        if (result.error) throw result.error;
        if (result.status !== 0) {
            const where = inputs.connection.sshArgs
                ? inputs.connection.sshArgs[inputs.connection.sshArgs.length - 1]
                : "this machine";
            throw new Error(`on ${where}: exited ${String(result.status)}: ${result.stderr}${result.stdout}`.trim());
        }
        return result.stdout.split("\n").filter((line) => line.trim() !== "");
    } finally {
        if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    }
}
