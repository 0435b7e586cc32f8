// The whole program, run for each stack file as the CLI would load it.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { container, CONTAINER, LOCAL, ProgramRun, REMOTE, resolveDeep, runStack, stackNames, upload } from "./harness";

const expectedSizing = {
    production: {
        cpus: "4.0",
        memory: 8192,
        goMemLimit: "6553MiB",
        sampling: 10,
        service: "ivatar-production",
        version: "1.8.0",
    },
    development: {
        cpus: "2.0",
        memory: 4096,
        goMemLimit: "3276MiB",
        sampling: 100,
        service: "ivatar-development",
        version: "1.8.0-dev",
    },
    local: { cpus: "1.0", memory: 1024, goMemLimit: "819MiB", sampling: 100, service: "ivatar-local", version: "dev" },
};

for (const stack of stackNames) {
    describe(`program with Pulumi.${stack}.yaml`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runStack(stack);
        });
        const want = expectedSizing[stack];

        it("sizes the collector container for the stack", () => {
            const c = container(run, "collector");
            assert.strictEqual(c.cpus, want.cpus);
            assert.strictEqual(c.memory, want.memory);
            assert.strictEqual(c.memorySwap, want.memory, "no swap beyond the memory limit");
            assert.ok(c.envs.includes(`GOMEMLIMIT=${want.goMemLimit}`), c.envs.join(" "));
        });

        it("publishes the collector's ports and keeps Jaeger's OTLP private", () => {
            const c = container(run, "collector");
            assert.deepStrictEqual(
                c.ports.map((p) => p.external).sort((a, b) => a - b),
                [4317, 4318, 8888, 9464, 13133],
            );
            const j = container(run, "jaeger");
            // Its query UI/API and its own metrics; OTLP stays on the private network.
            assert.deepStrictEqual(
                j.ports.map((p) => [p.internal, p.external]),
                [
                    [16686, 16686],
                    [8888, 14269],
                ],
            );
            assert.deepStrictEqual(
                [c.networksAdvanced[0].name, j.networksAdvanced[0].name],
                ["ivatar-otel", "ivatar-otel"],
            );
        });

        it("runs both containers as the images' user with a restart policy, on pinned images", () => {
            for (const name of ["collector", "jaeger"]) {
                const c = container(run, name);
                assert.strictEqual(c.user, "10001:10001");
                assert.strictEqual(c.restart, "always");
                // As the hosts' Podman (5, under the mocks) reports it back: no replacement on the next up.
                assert.deepStrictEqual(
                    [...new Set((c.ports as unknown as { ip: string }[]).map((p) => p.ip))],
                    ["0.0.0.0"],
                );
            }
            const images = run
                .ofType("docker:index/remoteImage:RemoteImage")
                .map((r) => r.inputs.name)
                .sort();
            assert.deepStrictEqual(images, [
                "docker.io/jaegertracing/jaeger:2.13.0",
                "docker.io/otel/opentelemetry-collector-contrib:0.161.0",
            ]);
        });

        it("uploads a collector config with the stack's sampling and TLS", () => {
            const config = parse(upload(container(run, "collector"), "/etc/otelcol-contrib/config.yaml"));
            const policies = config.processors.tail_sampling.policies;
            assert.strictEqual(policies[1].probabilistic.sampling_percentage, want.sampling);
            assert.deepStrictEqual(policies[0].status_code.status_codes, ["ERROR"]);
            assert.strictEqual(config.processors.batch.timeout, "1s");
            assert.strictEqual(
                config.receivers.otlp.protocols.grpc.tls.cert_file,
                "/etc/otelcol-contrib/tls/server.crt",
            );
            assert.strictEqual(config.exporters["otlp_grpc/jaeger"].endpoint, "ivatar-otel-jaeger:4317");
            // The same text as an output, where a stack diff shows it (the uploads are secret as a whole).
            assert.strictEqual(
                run.outputs.collectorConfig,
                upload(container(run, "collector"), "/etc/otelcol-contrib/config.yaml"),
            );
        });

        it("keeps the bearer token out of the container environment and the config file", () => {
            const c = container(run, "collector");
            const token = upload(c, "/etc/otelcol-contrib/secrets/bearer-token");
            assert.strictEqual(token, "mock-token-otlp-bearer-token");
            assert.ok(!c.envs.some((e) => e.includes(token)));
            assert.ok(!upload(c, "/etc/otelcol-contrib/config.yaml").includes(token));
        });

        it("mounts the TLS directory read-only, relabelled for containers on SELinux hosts, and the queue on a named volume", () => {
            const volumes = container(run, "collector").volumes;
            assert.deepStrictEqual(
                volumes.find((m) => m.containerPath === "/var/lib/otelcol/queue"),
                { volumeName: "ivatar-otel-collector-queue", containerPath: "/var/lib/otelcol/queue" },
            );
            const tls = volumes.find((m) => m.containerPath === "/etc/otelcol-contrib/tls");
            assert.ok(
                tls?.hostPath?.endsWith("/tls") && tls.readOnly && tls.selinuxRelabel === "z",
                JSON.stringify(volumes),
            );
        });

        it("configures Jaeger with badger on a volume and 168h retention", () => {
            const j = container(run, "jaeger");
            const config = parse(upload(j, "/etc/jaeger/config.yaml"));
            const badger = config.extensions.jaeger_storage.backends.traces.badger;
            assert.deepStrictEqual([badger.ephemeral, badger.ttl.spans], [false, "168h"]);
            assert.strictEqual(j.volumes[0].volumeName, "ivatar-otel-jaeger-data");
        });

        it("places the alert rules and scrape jobs on the Prometheus host", () => {
            const steps = [...run.ofType(REMOTE), ...run.ofType(LOCAL)].map((r) => r.name);
            assert.ok(steps.includes("prometheus-rules-files"), steps.join(", "));
        });

        it("runs one collector and Jaeger: no sampler, no list of fronts (collectorHost is one host)", async () => {
            assert.deepStrictEqual(
                run
                    .ofType(CONTAINER)
                    .map((r) => r.name)
                    .sort(),
                ["collector-container", "jaeger-container"],
            );
            const config = parse(upload(container(run, "collector"), "/etc/otelcol-contrib/config.yaml"));
            assert.ok(!("load_balancing" in config.exporters), "the one collector samples itself");
            const outputs = (await resolveDeep(run.outputs)) as Record<string, unknown>;
            assert.strictEqual(outputs.frontEndpoints, undefined);
            assert.strictEqual(outputs.samplerConfig, undefined);
        });

        it("exports what deployment jobs need", async () => {
            const outputs = (await resolveDeep(run.outputs)) as Record<string, Record<string, unknown>>;
            const env = outputs.appEnvironment;
            assert.strictEqual(env.OTEL_SERVICE_NAME, want.service);
            assert.strictEqual(env.OTEL_ENVIRONMENT, stack);
            assert.strictEqual(env.IVATAR_VERSION, want.version);
            assert.strictEqual(env.OTEL_EXPORTER_OTLP_HEADERS, "authorization=Bearer%20mock-token-otlp-bearer-token");
            assert.match(String(env.OTEL_EXPORTER_OTLP_ENDPOINT), /^https:\/\/[^:]+:4317$/);
            assert.strictEqual(env.OTEL_EXPORTER_OTLP_CERTIFICATE, "/etc/ivatar/otel-ca.pem");
            assert.strictEqual(outputs.sizing.memoryMb, want.memory);
            assert.strictEqual(outputs.sizing.samplingRatio, want.sampling / 100);
            assert.match(String(outputs.collectorCaCertificate), /BEGIN CERTIFICATE/);
            assert.deepStrictEqual(
                (outputs.prometheusTargets as unknown as string[]).map((t) => t.split(":")[1]),
                ["8888", "9464", "14269"],
            );
        });

        it("keeps the token secret in outputs and the header variable alone secret in appEnvironment", async () => {
            const env = run.outputs.appEnvironment as Record<string, pulumi.Input<string>>;
            assert.strictEqual(await pulumi.isSecret(env.OTEL_EXPORTER_OTLP_HEADERS as pulumi.Output<string>), true);
            assert.strictEqual(await pulumi.isSecret(run.outputs.otlpBearerToken as pulumi.Output<string>), true);
            assert.strictEqual(
                typeof env.OTEL_SERVICE_NAME,
                "string",
                "plain variables stay readable in `pulumi stack output`",
            );
        });
    });
}

