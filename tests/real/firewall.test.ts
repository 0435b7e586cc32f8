// The firewall, live: clients in network namespaces made here reach the collector's published
// ports only from their trusted networks while the program's firewall step has loaded the table,
// and reach them again once its delete step has run.
import * as assert from "assert";
import * as path from "path";
import { firewallTable } from "../../components/firewall/ruleset";
import { applyFirewallScript, removeFirewallScript } from "../../components/firewall/steps";
import { renderRuleset } from "../../components/firewall/ruleset";
import { LiveStack, startLiveStack } from "../live";
import { ensureToolchain, run, runOk } from "../tools";

/** Test hosts: a namespace each, joined to this host by a veth pair on its own /24. */
const clients = {
    app: { ns: "ivotel-app", hostIp: "10.213.1.1", ip: "10.213.1.2" },
    prometheus: { ns: "ivotel-prom", hostIp: "10.213.2.1", ip: "10.213.2.2" },
    stranger: { ns: "ivotel-other", hostIp: "10.213.3.1", ip: "10.213.3.2" },
};
type Client = (typeof clients)[keyof typeof clients];

function addNamespace(c: Client, index: number): void {
    removeNamespace(c);
    const hostSide = `ivotel-h${index}`;
    runOk("ip", ["netns", "add", c.ns]);
    runOk("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", c.ns]);
    runOk("ip", ["addr", "add", `${c.hostIp}/24`, "dev", hostSide]);
    runOk("ip", ["link", "set", hostSide, "up"]);
    runOk("ip", ["-n", c.ns, "addr", "add", `${c.ip}/24`, "dev", "eth0"]);
    runOk("ip", ["-n", c.ns, "link", "set", "eth0", "up"]);
    runOk("ip", ["-n", c.ns, "link", "set", "lo", "up"]);
    runOk("ip", ["-n", c.ns, "route", "add", "default", "via", c.hostIp]);
}

function removeNamespace(c: Client): void {
    run("ip", ["netns", "delete", c.ns]);
}

/** True when a TCP connection from the client to this host's address on `port` opens within 3 s. */
function reaches(c: Client, port: number): boolean {
    return run("ip", ["netns", "exec", c.ns, "timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${c.hostIp}/${port}`]).status === 0;
}

describe("live: firewall on published container ports", function () {
    this.timeout(300_000);
    let stack: LiveStack;
    let rulesetPath: string;
    let ruleset: string;

    before(async () => {
        ensureToolchain();
        stack = await startLiveStack("development", {
            trustedNetworks: { ingest: ["10.213.1.0/24"], metrics: ["10.213.2.0/24"], admin: ["10.213.2.0/24"] },
        });
        Object.values(clients).forEach(addNamespace);
        rulesetPath = path.join(stack.hostDir, "firewall.nft");
        ruleset = renderRuleset({ classes: stack.plan.firewall.classes });
    });
    after(() => {
        run("sh", ["-s"], { input: removeFirewallScript(rulesetPath) });
        Object.values(clients).forEach(removeNamespace);
        stack?.stop();
    });

    const ports = () => stack.plan.collector.ports;

    it("without the table, every client reaches every port (the baseline)", () => {
        for (const c of Object.values(clients)) {
            assert.ok(reaches(c, ports().otlpGrpc), `${c.ns} -> ${ports().otlpGrpc}`);
            assert.ok(reaches(c, ports().internalMetrics), `${c.ns} -> ${ports().internalMetrics}`);
        }
    });

    it("with the table, each port admits only its trusted network", () => {
        const applied = run("sh", ["-s"], { input: applyFirewallScript(ruleset, rulesetPath) });
        assert.strictEqual(applied.status, 0, applied.stderr);
        assert.match(runOk("nft", ["list", "table", "inet", firewallTable]), /hook prerouting priority (mangle|-150);/);
        const matrix = (c: Client) => [ports().otlpGrpc, ports().otlpHttp, ports().internalMetrics, ports().prometheusExporter, stack.plan.jaeger.uiPort].map((p) => reaches(c, p));
        assert.deepStrictEqual(matrix(clients.app), [true, true, false, false, false], "the app network reaches OTLP only");
        assert.deepStrictEqual(matrix(clients.prometheus), [false, false, true, true, true], "the Prometheus network reaches metrics and the UI only");
        assert.deepStrictEqual(matrix(clients.stranger), [false, false, false, false, false], "an untrusted network reaches nothing");
    });

    it("keeps loopback open while the table is loaded", async () => {
        const response = await fetch(`http://127.0.0.1:${ports().health}/`);
        assert.ok(response.ok);
    });

    it("applying the step again changes nothing", () => {
        const before = runOk("nft", ["list", "table", "inet", firewallTable]);
        const again = run("sh", ["-s"], { input: applyFirewallScript(ruleset, rulesetPath) });
        assert.strictEqual(again.status, 0, again.stderr);
        assert.ok(!again.stderr.includes("changed "), `no file should change: ${again.stderr}`);
        assert.strictEqual(runOk("nft", ["list", "table", "inet", firewallTable]), before);
    });

    it("the delete step removes the table and access comes back", () => {
        const removed = run("sh", ["-s"], { input: removeFirewallScript(rulesetPath) });
        assert.strictEqual(removed.status, 0, removed.stderr);
        assert.notStrictEqual(run("nft", ["list", "table", "inet", firewallTable]).status, 0, "the table is gone");
        assert.ok(reaches(clients.stranger, ports().otlpGrpc));
        assert.ok(reaches(clients.app, ports().internalMetrics));
    });
});
