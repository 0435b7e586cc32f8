// A stack on booted hosts (tests/hosts.ts) with the real engine: the operator's set-up before the
// first `pulumi up`, the stack's values, an app that keeps sending while hosts reboot, and
// snapshots of a host's files and units to prove that destroy leaves it as it was.
import * as assert from "assert";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import { EngineProject, stackFile, startAgent } from "./engine";
import { BootedHost, HostLab, hostNetwork, keepHostsForInspection } from "./hosts";
import { exportSpans, jaegerSpans, makeSpans, spansInJaeger, succeeded, Target } from "./otlp";
import { tempDir } from "./tools";

/** A stack the real engine deploys on booted hosts. */
export interface StackOnHosts {
    project: EngineProject;
    /** For every pulumi command: an SSH agent holding the lab's key (the docker provider's ssh uses it). */
    env: NodeJS.ProcessEnv;
    agent: ChildProcess;
}

/**
 * A copy of the project (or of the program in `program`, an older version's sources) with the
 * stack's file written and initialised, and the lab's client key as the stack's secret SSH key.
 */
export async function stackOnHosts(
    lab: HostLab,
    stack: string,
    values: Record<string, unknown>,
    program?: string,
): Promise<StackOnHosts> {
    const { agent, env } = await startAgent(tempDir(`engine-${stack}`), lab.clientKey);
    const project = new EngineProject();
    if (program) project.useProgramFrom(program);
    project.writeStackFile(stack, stackFile(values));
    project.initStack(stack);
    project.pulumiOk(["config", "set", "--secret", "--stack", stack, "ivatar-otel:sshPrivateKey"], {
        input: fs.readFileSync(lab.clientKey, "utf8"),
    });
    return { project, env, agent };
}

/**
 * `pulumi up` in a child process this one does not wait on, so the apps a test runs keep sending
 * while it runs (a blocking spawn would pause them for the whole up); fails with its output.
 */
export async function upWhileAppsSend(deployed: StackOnHosts | undefined, stack: string): Promise<string> {
    assert.ok(deployed, "the suite's set-up deployed nothing");
    const result = await deployed.project.pulumiInBackground(
        ["up", "--yes", "--skip-preview", "--stack", stack],
        () => undefined,
        deployed.env,
    );
    assert.strictEqual(result.status, 0, `pulumi up failed:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

/** After a suite: destroys the stack and removes the hosts, unless IVATAR_OTEL_KEEP_HOSTS keeps them. */
export function tearDownStackOnHosts(
    lab: HostLab | undefined,
    stack: string,
    deployed: StackOnHosts | undefined,
    destroyTimeoutMs: number,
): void {
    if (keepHostsForInspection(lab)) return;
    if (deployed && lab)
        deployed.project.pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack], {
            timeoutMs: destroyTimeoutMs,
            env: deployed.env,
        });
    deployed?.agent.kill();
    deployed?.project.remove();
    lab?.stop();
}

/**
 * A development-shaped stack on one collector host with Prometheus on its own host (reached as
 * the sudo user), the firewall on; sizes cut to fit several hosts on the test machine, the queue
 * to fit its disk.
 */
export function singleHostValues(
    collectorHost: BootedHost,
    prometheusHost: BootedHost,
    serviceVersion: string,
): Record<string, unknown> {
    return {
        environment: "development",
        serviceVersion,
        samplingRatio: 1,
        collectorHost: sshHost(collectorHost),
        collector: { cpus: 1, memoryMb: 1024, queueDiskGiB: 1, endpointHost: collectorHost.address },
        prometheus: { host: sshHost(prometheusHost, sudoUser), scrapeAddress: collectorHost.address },
        trustedNetworks: testNetworks(prometheusHost),
        firewall: { enabled: true },
    };
}

/** The user the Prometheus host is reached as: not root, with sudo, as the README allows there. */
export const sudoUser = "deploy";

/**
 * What an operator has on the Prometheus host before the first `pulumi up`: Prometheus running
 * with the lifecycle API, reading the rule and scrape directories the stack writes to (unless
 * `readsScrapeDir` is false), its API open to where `pulumi up` runs (for the deploy check),
 * Grafana's directories, and a deploy user with passwordless sudo.
 */
export function setUpPrometheusHost(
    host: BootedHost,
    lab: HostLab,
    options: { readsScrapeDir: boolean } = { readsScrapeDir: true },
): void {
    const scrape = options.readsScrapeDir ? "scrape_config_files:\n  - /etc/prometheus/scrape.d/*.yml\n" : "";
    host.sh(
        [
            `cat > /etc/prometheus/prometheus.yml <<'YAML'`,
            "global:",
            "  scrape_interval: 5s",
            "  evaluation_interval: 5s",
            "rule_files:",
            "  - /etc/prometheus/rules.d/*.yml",
            `${scrape}scrape_configs:`,
            "  - job_name: prometheus",
            "    static_configs:",
            "      - targets: ['localhost:9090']",
            "YAML",
            `echo 'ARGS="--web.enable-lifecycle --enable-feature=exemplar-storage"' > /etc/default/prometheus`,
            "mkdir -p /etc/prometheus/rules.d /etc/prometheus/scrape.d",
            // Grafana beside Prometheus, as its package leaves its directories (the stack provisions dashboards there).
            "install -d -m 0755 /etc/grafana/provisioning/dashboards /etc/grafana/provisioning/datasources /var/lib/grafana",
            "systemctl enable prometheus.service >/dev/null 2>&1 && systemctl restart prometheus.service",
            // The deploy check asks Prometheus's API from where `pulumi up` runs (this machine).
            `firewall-cmd --quiet --permanent --add-rich-rule='rule family="ipv4" source address="${hostNetwork.gateway}/32" port port="9090" protocol="tcp" accept'`,
            "firewall-cmd --quiet --reload",
            `id ${sudoUser} >/dev/null 2>&1 || useradd -m -s /bin/sh ${sudoUser}`,
            `echo '${sudoUser} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${sudoUser} && chmod 0440 /etc/sudoers.d/${sudoUser}`,
            `install -d -m 0700 -o ${sudoUser} -g ${sudoUser} /home/${sudoUser}/.ssh`,
            `install -m 0600 -o ${sudoUser} -g ${sudoUser} /root/.ssh/authorized_keys /home/${sudoUser}/.ssh/authorized_keys`,
        ].join("\n"),
    );
}