describe("program differences between stacks", () => {
    it("reaches production and development over SSH with the pinned host key, and local with local commands", async () => {
        const production = await runStack("production");
        const steps = production.ofType(REMOTE);
        assert.ok(steps.length >= 3, "firewall, TLS and Prometheus steps");
        for (const step of steps) {
            const connection = step.inputs.connection as { host: string; hostKey: string };
            assert.match(connection.hostKey, /^ssh-ed25519 /);
        }
        const provider = production.named("pulumi:providers:docker", "collector-host-podman");
        assert.strictEqual(provider.inputs.host, "ssh://root@collector.internal:22");
        assert.ok(JSON.stringify(provider.inputs.sshOpts).includes("StrictHostKeyChecking=yes"));

        const local = await runStack("local");
        assert.strictEqual(local.ofType(REMOTE).length, 0);
        assert.ok(local.ofType(LOCAL).length >= 2);
        assert.strictEqual(
            local.named("pulumi:providers:docker", "collector-host-podman").inputs.host,
            "unix:///run/podman/podman.sock",
        );
    });

    it("publishes no port before the firewall table is loaded", async () => {
        const run = await runStack("production");
        for (const name of ["collector-container", "jaeger-container"]) {
            const deps = run.named(CONTAINER, name).dependencies;
            assert.ok(
                deps.some((urn) => urn.endsWith("::firewall-table")),
                `${name} waits for: ${deps.join(", ")}`,
            );
        }
        assert.ok(
            run
                .named(CONTAINER, "collector-container")
                .dependencies.some((urn) => urn.endsWith("::collector-tls-material")),
        );
    });

    it("places the dashboards on the Prometheus host by default, on grafana.host when given, and nowhere when disabled", async () => {
        const connectionOf = (run: ProgramRun) =>
            (run.named(REMOTE, "grafana-dashboards-files").inputs.connection as { host: string }).host;
        const shared = await runStack("production");
        assert.strictEqual(connectionOf(shared), "prometheus.internal");
        assert.strictEqual(shared.ofType("ivatar:otel:PodmanHost").length, 2, "no host of its own");
        assert.ok(
            shared
                .named(REMOTE, "grafana-dashboards-files")
                .dependencies.some((urn) => urn.endsWith("::prometheus-rules-files")),
            "after the scrape jobs",
        );

        const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEgBYcTSy98lV1VvEA4IgRxgqxkKY+gD4F3j5vMmBUcH";
        const own = await runStack("production", {
            "ivatar-otel:grafana": JSON.stringify({ host: { address: "grafana.internal", user: "root", hostKey } }),
        });
        assert.strictEqual(connectionOf(own), "grafana.internal");
        const preflight = own.named(REMOTE, "grafana-host-preflight");
        assert.match(String(preflight.inputs.stdin), /command -v 'cmp'/);
        assert.ok(
            own
                .named(REMOTE, "grafana-dashboards-files")
                .dependencies.some((urn) => urn.endsWith("::grafana-host-preflight")),
            "after its host's preflight",
        );
        assert.ok(
            !String(own.named(REMOTE, "prometheus-host-preflight").inputs.stdin).includes("'cmp'"),
            "the Prometheus host is not asked for the dashboards' tools",
        );

        const off = await runStack("production", { "ivatar-otel:grafana": JSON.stringify({ enabled: false }) });
        assert.strictEqual(off.ofType("ivatar:otel:GrafanaDashboards").length, 0);
    });

    it("outputs each app instance's telemetry switch for the rollout, and nothing of the kind without apps", async () => {
        const rollout = await runStack("production", {
            "ivatar-otel:apps": JSON.stringify({ instances: ["web-1", "web-2"], telemetryOn: ["web-1"] }),
        });
        const outputs = (await resolveDeep(rollout.outputs)) as Record<string, unknown>;
        const instances = outputs.appInstances as Record<string, Record<string, string>>;
        assert.deepStrictEqual(
            Object.entries(instances).map(([name, env]) => [name, env.OTEL_ENABLED]),
            [
                ["web-1", "true"],
                ["web-2", "false"],
            ],
        );
        assert.ok(!pulumi.Output.isInstance(rollout.outputs.appInstances), "plain: readable in `pulumi stack output`");
        const plain = (await resolveDeep((await runStack("production")).outputs)) as Record<string, unknown>;
        assert.strictEqual(plain.appInstances, undefined);
    });

    it("adds the firewall on production and development only", async () => {
        for (const [stack, expected] of [
            ["production", 1],
            ["development", 1],
            ["local", 0],
        ] as const) {
            const run = await runStack(stack);
            assert.strictEqual(run.ofType("ivatar:otel:Firewall").length, expected, stack);
        }
    });
});
