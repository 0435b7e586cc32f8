// Hosts like ivatar's for the engine tests: the Debian 13 root the toolchain builds
// (scripts/host-root.sh: Podman 5, netavark, crun, systemd as PID 1, firewalld, nftables, OpenSSH,
// Prometheus) booted in privileged Podman containers, each with its own address on a test network,
// a DNS name (in each host's /etc/hosts and, for the engine and the test's clients, this machine's),
// its own copy of the root (an overlay), its own container storage and its own SSH host key. The
// program's images are loaded into each host's Podman, since no registry is reachable.
// `podman restart` of such a container is a clean reboot: systemd shuts down and boots again.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ensureToolchain, run, RunResult, runAsync, runOk, tempDir, waitFor } from "./tools";

/** The test network; the first address is this machine (the engine, the apps, the test's clients). */
export const hostNetwork = { name: "ivotel-hosts", subnet: "10.231.0.0/24", gateway: "10.231.0.1" };
/** The domain of the hosts' names. */
export const hostDomain = "ivotel.test";
const etcHostsMarker = "# ivatar-otel test hosts";

export interface BootedHost {
    /** Short name, as the test calls it ("collector", "prometheus", "h2"). */
    name: string;
    /** Its DNS name: what stack files give as its address. */
    address: string;
    ip: string;
    /** Its SSH host key as `ssh-keyscan` prints it after the name (read from the host itself). */
    hostKey: string;
    /** The Podman container that is this host. */
    container: string;
    /** Runs a command on the host as root (a script on stdin when `input` is given). */
    exec(args: string[], input?: string): RunResult;
    /** Runs a shell script on the host as root; it must succeed. Returns its stdout. */
    sh(script: string): string;
    /** A clean reboot: systemd stops everything, the host boots again; resolves once sshd answers. */
    reboot(): Promise<void>;
    /** Cuts this machine off from the host (every packet to it dropped), as a network partition would; returns the undo. */
    cutOff(): () => void;
}

export interface HostLab {
    hosts: BootedHost[];
    /** Private key authorized for root on every host. */
    clientKey: string;
    host(name: string): BootedHost;
    stop(): void;
}

function containerOf(name: string): string {
    return `ivotel-host-${name}`;
}

/** Replaces this machine's block of test host names in /etc/hosts (none: removes it). */
function setEtcHosts(entries: { ip: string; address: string }[]): void {
    const current = fs.readFileSync("/etc/hosts", "utf8");
    const start = current.indexOf(`${etcHostsMarker} begin`);
    const end = current.indexOf(`${etcHostsMarker} end`);
    const kept =
        start >= 0 && end > start ? current.slice(0, start) + current.slice(current.indexOf("\n", end) + 1) : current;
    const block =
        entries.length === 0
            ? ""
            : [`${etcHostsMarker} begin`, ...entries.map((e) => `${e.ip} ${e.address}`), `${etcHostsMarker} end`].join(
                  "\n",
              ) + "\n";
    // /etc/hosts may be a bind mount: rewrite it in place rather than rename over it.
    fs.writeFileSync("/etc/hosts", kept.replace(/\n*$/, "\n") + block);
}

/** Waits for systemd and sshd without blocking this process: apps in the same test keep sending meanwhile. */
async function waitBooted(container: string): Promise<void> {
    const exec = async (args: string[]) => (await runAsync("podman", ["exec", container, ...args])).stdout.trim();
    await waitFor(
        `${container} booted`,
        async () => {
            if (!/^(running|degraded)$/.test(await exec(["systemctl", "is-system-running"]))) return undefined;
            return (await exec(["systemctl", "is-active", "ssh.service"])) === "active" ? true : undefined;
        },
        120_000,
    );
}

/** Removes every test host container and volume and the names, whoever left them. */
export function removeHosts(): void {
    const containers = runOk("podman", ["ps", "-a", "--format", "{{.Names}}", "--filter", "name=^ivotel-host-"])
        .split("\n")
        .filter(Boolean);
    if (containers.length) run("podman", ["rm", "--force", "--time", "5", ...containers], { timeout: 180_000 });
    const volumes = runOk("podman", ["volume", "ls", "--format", "{{.Name}}", "--filter", "name=^ivotel-host-"])
        .split("\n")
        .filter(Boolean);
    if (volumes.length) run("podman", ["volume", "rm", "--force", ...volumes], { timeout: 180_000 });
    run("podman", ["network", "rm", "--force", hostNetwork.name]);
    for (const table of runOk("nft", ["list", "tables"]).match(/ivotel_cut_\w+/g) ?? [])
        run("nft", ["delete", "table", "inet", table]);
    setEtcHosts([]);
}

