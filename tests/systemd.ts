// A real systemd for the host units: this machine's own systemd, nftables and openssl (its /usr
// bind-mounted read-only, a copy of its /etc with no unit enabled) booted as PID 1 in a Podman
// container with its own network namespace. The program's steps run there as root, as on a host.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { removeContainer } from "./podman";
import { run, RunResult, runOk, tempDir, waitFor } from "./tools";

export interface SystemdHost {
    /** Runs a command inside (a script on stdin when `input` is given). */
    exec(args: string[], input?: string): RunResult;
    /** `systemctl <args>`, which must succeed; returns its output, trimmed. */
    systemctl(...args: string[]): string;
    stop(): void;
}

/** A root file system of this machine's /usr and a copy of its /etc. */
function systemRoot(): string {
    const root = tempDir("systemd-root");
    // Services that drop root (dbus) must be able to walk "/".
    fs.chmodSync(root, 0o755);
    for (const dir of ["usr", "etc", "var", "run", "tmp", "proc", "sys", "dev", "root"])
        fs.mkdirSync(path.join(root, dir));
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    // Debian 12 merges /usr: /bin, /lib, /lib64 and /sbin are links into it.
    for (const link of ["bin", "lib", "lib64", "sbin"]) {
        if (fs.lstatSync(`/${link}`, { throwIfNoEntry: false })?.isSymbolicLink())
            fs.symlinkSync(`usr/${link}`, path.join(root, link));
    }
    runOk("cp", ["-a", "/etc/.", path.join(root, "etc")]);
    // Boot only what the tests start: none of this machine's enabled units.
    for (const wants of fs.readdirSync(path.join(root, "etc/systemd/system")).filter((d) => d.endsWith(".wants"))) {
        fs.rmSync(path.join(root, "etc/systemd/system", wants), { recursive: true });
    }
    return root;
}

export async function bootSystemd(name: string): Promise<SystemdHost> {
    for (const needed of [
        "/usr/lib/systemd/systemd",
        "/usr/lib/systemd/system/nftables.service",
        "/etc/nftables.conf",
    ]) {
        assert.ok(fs.existsSync(needed), `${needed} is missing: scripts/toolchain.sh installs systemd and nftables`);
    }
    const root = systemRoot();
    removeContainer(name);
    const stop = () => {
        removeContainer(name);
        fs.rmSync(root, { recursive: true, force: true });
    };
    const exec = (args: string[], input?: string) =>
        run("podman", ["exec", ...(input === undefined ? [] : ["-i"]), name, ...args], { input });
    const systemctl = (...args: string[]) => {
        const result = exec(["systemctl", ...args]);
        assert.strictEqual(result.status, 0, `systemctl ${args.join(" ")}: ${result.stdout}${result.stderr}`);
        return result.stdout.trim();
    };
    try {
        runOk("podman", [
            "run",
            "-d",
            "--name",
            name,
            "--systemd=always",
            "--cap-add",
            "NET_ADMIN",
            "--network",
            "none",
            "-v",
            "/usr:/usr:ro",
            "--rootfs",
            root,
            "/usr/lib/systemd/systemd",
        ]);
        await waitFor(
            "systemd up",
            async () =>
                /^(running|degraded)$/.test(exec(["systemctl", "is-system-running"]).stdout.trim()) || undefined,
            60_000,
        );
    } catch (error) {
        stop();
        throw error;
    }
    return { exec, systemctl, stop };
}