/** Prometheus's API on its host, asked from the host itself (firewalld admits only this machine to 9090). */
export function prometheusApi(host: BootedHost, path: string): unknown {
    return JSON.parse(host.sh(`curl -fsS 'http://localhost:9090${path}'`));
}

/** The SSH settings of a booted host as a stack file gives them. */
export function sshHost(host: BootedHost, user = "root"): Record<string, unknown> {
    return { address: host.address, port: 22, user, hostKey: host.hostKey };
}

/** Trusted networks on the test network: apps and operators from this machine, metrics from the Prometheus host. */
export function testNetworks(prometheus: BootedHost, collectors: BootedHost[] = []): Record<string, string[]> {
    return {
        ingest: [`${hostNetwork.gateway}/32`],
        metrics: [`${prometheus.ip}/32`],
        admin: [`${hostNetwork.gateway}/32`],
        collectors: collectors.map((h) => `${h.ip}/32`),
    };
}

/** One export of an app that keeps sending: when, where to, and whether the collector took it. */
export interface Attempt {
    at: number;
    target: string;
    ok: boolean;
    traceId: string;
    /** Why it was refused, as the exporter said. */
    error?: string;
}

/** What Jaeger holds of an app's traces, by the fate of the export that carried each. */
export interface Delivery {
    /** Spans of accepted exports. */
    accepted: number;
    /** Of those, the spans Jaeger holds: all of them unless something was lost. */
    acceptedHeld: number;
    /** Spans of refused exports that arrived anyway: the collector took them in, then failed to answer
     * (a shutdown in between). An SDK that retries sends those twice. */
    refusedHeld: number;
    /** Spans of the service that no attempt sent: none unless the test is wrong. */
    unknownHeld: number;
    /** The accepted attempts whose spans Jaeger does not hold in full. */
    lost: Attempt[];
}

/** Logs what Jaeger holds of an app's spans, then asserts that every accepted one arrived and nothing else did. */
export function assertEveryAcceptedSpanArrived(d: Delivery, by: string): void {
    console.log(
        `      Jaeger holds ${d.acceptedHeld} of the ${d.accepted} spans ${by} accepted` +
            (d.refusedHeld ? `, and ${d.refusedHeld} of exports it refused (taken in, then not answered)` : ""),
    );
    assert.strictEqual(d.acceptedHeld, d.accepted, "every accepted span arrives");
    assert.strictEqual(d.unknownHeld, 0, "Jaeger holds only spans the app sent");
}

/**
 * Apps that send, one per target (as app instances each with its own endpoint would), one trace
 * (a root and a child) every `everyMs`, as one service, until stopped, recording every attempt.
 * Spans are what Jaeger should hold of the accepted attempts.
 */
export class SendingApp {
    readonly attempts: Attempt[] = [];
    private running = true;
    private readonly loops: Promise<void>[];

