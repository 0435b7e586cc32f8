// Each component on its own under mocks: what it registers, with which inputs, under which parent.
import * as assert from "assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { OtelCollector } from "../components/collector";
import { Firewall } from "../components/firewall";
import { GrafanaDashboards } from "../components/grafana";
import { PodmanHost } from "../components/host/podmanHost";
import { Jaeger } from "../components/jaeger";
import { DeployCheck } from "../components/verify";
import { PrometheusRules } from "../components/prometheus";
import { CollectorTls } from "../components/tls";
import { planFor } from "../stack/plan";
import { Registered, runComponents } from "./harness";
import { tlsStepOf } from "./deployed";

const plan = planFor("production");
const sshHost = {
    address: "collector.internal",
    port: 22,
    user: "root",
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEgBYcTSy98lV1VvEA4IgRxgqxkKY+gD4F3j5vMmBUcH",
};
const parentOf = (r: Registered) => String(r.parent ?? "");
const requirements = plan.collectorHosts[0].requirements;

describe("PodmanHost", () => {
    it("makes a docker provider only for a host that runs containers, and a preflight step always", async () => {
        let reading: unknown;
        const resources = await runComponents(() => {
            const stepsOnly = new PodmanHost("steps-only", {
                host: sshHost,
                requirements: { ...requirements, podman: false },
            });
            try {
                void stepsOnly.provider;
            } catch (error) {
                reading = error;
            }
            new PodmanHost("containers", { host: sshHost, requirements });
        });
        assert.deepStrictEqual(resources.map((r) => `${r.type}::${r.name}`).sort(), [
            "command:remote:Command::containers-preflight",
            "command:remote:Command::steps-only-preflight",
            "ivatar:otel:PodmanHost::containers",
            "ivatar:otel:PodmanHost::steps-only",
            "pulumi-nodejs:dynamic:Resource::containers-podman-facts",
            "pulumi:providers:docker::containers-podman",
        ]);
        assert.ok(pulumi.InputPropertyError.isInstance(reading), "an error with the property path");
        assert.strictEqual(reading.propertyPath, "requirements.podman");
        assert.match(reading.reason, /steps-only: this host runs no containers/);
    });

    it("places nothing before the preflight: the provider and every step wait for it", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("h", { host: sshHost, requirements });
            host.step("s", { create: "echo create", delete: "echo delete" }, { parent: host });
            void host.provider;
        });
        for (const name of ["s", "h-podman", "h-podman-facts"]) {
            const r = resources.find((x) => x.name === name);
            assert.ok(
                r?.dependencies.some((urn) => urn.endsWith("::h-preflight")),
                `${name} waits for: ${r?.dependencies.join(", ")}`,
            );
        }
    });

    it("runs steps over SSH with the pinned host key, the create script on stdin", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("h", { host: sshHost, sshPrivateKey: pulumi.secret("KEY"), requirements });
            host.step("s", { create: "echo create", delete: "echo delete" }, { parent: host });
        });
        const step = resources.find((r) => r.type === "command:remote:Command" && r.name === "s");
        assert.ok(step);
        const connection = step.inputs.connection as Record<string, unknown>;
        assert.deepStrictEqual(
            [connection.host, connection.hostKey, connection.privateKey],
            ["collector.internal", sshHost.hostKey, "KEY"],
        );
        assert.ok(
            step.secretPaths.some((p) => p.startsWith("connection")),
            "the SSH key stays secret",
        );
        assert.strictEqual(step.inputs.stdin, "echo create");
        assert.match(String(step.inputs.delete), /base64 -d/);
        assert.match(parentOf(step), /PodmanHost::h$/);
    });
});

describe("Firewall", () => {
    it("applies the rendered table with one idempotent step", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("h", { host: sshHost, requirements });
            new Firewall("fw", {
                host,
                settings: {
                    classes: plan.collectorHosts[0].firewall.classes,
                    rulesetPath: "/etc/ivatar-otel/firewall.nft",
                },
            });
        });
        const step = resources.find((r) => r.name === "fw-table");
        assert.ok(step);
        assert.match(String(step.inputs.stdin), /nft -c -f/);
        assert.match(
            String(step.inputs.stdin),
            /systemctl daemon-reload && systemctl enable --now ivatar-otel-firewall.service ivatar-otel-firewall-check.timer/,
        );
        assert.match(parentOf(step), /Firewall::fw$/);
    });
});

describe("CollectorTls", () => {
    it("generates on the host, so no private key passes through Pulumi", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("h", { host: sshHost, requirements });
            new CollectorTls("tls", { host, settings: { mode: "generate", step: tlsStepOf(plan) } });
        });
        const step = resources.find((r) => r.name === "tls-material");
        assert.ok(step);
        assert.match(String(step.inputs.stdin), /openssl req -x509/);
        // The provider keeps the whole connection secret; the script itself has nothing to hide.
        assert.ok(!step.secretPaths.includes("stdin"), step.secretPaths.join(", "));
    });

    it("writes a provided key through a secret step", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("h", { host: sshHost, requirements });
            new CollectorTls("tls", {
                host,
                settings: {
                    mode: "provided",
                    step: tlsStepOf(plan),
                    certificate: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
                },
                privateKey: pulumi.secret("-----BEGIN PRIVATE KEY-----\nBB==\n-----END PRIVATE KEY-----\n"),
            });
        });
        const step = resources.find((r) => r.name === "tls-material");
        assert.ok(step);
        assert.ok(step.secretPaths.includes("stdin"), `secret paths: ${step.secretPaths.join(", ")}`);
        assert.ok(
            String(step.inputs.stdin).includes(
                Buffer.from("-----BEGIN PRIVATE KEY-----\nBB==\n-----END PRIVATE KEY-----\n").toString("base64"),
            ),
        );
    });
});

