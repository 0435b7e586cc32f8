// A test host on loopback: Debian's sshd with a fresh host key and client key, run in the
// foreground without systemd. The steps and engine tests reach this machine through it.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runOk, tempDir } from "./tools";

export interface TestHost {
    dir: string;
    port: number;
    /** Path of the client's private key (authorized for root). */
    clientKey: string;
    /** The host's public key, as `ssh-keyscan` prints it after the host name. */
    hostKey: string;
    sshd: ChildProcess;
}

/** Starts sshd on 127.0.0.1:port; `environment` is set in every session (sshd's SetEnv). */
export function startSshd(port: number, environment: Record<string, string> = {}): TestHost {
    const dir = tempDir("sshd");
    runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")]);
    runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "client_key")]);
    fs.copyFileSync(path.join(dir, "client_key.pub"), path.join(dir, "authorized_keys"));
    fs.mkdirSync("/run/sshd", { recursive: true });
    const setEnv = Object.entries(environment).flatMap(([k, v]) => ["-o", `SetEnv=${k}=${v}`]);
    const sshd = spawn(
        "/usr/sbin/sshd",
        [
            "-D",
            "-e",
            "-f",
            "/dev/null",
            "-h",
            path.join(dir, "host_key"),
            "-p",
            String(port),
            "-o",
            "ListenAddress=127.0.0.1",
            "-o",
            `AuthorizedKeysFile=${path.join(dir, "authorized_keys")}`,
            "-o",
            `PidFile=${path.join(dir, "sshd.pid")}`,
            "-o",
            "StrictModes=no",
            "-o",
            "PermitRootLogin=prohibit-password",
            ...setEnv,
        ],
        { stdio: "ignore" },
    );
    const hostKey = fs.readFileSync(path.join(dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
    return { dir, port, clientKey: path.join(dir, "client_key"), hostKey, sshd };
}

export function stopSshd(host: TestHost | undefined): void {
    if (!host) return;
    host.sshd.kill();
    fs.rmSync(host.dir, { recursive: true, force: true });
}