/**
 * Boots one host per name, at 10.231.0.11 and up, named `<name>.ivotel.test` everywhere. Every
 * host trusts the returned client key for root and has the program's images loaded.
 */
export async function bootHosts(names: string[]): Promise<HostLab> {
    const tools = ensureToolchain();
    removeHosts();
    const dir = tempDir("hosts");
    runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "client_key")]);
    const clientPublic = fs.readFileSync(path.join(dir, "client_key.pub"), "utf8");
    runOk("podman", [
        "network",
        "create",
        "--subnet",
        hostNetwork.subnet,
        "--gateway",
        hostNetwork.gateway,
        hostNetwork.name,
    ]);
    const planned = names.map((name, i) => ({
        name,
        ip: `10.231.0.${11 + i}`,
        address: `${name}.${hostDomain}`,
        container: containerOf(name),
    }));
    setEtcHosts(planned);
    const hosts: BootedHost[] = [];
    const stop = () => {
        removeHosts();
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        for (const p of planned) {
            runOk("podman", ["volume", "create", `${p.container}-storage`]);
            runOk("podman", [
                "run",
                "-d",
                "--name",
                p.container,
                "--hostname",
                p.address,
                "--privileged",
                "--systemd=always",
                "--network",
                hostNetwork.name,
                "--ip",
                p.ip,
                ...planned.flatMap((o) => ["--add-host", `${o.address}:${o.ip}`]),
                // Podman inside refuses overlay storage on the overlay root: its storage is a volume.
                "-v",
                `${p.container}-storage:/var/lib/containers`,
                "-v",
                `${tools.hostImages}:/var/cache/ivatar-otel/images.tar:ro`,
                "--rootfs",
                `${tools.hostRoot}:O`,
                "/sbin/init",
            ]);
        }
        for (const p of planned) {
            await waitBooted(p.container);
            const exec = (args: string[], input?: string) =>
                run("podman", ["exec", ...(input === undefined ? [] : ["-i"]), p.container, ...args], {
                    input,
                    timeout: 600_000,
                    maxBuffer: 64 * 1024 * 1024,
                });
            const sh = (script: string) => {
                const result = exec(["sh", "-c", script]);
                assert.strictEqual(result.status, 0, `on ${p.name}: ${script}\n${result.stdout}${result.stderr}`);
                return result.stdout;
            };
            sh(`umask 077; cat >> /root/.ssh/authorized_keys <<'KEY'\n${clientPublic}KEY`);
            sh("podman load -q -i /var/cache/ivatar-otel/images.tar >/dev/null");
            const hostKey = sh("cat /etc/ssh/ssh_host_ed25519_key.pub").trim().split(" ").slice(0, 2).join(" ");
            hosts.push({
                ...p,
                hostKey,
                exec,
                sh,
                cutOff: () => {
                    const table = `ivotel_cut_${p.name.replace(/\W/g, "_")}`;
                    runOk("nft", ["-f", "-"], {
                        input: `table inet ${table} {\n chain output { type filter hook output priority 0; policy accept; ip daddr ${p.ip} drop; }\n}\n`,
                    });
                    return () => void run("nft", ["delete", "table", "inet", table]);
                },
                reboot: async () => {
                    // Not spawnSync: the apps a test runs beside the reboot must go on sending while the host is down.
                    const restart = await runAsync("podman", ["restart", "--time", "60", p.container]);
                    if (restart.status !== 0) throw new Error(`podman restart ${p.container}: ${restart.stderr}`);
                    await waitBooted(p.container);
                },
            });
        }
    } catch (error) {
        stop();
        throw error;
    }
    return {
        hosts,
        clientKey: path.join(dir, "client_key"),
        host: (name: string) => {
            const found = hosts.find((h) => h.name === name);
            if (!found) throw new Error(`no test host named ${name}`);
            return found;
        },
        stop,
    };
}

/**
 * With IVATAR_OTEL_KEEP_HOSTS=1 a suite leaves its hosts (and the stack on them) running after it
 * ends, for a person to look into: `podman exec -it ivotel-host-<name> bash`. The next suite, or
 * removeHosts(), takes them down.
 */
export function keepHostsForInspection(lab: HostLab | undefined): boolean {
    if (process.env.IVATAR_OTEL_KEEP_HOSTS !== "1" || !lab) return false;
    console.log(
        `      IVATAR_OTEL_KEEP_HOSTS=1: hosts kept running: ${lab.hosts.map((h) => `ivotel-host-${h.name}`).join(", ")}`,
    );
    return true;
}
