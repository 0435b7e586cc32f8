// The pure renderers, tested directly (the real programs that read their files are exercised
// in tests/artifacts.test.ts).
import * as assert from "assert";
import { renderFirewallUnit } from "../components/firewall/steps";
import { providerCpus } from "../components/container";
import { parse } from "yaml";
import { appEnvironment, renderEnvFile } from "../components/appEnvironment";
import { collectorConfig, credentialPattern, emailPattern, sensitiveTextPattern } from "../components/collector/config";
import { goMemLimit } from "../components/collector/container";
import { collectorModules, ComponentKind } from "../components/collector/distribution";
import { renderRuleset } from "../components/firewall/ruleset";
import { dockerHostUri, knownHostsName, sshOptions } from "../components/host/podmanHost";
import { jaegerConfig } from "../components/jaeger/jaeger";
import { alertRules, collectorMetrics, renderRuleTests } from "../components/prometheus/rules";
import { planFor } from "../stack/plan";

const plan = (stack: string) => planFor(stack);
const production = plan("production");
type Pipeline = { receivers: string[]; processors: string[]; exporters: string[] };

describe("collector config renderer", () => {
    const config = collectorConfig(production.collector.config) as {
        service: { pipelines: Record<string, Pipeline>; extensions: string[] };
        processors: Record<string, unknown>;
        receivers: Record<string, unknown>;
        exporters: Record<string, unknown>;
        extensions: Record<string, unknown>;
    };

    it("puts memory_limiter first and masks in every pipeline; traces are masked last, after sampling and batching", () => {
        for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
            assert.strictEqual(pipeline.processors[0], "memory_limiter", name);
            assert.ok(pipeline.processors.includes("redaction/pii"), `${name} redacts`);
            assert.ok(pipeline.processors.includes("batch"), `${name} batches`);
        }
        assert.deepStrictEqual(config.service.pipelines.traces.processors, ["memory_limiter", "tail_sampling", "batch", "redaction/pii", "transform/pii"]);
    });

    it("uses only component types the test distribution builds", () => {
        const used: [ComponentKind, string][] = [
            ...Object.keys(config.receivers).map((k) => ["receivers", k] as [ComponentKind, string]),
            ...Object.keys(config.processors).map((k) => ["processors", k] as [ComponentKind, string]),
            ...Object.keys(config.exporters).map((k) => ["exporters", k] as [ComponentKind, string]),
            ...Object.keys(config.extensions).map((k) => ["extensions", k] as [ComponentKind, string]),
        ];
        for (const [kind, id] of used) {
            const type = id.split("/")[0];
            assert.ok(collectorModules[kind][type], `${kind} ${type} is not in components/collector/distribution.ts`);
        }
    });

    it("keeps every error trace and samples the rest at the stack's ratio", () => {
        for (const [ratio, percent] of [[0.1, 10], [1, 100], [0, 0], [0.333, 33.3]]) {
            const c = collectorConfig({ ...production.collector.config, samplingRatio: ratio }) as { processors: { tail_sampling: { policies: Record<string, { sampling_percentage?: number; status_codes?: string[] }>[] } } };
            const [errors, rest] = c.processors.tail_sampling.policies;
            assert.deepStrictEqual(errors.status_code, { status_codes: ["ERROR"] });
            assert.strictEqual(rest.probabilistic.sampling_percentage, percent);
        }
    });

    it("leaves TLS out only when it is disabled, and asks for client certificates only with a client CA", () => {
        const plain = collectorConfig({ ...production.collector.config, tls: { enabled: false, clientCa: false, reloadInterval: "1h" } });
        const mutual = collectorConfig({ ...production.collector.config, tls: { enabled: true, clientCa: true, reloadInterval: "1h" } });
        const grpc = (c: Record<string, unknown>) => (c.receivers as { otlp: { protocols: { grpc: { tls?: { client_ca_file?: string }; auth: unknown } } } }).otlp.protocols.grpc;
        assert.strictEqual(grpc(plain).tls, undefined);
        assert.ok(grpc(plain).auth, "the token is required even without TLS");
        assert.strictEqual(grpc(mutual).tls?.client_ca_file, "/etc/otelcol-contrib/tls/client-ca.crt");
    });

    it("redaction patterns catch e-mail addresses and credentials, and leave avatar hashes alone", () => {
        const email = new RegExp(emailPattern);
        const credential = new RegExp(credentialPattern.replace("(?i)", ""), "i");
        for (const hit of ["alice@example.org", "GET /avatar?email=bob.smith+tag@mail.example.co.uk"]) assert.ok(email.test(hit), hit);
        for (const hit of ["Bearer abcdefgh12345678", "basic dXNlcjpwYXNzd29yZA=="]) assert.ok(credential.test(hit), hit);
        for (const miss of ["/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346", "user at example dot org"]) {
            assert.ok(!email.test(miss) && !credential.test(miss), miss);
        }
        // The one pattern for names and messages catches the same, and needs no OTTL escaping.
        const both = new RegExp(sensitiveTextPattern.replace("(?i:", "(?:").replace("[[:space:]]", "\\s"), "i");
        for (const hit of ["alice@example.org", "Bearer abcdefgh12345678"]) assert.ok(both.test(hit), hit);
        for (const miss of ["/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346", "user at example dot org"]) assert.ok(!both.test(miss), miss);
        assert.ok(!/[\\"]/.test(sensitiveTextPattern));
    });

    it("sets GOMEMLIMIT to 80 % of the container limit", () => {
        assert.deepStrictEqual([goMemLimit(4096), goMemLimit(8192), goMemLimit(1000)], ["3276MiB", "6553MiB", "800MiB"]);
    });
});

describe("Jaeger config renderer", () => {
    it("keeps spans for the configured retention on a persistent badger store", () => {
        const config = jaegerConfig({ traceRetention: "72h" }) as { extensions: { jaeger_storage: { backends: { traces: { badger: { ephemeral: boolean; ttl: { spans: string } } } } } } };
        const badger = config.extensions.jaeger_storage.backends.traces.badger;
        assert.deepStrictEqual([badger.ephemeral, badger.ttl.spans], [false, "72h"]);
    });
});

describe("alert rules renderer", () => {
    it("scales the CPU and memory alerts to the container's limits", () => {
        const rules = alertRules(production.prometheus.rules);
        const cpu = rules.find((r) => r.alert === "HighCollectorCPU");
        const memory = rules.find((r) => r.alert === "HighCollectorMemory");
        assert.match(cpu?.expr ?? "", /\/ 4 > 0\.8$/);
        assert.match(memory?.expr ?? "", new RegExp(`/ ${8192 * 1024 * 1024} > 0\\.8$`));
        const dev = alertRules(plan("development").prometheus.rules);
        assert.match(dev.find((r) => r.alert === "HighCollectorCPU")?.expr ?? "", /\/ 2 > 0\.8$/);
    });

    it("gives every alert a severity, summary, description and runbook link", () => {
        const rules = alertRules(production.prometheus.rules);
        assert.ok(rules.length >= 7);
        for (const r of rules) {
            assert.ok(["critical", "warning"].includes(r.labels.severity), r.alert);
            assert.ok(r.annotations.summary && r.annotations.description, r.alert);
            assert.strictEqual(r.annotations.runbook_url, `docs/runbook.md#${r.alert.toLowerCase()}`);
        }
    });

    it("refers only to metric names the pinned collector exposes (as listed in collectorMetrics)", () => {
        const known = new Set([...Object.values(collectorMetrics), "up"]);
        for (const r of alertRules(production.prometheus.rules)) {
            for (const name of r.expr.match(/\b(otelcol_[a-z_]+|up)\b/g) ?? []) assert.ok(known.has(name), `${r.alert}: ${name}`);
        }
    });

    it("ships a firing and a quiet test for every alert", () => {
        const suite = parse(renderRuleTests(production.prometheus.rules, "rules.yml")) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
        for (const r of alertRules(production.prometheus.rules)) {
            const cases = suite.tests.flatMap((t) => t.alert_rule_test).filter((t) => t.alertname === r.alert);
            assert.deepStrictEqual(cases.map((c) => c.exp_alerts.length).sort(), [0, 1], r.alert);
        }
    });
});

describe("firewall ruleset renderer", () => {
    const ruleset = renderRuleset({ classes: production.firewall.classes });

    it("filters published ports before Podman's DNAT and again at input", () => {
        assert.match(ruleset, /type filter hook prerouting priority -150;/);
        assert.match(ruleset, /type filter hook input priority filter;/);
        assert.strictEqual(ruleset.match(/iifname "lo" accept/g)?.length, 2);
    });

    it("has its unit follow nftables.service, whose config flushes the whole ruleset", () => {
        const unit = renderFirewallUnit("/etc/ivatar-otel/firewall.nft");
        for (const line of ["PartOf=nftables.service", "ReloadPropagatedFrom=nftables.service", "After=nftables.service firewalld.service network-pre.target",
            "ExecReload=/usr/sbin/nft -f /etc/ivatar-otel/firewall.nft", "WantedBy=multi-user.target nftables.service"]) {
            assert.ok(unit.split("\n").includes(line), line);
        }
        assert.match(unit, /^ExecStop=-\/usr\/sbin\/nft delete table inet /m, "a table already flushed is no failure on stop");
    });

    it("drops in prerouting only what is addressed to this host, never traffic passing through", () => {
        const prerouting = ruleset.slice(ruleset.indexOf("chain prerouting"), ruleset.indexOf("chain input"));
        const drops = prerouting.split("\n").filter((line) => line.includes(" drop "));
        assert.ok(drops.length > 0);
        for (const line of drops) assert.match(line, /^\s+fib daddr type local tcp dport /);
    });

    it("admits each port class from its own networks only, IPv4 and IPv6 apart", () => {
        assert.match(ruleset, /set ingest_v4 \{ type ipv4_addr; flags interval; auto-merge; elements = \{ 10\.10\.1\.0\/24 \} \}/);
        assert.match(ruleset, /set ingest_v6 \{ type ipv6_addr; flags interval; auto-merge; \}/);
        assert.match(ruleset, /tcp dport \{ 4317, 4318 \} ip saddr != @ingest_v4 drop/);
        assert.match(ruleset, /tcp dport \{ 4317, 4318 \} ip6 saddr != @ingest_v6 drop/);
        assert.match(ruleset, /tcp dport \{ 9464, 8888, 13133 \} ip saddr != @metrics_v4 drop/);
        assert.match(ruleset, /tcp dport 16686 ip saddr != @admin_v4 drop/);
        const mixed = renderRuleset({ classes: [{ name: "x", purpose: "p", ports: [1], networks: ["10.0.0.0/8", "fd00::/8"] }] });
        assert.match(mixed, /x_v4 .*10\.0\.0\.0\/8 \}/);
        assert.match(mixed, /x_v6 .*fd00::\/8 \}/);
    });
});

