// The nftables ruleset and its unit, on literal settings (nft loads them, and clients in network
// namespaces are admitted or dropped, in tests/real/firewall.test.ts).
import * as assert from "assert";
import { PortClass, renderRuleset } from "./ruleset";
import { renderFirewallUnit } from "./steps";

/** Production's classes with the example networks of Pulumi.production.yaml. */
const classes: PortClass[] = [
    { name: "ingest", purpose: "OTLP from the app networks", ports: [4317, 4318], networks: ["10.10.1.0/24"] },
    {
        name: "metrics",
        purpose: "metrics and health for Prometheus",
        ports: [9464, 8888, 13133],
        networks: ["10.10.9.10/32"],
    },
    { name: "admin", purpose: "Jaeger UI for operators", ports: [16686], networks: ["10.10.8.0/24"] },
];

describe("firewall ruleset renderer", () => {
    const ruleset = renderRuleset({ classes });

    it("filters published ports before Podman's DNAT and again at input", () => {
        assert.match(ruleset, /type filter hook prerouting priority -150;/);
        assert.match(ruleset, /type filter hook input priority filter;/);
        assert.strictEqual(ruleset.match(/iifname "lo" accept/g)?.length, 2);
    });

    it("has its unit follow nftables.service, whose config flushes the whole ruleset", () => {
        const unit = renderFirewallUnit("/etc/ivatar-otel/firewall.nft");
        for (const line of [
            "PartOf=nftables.service",
            "ReloadPropagatedFrom=nftables.service",
            "After=nftables.service firewalld.service network-pre.target",
            "ExecReload=/usr/sbin/nft -f /etc/ivatar-otel/firewall.nft",
            "WantedBy=multi-user.target nftables.service",
        ]) {
            assert.ok(unit.split("\n").includes(line), line);
        }
        assert.match(
            unit,
            /^ExecStop=-\/usr\/sbin\/nft delete table inet /m,
            "a table already flushed is no failure on stop",
        );
    });

    it("drops in prerouting only what is addressed to this host, never traffic passing through", () => {
        const prerouting = ruleset.slice(ruleset.indexOf("chain prerouting"), ruleset.indexOf("chain input"));
        const drops = prerouting.split("\n").filter((line) => line.includes(" drop "));
        assert.ok(drops.length > 0);
        for (const line of drops) assert.match(line, /^\s+fib daddr type local tcp dport /);
    });

    it("admits each port class from its own networks only, IPv4 and IPv6 apart", () => {
        assert.match(
            ruleset,
            /set ingest_v4 \{ type ipv4_addr; flags interval; auto-merge; elements = \{ 10\.10\.1\.0\/24 \} \}/,
        );
        assert.match(ruleset, /set ingest_v6 \{ type ipv6_addr; flags interval; auto-merge; \}/);
        assert.match(ruleset, /tcp dport \{ 4317, 4318 \} ip saddr != @ingest_v4 drop/);
        assert.match(ruleset, /tcp dport \{ 4317, 4318 \} ip6 saddr != @ingest_v6 drop/);
        assert.match(ruleset, /tcp dport \{ 9464, 8888, 13133 \} ip saddr != @metrics_v4 drop/);
        assert.match(ruleset, /tcp dport 16686 ip saddr != @admin_v4 drop/);
        const mixed = renderRuleset({
            classes: [{ name: "x", purpose: "p", ports: [1], networks: ["10.0.0.0/8", "fd00::/8"] }],
        });
        assert.match(mixed, /x_v4 .*10\.0\.0\.0\/8 \}/);
        assert.match(mixed, /x_v6 .*fd00::\/8 \}/);
    });
});
