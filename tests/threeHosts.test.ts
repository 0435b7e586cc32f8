// The whole program under mocks for docs/examples/Pulumi.three-hosts.yaml: three collector hosts,
// each with a front and a sampler, Jaeger on the first. The single-host stacks are checked
// unchanged by the render and URN fixtures and by program.test.ts.
import * as assert from "assert";
import { parse } from "yaml";
import { container, CONTAINER, ProgramRun, REMOTE, resolveDeep, runStack, upload, writtenFiles } from "./harness";

const hosts = ["collector-1.internal", "collector-2.internal", "collector-3.internal"];
const suffixes = ["", "-2", "-3"];
const configPath = "/etc/otelcol-contrib/config.yaml";
const tierCaPath = "/etc/otelcol-contrib/tier/ca.crt";

/** The mock TLS steps print "mock-<step name>" as their CA: the bundle is all three, in host order. */
const bundle = suffixes
    .map((s) => `-----BEGIN CERTIFICATE-----\nmock-collector-tls${s}-material\n-----END CERTIFICATE-----\n`)
    .join("");

interface Network {
    name: string;
    aliases: string[];
}

describe("program with docs/examples/Pulumi.three-hosts.yaml", () => {
    let run: ProgramRun;
    let outputs: Record<string, unknown>;
    const hostOf = (name: string) => (run.named(REMOTE, name).inputs.connection as { host: string }).host;
    const providerOf = (name: string) => String(run.named(CONTAINER, `${name}-container`).provider);
    const config = (name: string) => parse(upload(container(run, name), configPath));

    before(async () => {
        run = await runStack("three-hosts");
        outputs = (await resolveDeep(run.outputs)) as Record<string, unknown>;
    });

    it("runs a front and a sampler on each host, and one Jaeger on the first, each through its own host's Podman", () => {
        assert.deepStrictEqual(
            run
                .ofType(CONTAINER)
                .map((r) => r.name)
                .sort(),
            [
                "collector-2-container",
                "collector-3-container",
                "collector-container",
                "jaeger-container",
                "sampler-2-container",
                "sampler-3-container",
                "sampler-container",
            ],
        );
        suffixes.forEach((s, i) => {
            for (const name of [`collector${s}`, `sampler${s}`])
                assert.match(providerOf(name), new RegExp(`::collector-host${s}-podman::`), name);
            assert.strictEqual(
                run.named("pulumi:providers:docker", `collector-host${s}-podman`).inputs.host,
                `ssh://root@${hosts[i]}:22`,
            );
        });
        assert.match(providerOf("jaeger"), /::collector-host-podman::/);
    });

    it("halves the host's sizing between front and sampler", () => {
        for (const s of suffixes) {
            for (const name of [`collector${s}`, `sampler${s}`]) {
                const c = container(run, name);
                assert.deepStrictEqual([c.cpus, c.memory], ["2.0", 4096], name);
                assert.ok(c.envs.includes("GOMEMLIMIT=3276MiB"), c.envs.join(" "));
            }
        }
        assert.strictEqual(config("sampler").processors.tail_sampling.num_shards, 2);
    });

    it("gives every front the same sampler ring, by host name, and every tier collector the hosts' CA bundle", () => {
        for (const s of suffixes) {
            const lb = config(`collector${s}`).exporters.load_balancing;
            assert.deepStrictEqual(
                lb.resolver.static.hostnames,
                hosts.map((h) => `${h}:4319`),
            );
            assert.strictEqual(lb.routing_key, "traceID");
            for (const name of [`collector${s}`, `sampler${s}`])
                assert.strictEqual(upload(container(run, name), tierCaPath), bundle, name);
        }
    });

    it("lets each host's front reach its own sampler on the private network, by the host's name", () => {
        suffixes.forEach((s, i) => {
            const network = container(run, `sampler${s}`).networksAdvanced[0] as unknown as Network;
            assert.deepStrictEqual(network.aliases, ["ivatar-otel-sampler", hosts[i]]);
            assert.deepStrictEqual(
                container(run, `sampler${s}`).ports.map((p) => p.external),
                [4319, 13134, 8889],
            );
        });
    });

    it("sends the first sampler to Jaeger on the private network, the others over TLS with their host's certificate", () => {
        const local = config("sampler").exporters["otlp_grpc/jaeger"];
        assert.deepStrictEqual([local.endpoint, local.tls], ["ivatar-otel-jaeger:4317", { insecure: true }]);
        for (const s of ["-2", "-3"]) {
            const remote = config(`sampler${s}`).exporters["otlp_grpc/jaeger"];
            assert.strictEqual(remote.endpoint, "collector-1.internal:4320");
            assert.deepStrictEqual(
                [remote.tls.ca_file, remote.tls.cert_file],
                [tierCaPath, "/etc/otelcol-contrib/tls/server.crt"],
            );
        }
        const jaeger = container(run, "jaeger");
        assert.deepStrictEqual(
            jaeger.ports.map((p) => [p.internal, p.external]),
            [
                [16686, 16686],
                [8888, 14269],
                [4319, 4320],
            ],
        );
        assert.strictEqual(upload(jaeger, "/etc/jaeger/tier/ca.crt"), bundle);
        const receiver = parse(upload(jaeger, "/etc/jaeger/config.yaml")).receivers["otlp/tier"].protocols.grpc;
        assert.strictEqual(
            receiver.tls.client_ca_file,
            "/etc/jaeger/tier/ca.crt",
            "only the collector hosts' certificates get in",
        );
        assert.ok(
            jaeger.volumes.some((m) => m.containerPath === "/etc/jaeger/tls" && m.readOnly && m.selinuxRelabel === "z"),
            JSON.stringify(jaeger.volumes),
        );
    });

    it("makes a certificate per host, for its name and as a client's, on that host", () => {
        suffixes.forEach((s, i) => {
            assert.strictEqual(hostOf(`collector-tls${s}-material`), hosts[i]);
            const script = String(run.named(REMOTE, `collector-tls${s}-material`).inputs.stdin);
            assert.ok(script.includes(`DNS:collector.internal,DNS:${hosts[i]},DNS:localhost,IP:127.0.0.1`), script);
            assert.ok(script.includes("extendedKeyUsage=serverAuth,clientAuth"));
        });
    });

    it("loads a firewall per host: the tier's ports from the collector hosts only, Jaeger's on the first host alone", () => {
        suffixes.forEach((s, i) => {
            assert.strictEqual(hostOf(`firewall${s}-table`), hosts[i]);
            const ruleset = writtenFiles(String(run.named(REMOTE, `firewall${s}-table`).inputs.stdin)).join("\n");
            assert.ok(
                ruleset.includes(
                    "set tier_v4 { type ipv4_addr; flags interval; auto-merge; elements = { 10.10.2.0/24 } }",
                ),
                ruleset,
            );
            assert.ok(
                ruleset.includes(
                    i === 0
                        ? "tcp dport { 4319, 4320 } ip saddr != @tier_v4 drop"
                        : "tcp dport 4319 ip saddr != @tier_v4 drop",
                ),
                ruleset,
            );
            assert.strictEqual(ruleset.includes("16686"), i === 0, "the Jaeger UI is on the first host only");
        });
    });

    it("checks on each host that the others' names resolve, and that both queues fit its disk", () => {
        suffixes.forEach((s, i) => {
            const preflight = String(run.named(REMOTE, `collector-host${s}-preflight`).inputs.stdin);
            for (const other of hosts)
                assert.strictEqual(
                    preflight.includes(`getent hosts '${other}'`),
                    other !== hosts[i],
                    `${hosts[i]} resolves ${other}`,
                );
            assert.ok(
                preflight.includes(`'ivatar-otel-collector-queue' "$volumes"/'ivatar-otel-sampler-queue'`),
                preflight,
            );
        });
    });

    it("starts the samplers after Jaeger, each front after its host's sampler, and publishes nothing before the host's firewall", () => {
        const deps = (name: string) => run.named(CONTAINER, `${name}-container`).dependencies;
        suffixes.forEach((s) => {
            assert.ok(
                deps(`sampler${s}`).some((u) => u.endsWith("::jaeger-container")),
                `sampler${s}: ${deps(`sampler${s}`).join(", ")}`,
            );
            for (const name of [`collector${s}`, `sampler${s}`])
                assert.ok(
                    deps(name).some((u) => u.endsWith(`::firewall${s}-table`)),
                    name,
                );
            assert.ok(
                deps(`collector${s}`).some((u) => u.endsWith(`::sampler${s}-container`)),
                `collector${s} waits for its own host's sampler`,
            );
        });
        assert.ok(
            deps("jaeger").some((u) => u.endsWith("::collector-tls-material")),
            "Jaeger serves the first host's certificate",
        );
    });

    it("gives each front the other hosts' names, and each sampler off the first host Jaeger's, at the addresses its own host resolves", () => {
        const extraHosts = (name: string) => (container(run, name).hosts ?? []).map((h) => `${h.host}=${h.ip}`);
        assert.deepStrictEqual(extraHosts("collector"), [
            "collector-2.internal=192.0.2.1",
            "collector-3.internal=192.0.2.2",
        ]);
        assert.deepStrictEqual(extraHosts("collector-2"), [
            "collector-1.internal=192.0.2.1",
            "collector-3.internal=192.0.2.2",
        ]);
        assert.deepStrictEqual(
            extraHosts("sampler"),
            [],
            "the first host's sampler reaches Jaeger on the private network",
        );
        assert.deepStrictEqual(extraHosts("sampler-3"), ["collector-1.internal=192.0.2.1"]);
        assert.deepStrictEqual(
            run.named("pulumi-nodejs:dynamic:Resource", "collector-host-3-podman-facts").inputs.resolve,
            ["collector-1.internal", "collector-2.internal"],
        );
    });

    it("rolls through the hosts: each host's collectors wait until the previous host's answer on their health ports, again whenever they are replaced", () => {
        const deps = (name: string) => run.named(CONTAINER, `${name}-container`).dependencies;
        suffixes.forEach((s, i) => {
            const gate = run.named(REMOTE, `collector-health${s}`);
            assert.deepStrictEqual(
                gate.dependencies
                    .filter((u) => u.includes("docker:index/container:Container"))
                    .map((u) => u.split("::").pop())
                    .sort(),
                [`collector${s}-container`, `sampler${s}-container`],
            );
            assert.match(String(gate.inputs.stdin), /http:\/\/localhost:13133\/' 'http:\/\/localhost:13134\//);
            assert.strictEqual(
                (gate.inputs.triggers as unknown[]).length,
                2,
                "rerun when either container is replaced",
            );
            if (i === 0) return;
            const previous = `::collector-health${suffixes[i - 1]}`;
            for (const name of [`collector${s}`, `sampler${s}`])
                assert.ok(
                    deps(name).some((u) => u.endsWith(previous)),
                    `${name} waits for ${previous}`,
                );
        });
        for (const name of ["collector", "sampler"])
            assert.ok(!deps(name).some((u) => u.includes("::collector-health")), `${name} waits for no gate`);
    });

    it("scrapes every front and sampler, Jaeger once, and alerts on the tier", () => {
        assert.deepStrictEqual(outputs.prometheusTargets, [
            ...hosts.map((h) => `${h}:8888`),
            ...hosts.map((h) => `${h}:8889`),
            ...hosts.map((h) => `${h}:9464`),
            "collector-1.internal:14269",
        ]);
        const rules = writtenFiles(String(run.named(REMOTE, "prometheus-rules-files").inputs.stdin)).join("\n");
        assert.ok(
            rules.includes("OtelCollectorTierBackendsMissing") && rules.includes("< 3"),
            "the tier's rules, for three samplers",
        );
    });

    it("outputs every front, the CA bundle, Jaeger on the first host and the per-collector sizing", () => {
        assert.deepStrictEqual(
            outputs.frontEndpoints,
            hosts.map((h) => ({ host: h, otlpGrpc: `https://${h}:4317`, otlpHttp: `https://${h}:4318` })),
        );
        assert.strictEqual(outputs.collectorCaCertificate, bundle);
        assert.strictEqual(outputs.jaegerUiUrl, "http://collector-1.internal:16686/");
        assert.deepStrictEqual((outputs.sizing as Record<string, unknown>).tier, {
            hosts: 3,
            perCollector: { cpus: 2, memoryMb: 4096, goMemLimit: "3276MiB" },
        });
        assert.strictEqual(
            (outputs.appEnvironment as Record<string, string>).OTEL_EXPORTER_OTLP_ENDPOINT,
            "https://collector.internal:4317",
            "the name that resolves to every front",
        );
        assert.strictEqual(outputs.samplerConfig, upload(container(run, "sampler"), configPath));
    });
});