describe("PrometheusRules", () => {
    it("places rules and scrape jobs with a reload, and removes them on delete", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("p", { host: sshHost, requirements });
            new PrometheusRules("rules", { host, settings: plan.prometheus });
        });
        const step = resources.find((r) => r.name === "rules-files");
        assert.ok(step);
        assert.match(String(step.inputs.stdin), /promtool check rules/);
        assert.match(String(step.inputs.stdin), /curl -fsS -X POST --max-time 30 'http:\/\/localhost:9090\/-\/reload'/);
        const deleteScript = Buffer.from(
            /printf %s (\S+)/.exec(String(step.inputs.delete))?.[1] ?? "",
            "base64",
        ).toString();
        assert.match(
            deleteScript,
            /rm -f '\/etc\/prometheus\/rules.d\/ivatar-otel-production.rules.yml' '\/etc\/prometheus\/scrape.d\/ivatar-otel-production.scrape.yml'/,
        );
    });
});

describe("OtelCollector and Jaeger", () => {
    it("place containers, images and volumes on the host's provider, parented to the component", async () => {
        const resources = await runComponents(() => {
            const host = new PodmanHost("h", { host: sshHost, requirements });
            const network = new docker.Network("n", { name: "ivatar-otel" }, { provider: host.provider });
            new Jaeger("jaeger", { host, settings: plan.jaeger, network });
            new OtelCollector("collector", {
                host,
                settings: plan.collectorHosts[0].collector,
                network,
                bearerToken: pulumi.output("tok"),
                canaryKey: pulumi.output("canary"),
            });
        });
        for (const component of ["jaeger", "collector"]) {
            const children = resources.filter((r) => r.name.startsWith(`${component}-`));
            const onPodman = children.filter((r) => r.type.startsWith("docker:"));
            assert.deepStrictEqual(onPodman.map((r) => r.type).sort(), [
                "docker:index/container:Container",
                "docker:index/remoteImage:RemoteImage",
                "docker:index/volume:Volume",
            ]);
            for (const child of children) assert.match(parentOf(child), new RegExp(`::${component}$`));
            for (const child of onPodman) assert.match(String(child.provider ?? ""), /h-podman/);
            // The step that stops a container placed without a stop grace runs after everything
            // else the container waits for, and the container waits for it.
            const handover = children.find((r) => r.name === `${component}-handover`);
            assert.ok(handover, `${component}-handover`);
            assert.match(String(handover.inputs.stdin), new RegExp(`podman stop --time 30 "\\$name"`));
            for (const before of [`::${component}-image`, "::h-preflight", "::n"])
                assert.ok(
                    handover.dependencies.some((urn) => urn.endsWith(before)),
                    `${component}-handover waits for ${before}: ${handover.dependencies.join(", ")}`,
                );
            const container = children.find((r) => r.name === `${component}-container`);
            assert.ok(container?.dependencies.some((urn) => urn.endsWith(`::${component}-handover`)));
        }
        const volume = resources.find((r) => r.name === "collector-queue");
        assert.deepStrictEqual(volume?.inputs.driverOpts, { o: "uid=10001,gid=10001" });
        const collector = resources.find((r) => r.name === "collector-container");
        assert.ok(
            collector?.secretPaths.some((p) => p.startsWith("uploads")),
            "the token upload is secret even when the caller's token was not",
        );
    });
});

describe("every component", () => {
    it("registers as outputs exactly its public fields", async () => {
        // What each component passes to registerOutputs, noted as it is called (Pulumi calls it
        // once more itself, with nothing, after the constructor).
        type Registering = { registerOutputs(outputs?: Record<string, unknown>): void };
        const prototype = pulumi.ComponentResource.prototype as unknown as Registering;
        const registerOutputs = prototype.registerOutputs;
        const registered = new Map<pulumi.ComponentResource, string[]>();
        prototype.registerOutputs = function (this: pulumi.ComponentResource, outputs) {
            registered.set(this, [...new Set([...(registered.get(this) ?? []), ...Object.keys(outputs ?? {})])].sort());
            registerOutputs.call(this, outputs);
        };
        const components: pulumi.ComponentResource[] = [];
        try {
            await runComponents(() => {
                const host = new PodmanHost("h", { host: sshHost, requirements });
                const network = new docker.Network("n", { name: "ivatar-otel" }, { provider: host.provider });
                const generated = plan.collectorHosts[0].tls;
                if (generated.mode !== "generate") throw new Error("production generates its certificate");
                components.push(
                    host,
                    new Firewall("fw", { host, settings: plan.collectorHosts[0].firewall }),
                    new CollectorTls("tls", { host, settings: generated }),
                    new Jaeger("jaeger", { host, settings: plan.jaeger, network }),
                    new OtelCollector("collector", {
                        host,
                        settings: plan.collectorHosts[0].collector,
                        network,
                        bearerToken: pulumi.output("tok"),
                        canaryKey: pulumi.output("canary"),
                    }),
                    new PrometheusRules("rules", { host, settings: plan.prometheus }),
                );
                if (plan.grafana) components.push(new GrafanaDashboards("grafana", { host, settings: plan.grafana }));
                components.push(
                    new DeployCheck("check", {
                        plan,
                        token: pulumi.output("tok"),
                        canaryKey: pulumi.output("canary"),
                    }),
                );
            });
        } finally {
            prototype.registerOutputs = registerOutputs;
        }
        assert.strictEqual(components.length, 8, "production places every kind of component");
        for (const component of components) {
            // Pulumi's own fields start with "__", and urn is every resource's.
            const fields = Object.keys(component)
                .filter((k) => !k.startsWith("__") && k !== "urn")
                .sort();
            assert.deepStrictEqual(registered.get(component), fields, component.constructor.name);
        }
    });
});