    constructor(
        readonly service: string,
        targets: Target[],
        everyMs = 250,
    ) {
        this.loops = targets.map(async (target) => {
            while (this.running) {
                const at = Date.now();
                const spans = makeSpans({ service, traces: 1, children: 1 });
                // A short timeout, as an app's batch exporter would give up and try again: a connection
                // into a container being replaced can hang (no refusal), and would hide the front's
                // return for the default 15 s.
                const result = await exportSpans(target, spans, 2_000);
                this.attempts.push({
                    at,
                    target: target.address,
                    ok: succeeded(result),
                    traceId: spans[0].spanContext().traceId,
                    error: result.error?.message.slice(0, 160),
                });
                await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - (Date.now() - at))));
            }
        });
    }

    async stop(): Promise<void> {
        this.running = false;
        await Promise.all(this.loops);
    }

    /** Spans of the accepted attempts (two per trace). */
    get acceptedSpans(): number {
        return this.attempts.filter((a) => a.ok).length * 2;
    }

    /** Waits until Jaeger holds every accepted span (or the time runs out), then sorts what it holds by trace. */
    async delivery(jaegerUrl: string, timeoutMs: number): Promise<Delivery> {
        await spansInJaeger(jaegerUrl, this.service, this.acceptedSpans, timeoutMs);
        const held = new Map<string, number>();
        for (const span of await jaegerSpans(jaegerUrl, this.service))
            held.set(span.traceId, (held.get(span.traceId) ?? 0) + 1);
        const sent = new Map(this.attempts.map((a) => [a.traceId, a.ok]));
        const delivery: Delivery = {
            accepted: this.acceptedSpans,
            acceptedHeld: 0,
            refusedHeld: 0,
            unknownHeld: 0,
            lost: this.attempts.filter((a) => a.ok && (held.get(a.traceId) ?? 0) < 2),
        };
        for (const [traceId, spans] of held) {
            const ok = sent.get(traceId);
            if (ok === undefined) delivery.unknownHeld += spans;
            else if (ok) delivery.acceptedHeld += spans;
            else delivery.refusedHeld += spans;
        }
        return delivery;
    }

    /**
     * The moments when every target refused: walking the attempts in time, each target's latest
     * attempt stands for it; the time from when the last of them failed until one succeeded again.
     */
    allRefused(): { moments: number; ms: number } {
        const latest = new Map<string, boolean>();
        const targets = new Set(this.attempts.map((a) => a.target));
        let moments = 0;
        let ms = 0;
        let downSince: number | undefined;
        for (const a of [...this.attempts].sort((x, y) => x.at - y.at)) {
            latest.set(a.target, a.ok);
            const allDown = latest.size === targets.size && [...latest.values()].every((ok) => !ok);
            if (allDown && downSince === undefined) {
                downSince = a.at;
                moments++;
            } else if (!allDown && downSince !== undefined) {
                ms += a.at - downSince;
                downSince = undefined;
            }
        }
        return { moments, ms };
    }

    /** The refused attempts, and the span of time from the first to the last of them. */
    refusals(target?: string): { count: number; firstToLastMs: number } {
        const failed = this.attempts.filter((a) => !a.ok && (target === undefined || a.target === target));
        return { count: failed.length, firstToLastMs: failed.length ? failed[failed.length - 1].at - failed[0].at : 0 };
    }
}

/**
 * A host's state as the stack could change it: every file where anything but the package manager
 * writes (/etc, /usr/local, /var/lib, /opt, /srv, /root, /home; less Podman's storage and the
 * data of running services) with its type, mode, owner and checksum, the unit files' states, and
 * the nftables tables. Two snapshots differ exactly where something was left behind or removed.
 */
export function hostSnapshot(host: BootedHost): string[] {
    const files = host.sh(
        [
            "find /etc /usr/local /var/lib /opt /srv /root /home -xdev \\( -path /var/lib/containers -o -path /var/lib/systemd -o -path /var/lib/prometheus \\",
            "  -o -path /etc/ssh -o -path /var/lib/sudo -o -path /var/lib/private -o -path /var/lib/dbus -o -path /etc/machine-id \\) -prune -o -print |",
            "while IFS= read -r f; do",
            '  if [ -f "$f" ] && [ ! -L "$f" ]; then sum=$(sha256sum < "$f" | cut -c1-16); else sum=-; fi',
            '  printf \'file %s %s %s\\n\' "$f" "$(stat -c \'%F %a %u:%g\' "$f")" "$sum"',
            "done",
        ].join("\n"),
    );
    const units = host.sh('systemctl list-unit-files --no-legend --no-pager | awk \'{ print "unit " $1 " " $2 }\'');
    const tables = host.sh("nft list tables | sed 's/^/nft /'");
    return [...files.split("\n"), ...units.split("\n"), ...tables.split("\n")].filter(Boolean).sort();
}

/**
 * What Podman itself keeps once the last network it made is removed: the directory of network
 * definitions (made with the first network) and netavark's table. Not the stack's to remove.
 */
export const podmanLeftovers = ["file /etc/containers/networks directory 755 0:0 -", "nft table inet netavark"];

/** What one snapshot has that the other lacks, both ways (empty when the host is as it was), Podman's own leftovers aside. */
export function snapshotDifference(before: string[], after: string[]): { left: string[]; removed: string[] } {
    const was = new Set(before);
    const is = new Set(after);
    return {
        left: after.filter((l) => !was.has(l) && !podmanLeftovers.includes(l)),
        removed: before.filter((l) => !is.has(l)),
    };
}

/** Fails unless every listed unit is active on the host. */
export function assertActive(host: BootedHost, units: string[]): void {
    for (const unit of units) {
        const state = host.exec(["systemctl", "is-active", unit]).stdout.trim();
        assert.strictEqual(state, "active", `${unit} on ${host.name} is ${state}`);
    }
}
