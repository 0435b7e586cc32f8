// npm run bench -- reboot [--reboots N]: what brings a container back after a reboot of a host
// like ivatar's (tests/hosts.ts: Debian 13, Podman 5, systemd), measured side by side on one host:
// the same collector container with restart policy always (podman-restart.service starts it),
// with unless-stopped, and as a quadlet unit (systemd runs it). Per owner: how often it came
// back, the seconds from the reboot command until it answered on its health port, and whether it is
// still the same container (the docker provider owns containers by ID: one made anew at each
// boot is not the one Pulumi placed).
import { markdownTable } from "./compare";
import { bootHosts, BootedHost } from "../tests/hosts";
import versions from "../versions.json";

interface Owner {
    name: string;
    container: string;
    healthPort: number;
    /** Shell that makes it (on the host, as root). */
    create: string;
}

const config = "/etc/bench-reboot/config.yaml";

function owners(image: string): Owner[] {
    const run = (name: string, port: number, policy: string) =>
        `podman run -d --name ${name} --restart ${policy} -p ${port}:13133 -v ${config}:/etc/otelcol-contrib/config.yaml:ro ${image} >/dev/null`;
    return [
        {
            name: "restart policy always (podman-restart.service)",
            container: "bench-always",
            healthPort: 23133,
            create: run("bench-always", 23133, "always"),
        },
        {
            name: "restart policy unless-stopped",
            container: "bench-unless-stopped",
            healthPort: 23134,
            create: run("bench-unless-stopped", 23134, "unless-stopped"),
        },
        {
            name: "quadlet unit (systemd)",
            container: "bench-quadlet",
            healthPort: 23135,
            create: [
                "mkdir -p /etc/containers/systemd",
                "cat > /etc/containers/systemd/bench-quadlet.container <<'UNIT'",
                "[Container]",
                "ContainerName=bench-quadlet",
                `Image=${image}`,
                "PublishPort=23135:13133",
                `Volume=${config}:/etc/otelcol-contrib/config.yaml:ro`,
                "[Service]",
                "Restart=always",
                "[Install]",
                "WantedBy=multi-user.target",
                "UNIT",
                "systemctl daemon-reload",
                "systemctl start bench-quadlet.service",
            ].join("\n"),
        },
    ];
}

/** A collector that needs nothing else: OTLP in, an exporter to nowhere, health on 13133. */
const collectorConfig = [
    "receivers: {otlp: {protocols: {grpc: {endpoint: '0.0.0.0:4317'}}}}",
    "exporters: {otlp_grpc: {endpoint: 'localhost:1', tls: {insecure: true}}}",
    "extensions: {health_check: {endpoint: '0.0.0.0:13133'}}",
    "service: {extensions: [health_check], pipelines: {traces: {receivers: [otlp], exporters: [otlp_grpc]}}}",
].join("\n");

function containerId(host: BootedHost, name: string): string {
    return host.exec(["podman", "container", "inspect", "--format", "{{.Id}}", name]).stdout.trim();
}

function healthy(host: BootedHost, port: number): boolean {
    return host.exec(["curl", "-fsS", "-o", "/dev/null", "--max-time", "1", `http://localhost:${port}/`]).status === 0;
}

export async function reboot(reboots: number): Promise<void> {
    const lab = await bootHosts(["bench-reboot"]);
    try {
        const host = lab.hosts[0];
        const list = owners(versions.collector.image);
        host.sh(
            `mkdir -p /etc/bench-reboot && cat > ${config} <<'YAML'\n${collectorConfig}\nYAML\nchmod 0644 ${config}`,
        );
        for (const owner of list) host.sh(owner.create);
        const results = list.map(() => ({ back: 0, seconds: [] as number[], sameId: 0 }));
        for (let round = 1; round <= reboots; round++) {
            const ids = list.map((o) => containerId(host, o.container));
            const rebootedAt = Date.now();
            await host.reboot();
            const deadline = Date.now() + 60_000;
            const pending = new Set(list.map((_, i) => i));
            while (pending.size && Date.now() < deadline) {
                for (const i of [...pending]) {
                    if (healthy(host, list[i].healthPort)) {
                        results[i].back++;
                        results[i].seconds.push((Date.now() - rebootedAt) / 1000);
                        if (containerId(host, list[i].container) === ids[i]) results[i].sameId++;
                        pending.delete(i);
                    }
                }
                await new Promise((resolve) => setTimeout(resolve, 200));
            }
            console.log(
                `reboot ${round}: ${list.map((o, i) => `${o.container} ${pending.has(i) ? "not back" : "back"}`).join(", ")}`,
            );
        }
        console.log(
            `\nAfter ${reboots} reboots of a booted Debian 13 host (Podman ${host.sh("podman --version").trim().replace("podman version ", "")}):\n`,
        );
        console.log(
            markdownTable(
                [
                    "owner",
                    "back after reboot",
                    "seconds from the reboot to healthy (median, max)",
                    "same container after reboot",
                ],
                list.map((o, i) => {
                    const r = results[i];
                    const sorted = [...r.seconds].sort((a, b) => a - b);
                    const timing = sorted.length
                        ? `${sorted[Math.floor(sorted.length / 2)].toFixed(1)}, ${sorted[sorted.length - 1].toFixed(1)}`
                        : "-";
                    return [o.name, `${r.back} of ${reboots}`, timing, `${r.sameId} of ${r.back}`];
                }),
            ),
        );
    } finally {
        lab.stop();
    }
}
