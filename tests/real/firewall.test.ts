// The firewall, live, with bridged traffic passing netfilter (bridge-nf-call-iptables and
// -ip6tables = 1): clients in network namespaces made here, each with an IPv4 and an IPv6
// address, reach the collector host's ports only from their trusted networks while the program's
// firewall step has loaded the table, and reach them again once its delete step has run. Traffic
// that only passes through the host is never filtered: the collector's export to Jaeger across
// the Podman bridge, and a container's own connections to a remote host on a filtered port.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { firewallTable, renderRuleset } from "../../components/firewall/ruleset";
import { applyFirewallScript, removeFirewallScript } from "../../components/firewall/steps";
import { readStackValues, validateStack } from "../../config/load";
import { stackConfig } from "../../config/stackFile";
import { planStack } from "../../stack/plan";
import { LiveStack, startLiveStack } from "../live";
import { spansInJaeger } from "../otlp";
import { ensureToolchain, run, runOk, Tools, waitFor } from "../tools";

/** Test hosts: a namespace each, joined to this host by a veth pair on its own /24 and /64. */
const clients = {
    app: { ns: "ivotel-app", hostIp: "10.213.1.1", ip: "10.213.1.2", hostIp6: "fd00:213:1::1", ip6: "fd00:213:1::2" },
    prometheus: {
        ns: "ivotel-prom",
        hostIp: "10.213.2.1",
        ip: "10.213.2.2",
        hostIp6: "fd00:213:2::1",
        ip6: "fd00:213:2::2",
    },
    stranger: {
        ns: "ivotel-other",
        hostIp: "10.213.3.1",
        ip: "10.213.3.2",
        hostIp6: "fd00:213:3::1",
        ip6: "fd00:213:3::2",
    },
    /** Another collector host of a tier. */
    peer: { ns: "ivotel-peer", hostIp: "10.213.4.1", ip: "10.213.4.2", hostIp6: "fd00:213:4::1", ip6: "fd00:213:4::2" },
};
type Client = (typeof clients)[keyof typeof clients];

function addNamespace(c: Client, index: number): void {
    removeNamespace(c);
    const hostSide = `ivotel-h${index}`;
    runOk("ip", ["netns", "add", c.ns]);
    runOk("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", c.ns]);
    runOk("ip", ["addr", "add", `${c.hostIp}/24`, "dev", hostSide]);
    runOk("ip", ["-6", "addr", "add", `${c.hostIp6}/64`, "dev", hostSide, "nodad"]);
    runOk("ip", ["link", "set", hostSide, "up"]);
    runOk("ip", ["-n", c.ns, "addr", "add", `${c.ip}/24`, "dev", "eth0"]);
    runOk("ip", ["-n", c.ns, "-6", "addr", "add", `${c.ip6}/64`, "dev", "eth0", "nodad"]);
    runOk("ip", ["-n", c.ns, "link", "set", "eth0", "up"]);
    runOk("ip", ["-n", c.ns, "link", "set", "lo", "up"]);
    runOk("ip", ["-n", c.ns, "route", "add", "default", "via", c.hostIp]);
    runOk("ip", ["-n", c.ns, "-6", "route", "add", "default", "via", c.hostIp6]);
}

function removeNamespace(c: Client): void {
    run("ip", ["netns", "delete", c.ns]);
}

/** For each port: does a TCP connection from the client to this host open within 2 s? (All at once.) */
function reachable(c: Client, ports: number[], family: 4 | 6 = 4): boolean[] {
    const address = family === 4 ? c.hostIp : c.hostIp6;
    const probes = ports
        .map((p) => `(timeout 2 bash -c 'exec 3<>/dev/tcp/${address}/${p}' 2>/dev/null && echo ${p}) &`)
        .join("\n");
    const opened = run("ip", ["netns", "exec", c.ns, "bash", "-c", `${probes}\nwait`]).stdout.split("\n");
    return ports.map((p) => opened.includes(String(p)));
}

const reaches = (c: Client, port: number, family: 4 | 6 = 4) => reachable(c, [port], family)[0];

const bridgeSysctls = ["net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables"];