describe("app environment", () => {
    it("points the apps at the collector with the token and the self-issued CA", () => {
        const env = appEnvironment(production.app, "t0ken");
        assert.strictEqual(env.OTEL_EXPORTER_OTLP_ENDPOINT, "https://collector.internal:4317");
        assert.strictEqual(env.OTEL_EXPORTER_OTLP_HEADERS, "authorization=Bearer%20t0ken");
        assert.strictEqual(env.OTEL_EXPORTER_OTLP_CERTIFICATE, "/etc/ivatar/otel-ca.pem");
        assert.strictEqual(env.OTEL_TRACES_SAMPLER_ARG, "1.0", "apps send every trace; the collector samples");
        assert.strictEqual(appEnvironment({ ...production.app, selfIssuedCaPath: undefined }, "t").OTEL_EXPORTER_OTLP_CERTIFICATE, undefined);
        assert.match(renderEnvFile(env), /^OTEL_ENABLED=true\n/);
    });
});

describe("SSH options for the docker provider", () => {
    it("trusts exactly the configured host key, under the name known_hosts would use", () => {
        const host = { address: "collector.internal", port: 2222, user: "root", hostKey: "ssh-ed25519 AAAAkey" };
        assert.strictEqual(knownHostsName(host), "[collector.internal]:2222");
        assert.strictEqual(knownHostsName({ ...host, port: 22 }), "collector.internal");
        const opts = sshOptions(host);
        assert.ok(opts.includes("StrictHostKeyChecking=yes"));
        assert.ok(opts.includes("UserKnownHostsFile=/dev/null"));
        assert.ok(opts.includes("GlobalKnownHostsFile=/dev/null"), "the system's known_hosts is not consulted either");
        assert.ok(opts.includes("KnownHostsCommand=/bin/echo [collector.internal]:2222 ssh-ed25519 AAAAkey"));
    });

    it("puts an IPv6 host address in brackets in the provider's URI", () => {
        const host = { address: "fd00::1", port: 22, user: "root", hostKey: "ssh-ed25519 AAAAkey" };
        assert.strictEqual(dockerHostUri(host), "ssh://root@[fd00::1]:22");
        assert.strictEqual(dockerHostUri({ ...host, address: "collector.internal" }), "ssh://root@collector.internal:22");
    });
});

describe("container arguments for the docker provider", () => {
    it("spell CPUs the way the provider reads them back, so an unchanged limit is no change", () => {
        const read = [1, 2, 4, 1.5, 0.5, 0.25, 10].map(providerCpus);
        assert.deepStrictEqual(read, ["1.0", "2.0", "4.0", "1.5", "0.5", "0.25", "10."]);
    });
});