describe("live: firewall with bridge netfilter on, IPv4 and IPv6", function () {
    this.timeout(300_000);
    let tools: Tools;
    let stack: LiveStack;
    let rulesetPath: string;
    let ruleset: string;
    const sysctlsBefore = new Map<string, string>();
    /** The host's own IPv6 listeners on every port (the stack's Podman network is IPv4 only). */
    const v6Listeners: net.Server[] = [];

    before(async () => {
        tools = ensureToolchain();
        for (const key of bridgeSysctls) {
            sysctlsBefore.set(key, runOk("sysctl", ["-n", key]).trim());
            runOk("sysctl", ["-w", `${key}=1`]);
        }
        stack = await startLiveStack("development", {
            trustedNetworks: {
                ingest: ["10.213.1.0/24", "fd00:213:1::/64"],
                metrics: ["10.213.2.0/24", "fd00:213:2::/64"],
                admin: ["10.213.2.0/24", "fd00:213:2::/64"],
            },
        });
        Object.values(clients).forEach(addNamespace);
        for (const port of allPorts()) {
            const server = net.createServer((socket) => socket.destroy());
            await new Promise<void>((resolve, reject) =>
                server.once("error", reject).listen({ host: "::", port, ipv6Only: true }, resolve),
            );
            v6Listeners.push(server);
        }
        rulesetPath = path.join(stack.hostDir, "firewall.nft");
        ruleset = renderRuleset({ classes: stack.plan.collectorHosts[0].firewall.classes });
    });
    after(() => {
        v6Listeners.forEach((s) => s.close());
        run("sh", ["-s"], { input: removeFirewallScript(rulesetPath) });
        Object.values(clients).forEach(removeNamespace);
        stack?.stop();
        for (const [key, value] of sysctlsBefore) run("sysctl", ["-w", `${key}=${value}`]);
    });

    const ports = () => stack.plan.collectorHosts[0].collector.ports;
    /** Every port the collector host publishes: OTLP gRPC and HTTP, exporter, internal metrics, health, Jaeger UI and metrics. */
    const allPorts = () => [
        ports().otlpGrpc,
        ports().otlpHttp,
        ports().prometheusExporter,
        ports().internalMetrics,
        ports().health,
        stack.plan.jaeger.uiPort,
        stack.plan.jaeger.metricsPort,
    ];
    const matrix = (c: Client, family: 4 | 6) => reachable(c, allPorts(), family);

    it("without the table, every client reaches every port over IPv4 and IPv6 (the baseline)", () => {
        for (const c of Object.values(clients)) {
            for (const family of [4, 6] as const)
                assert.deepStrictEqual(
                    matrix(c, family),
                    allPorts().map(() => true),
                    `${c.ns} over IPv${family}`,
                );
        }
    });

    it("with the table, each port admits only its trusted networks, over IPv4 and IPv6", () => {
        const applied = run("sh", ["-s"], { input: applyFirewallScript(ruleset, rulesetPath) });
        assert.strictEqual(applied.status, 0, applied.stderr);
        assert.match(runOk("nft", ["list", "table", "inet", firewallTable]), /hook prerouting priority (mangle|-150);/);
        for (const family of [4, 6] as const) {
            assert.deepStrictEqual(
                matrix(clients.app, family),
                [true, true, false, false, false, false, false],
                `the app network reaches OTLP only (IPv${family})`,
            );
            assert.deepStrictEqual(
                matrix(clients.prometheus, family),
                [false, false, true, true, true, true, true],
                `the Prometheus network reaches metrics, health and the UI only (IPv${family})`,
            );
            assert.deepStrictEqual(
                matrix(clients.stranger, family),
                [false, false, false, false, false, false, false],
                `an untrusted network reaches nothing (IPv${family})`,
            );
        }
    });

    it("keeps loopback open while the table is loaded", async () => {
        const response = await fetch(`http://127.0.0.1:${ports().health}/`);
        assert.ok(response.ok);
    });

    it("spans from the app network reach Jaeger: the collector's export across the Podman bridge passes the table", async () => {
        const service = `ivatar-firewall-${process.pid}`;
        const sent = run("ip", [
            "netns",
            "exec",
            clients.app.ns,
            tools.telemetrygen,
            "traces",
            "--otlp-endpoint",
            `${clients.app.hostIp}:${ports().otlpGrpc}`,
            "--otlp-insecure-skip-verify",
            "--otlp-header",
            `authorization="Bearer ${stack.token}"`,
            "--service",
            service,
            "--traces",
            "5",
            "--child-spans",
            "1",
        ]);
        assert.strictEqual(sent.status, 0, sent.stderr);
        assert.strictEqual(
            await spansInJaeger(stack.jaegerUrl, service, 10, 60_000),
            10,
            `every span reaches Jaeger\n${stack.logs()}`,
        );
    });

    it("a container's own connections to a remote host on 4317 and 8888 pass the table", async () => {
        // The untrusted namespace plays a remote collector; a container on the stack's network dials it.
        const listener: ChildProcess = spawn("ip", [
            "netns",
            "exec",
            clients.stranger.ns,
            process.execPath,
            "-e",
            `for (const p of [${ports().otlpGrpc}, ${ports().internalMetrics}]) require("net").createServer((s) => { console.log("accepted " + p); s.destroy(); }).listen(p, () => console.log("listening " + p));`,
        ]);
        let output = "";
        listener.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        try {
            await waitFor(
                "remote listeners",
                async () => ((output.match(/listening/g) ?? []).length === 2 ? true : undefined),
                10_000,
            );
            for (const port of [ports().otlpGrpc, ports().internalMetrics]) {
                run(
                    "podman",
                    [
                        "run",
                        "--rm",
                        "--pull=never",
                        "--timeout",
                        "5",
                        "--user",
                        "0",
                        "--network",
                        stack.plan.collectorHosts[0].collector.network,
                        "-v",
                        `${tools.telemetrygen}:/telemetrygen:ro`,
                        "--entrypoint",
                        "/telemetrygen",
                        stack.plan.collectorHosts[0].collector.image,
                        "traces",
                        "--otlp-endpoint",
                        `${clients.stranger.ip}:${port}`,
                        "--otlp-insecure",
                        "--traces",
                        "1",
                    ],
                    { timeout: 30_000 },
                );
                assert.ok(
                    await waitFor(
                        `a connection on ${port}`,
                        async () => (output.includes(`accepted ${port}`) ? true : undefined),
                        5_000,
                    ).catch(() => false),
                    `the container's connection to ${clients.stranger.ip}:${port} never arrived`,
                );
            }
        } finally {
            listener.kill();
        }
    });

    it("applying the step again changes nothing", () => {
        const before = runOk("nft", ["list", "table", "inet", firewallTable]);
        const again = run("sh", ["-s"], { input: applyFirewallScript(ruleset, rulesetPath) });
        assert.strictEqual(again.status, 0, again.stderr);
        assert.ok(!again.stderr.includes("changed "), `no file should change: ${again.stderr}`);
        assert.strictEqual(runOk("nft", ["list", "table", "inet", firewallTable]), before);
    });

    it("on the first host of a tier, the samplers' and Jaeger's tier ports admit only the collector hosts", async () => {
        // The three-host example's first host, its networks those of the namespaces here.
        const values = readStackValues(stackConfig("three-hosts"));
        values.trustedNetworks = {
            ingest: ["10.213.1.0/24", "fd00:213:1::/64"],
            metrics: ["10.213.2.0/24", "fd00:213:2::/64"],
            admin: ["10.213.2.0/24", "fd00:213:2::/64"],
            collectors: ["10.213.4.0/24", "fd00:213:4::/64"],
        };
        const settings = validateStack(values);
        const first = planStack(settings).collectorHosts[0];
        const sampler = settings.collector.samplerPorts;
        const tierPorts = [sampler.otlpGrpc, sampler.health, sampler.internalMetrics, settings.jaeger.tierOtlpPort];
        // Nothing of the live stack listens there: listeners of the host's own stand in, on both families.
        const listeners = await Promise.all(
            tierPorts.flatMap((port) =>
                ["0.0.0.0", "::"].map(
                    (host) =>
                        new Promise<net.Server>((resolve, reject) => {
                            const server = net.createServer((socket) => socket.destroy());
                            server
                                .once("error", reject)
                                .listen({ host, port, ipv6Only: host === "::" }, () => resolve(server));
                        }),
                ),
            ),
        );
        try {
            const applied = run("sh", ["-s"], {
                input: applyFirewallScript(renderRuleset({ classes: first.firewall.classes }), rulesetPath),
            });
            assert.strictEqual(applied.status, 0, applied.stderr);
            const probe = [ports().otlpGrpc, ...tierPorts];
            for (const family of [4, 6] as const) {
                assert.deepStrictEqual(
                    reachable(clients.peer, probe, family),
                    [false, true, false, false, true],
                    `a collector host reaches the samplers' port and Jaeger's only (IPv${family})`,
                );
                assert.deepStrictEqual(
                    reachable(clients.app, probe, family),
                    [true, false, false, false, false],
                    `the app network reaches OTLP only (IPv${family})`,
                );
                assert.deepStrictEqual(
                    reachable(clients.prometheus, probe, family),
                    [false, false, true, true, false],
                    `Prometheus reaches the sampler's health and metrics only (IPv${family})`,
                );
                assert.deepStrictEqual(
                    reachable(clients.stranger, probe, family),
                    [false, false, false, false, false],
                    `an untrusted network reaches nothing (IPv${family})`,
                );
            }
        } finally {
            listeners.forEach((l) => l.close());
            // Back to the live stack's own table for the tests after this one.
            runOk("sh", ["-s"], { input: applyFirewallScript(ruleset, rulesetPath) });
        }
    });

    it("the delete step removes the table and access comes back", () => {
        const removed = run("sh", ["-s"], { input: removeFirewallScript(rulesetPath) });
        assert.strictEqual(removed.status, 0, removed.stderr);
        assert.notStrictEqual(run("nft", ["list", "table", "inet", firewallTable]).status, 0, "the table is gone");
        assert.ok(fs.existsSync(rulesetPath) === false, "the ruleset file is gone");
        assert.ok(reaches(clients.stranger, ports().otlpGrpc));
        assert.ok(reaches(clients.stranger, ports().otlpGrpc, 6));
        assert.ok(reaches(clients.app, ports().internalMetrics));
    });
});
