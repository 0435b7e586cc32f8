// ivatar-otel: reads and validates the stack config, plans the stack (stack/plan.ts), then walks
// the plan (stack/walk.ts) placing each part as a component. Nothing is registered until the
// whole config has passed validation.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { appEnvironment, secretAppVariables } from "./components/appEnvironment";
import { OtelCollector } from "./components/collector";
import { Firewall } from "./components/firewall";
import { GrafanaDashboards } from "./components/grafana";
import { PodmanHost } from "./components/host/podmanHost";
import { healthGateStep } from "./components/host/scripts";
import { Jaeger } from "./components/jaeger";
import { PrometheusRules } from "./components/prometheus";
import { DeployCheck } from "./components/verify";
import { CollectorTls } from "./components/tls";
import { GeneratedTls, ProvidedTls } from "./components/tls/placement";
import { loadStackSettings } from "./config/load";
import { planStack, privateNetwork } from "./stack/plan";
import { StackPlacer, walkStack } from "./stack/walk";

/** The OTLP receivers' TLS material, by mode (the schema has checked that provided comes with its key). */
function collectorTls(
    name: string,
    host: PodmanHost,
    tls: GeneratedTls | ProvidedTls,
    privateKey: string | undefined,
): CollectorTls {
    switch (tls.mode) {
        case "generate":
            return new CollectorTls(name, { host, settings: tls });
        case "provided":
            if (privateKey === undefined)
                throw new pulumi.InputPropertyError({
                    propertyPath: "tlsPrivateKey",
                    reason: "expected a PEM private key when tls.mode is provided",
                });
            return new CollectorTls(name, { host, settings: tls, privateKey: pulumi.secret(privateKey) });
    }
}

/** A collector host as placed: the host, and the private network its containers share. */
interface CollectorHost {
    host: PodmanHost;
    network: docker.Network;
}

/** The secrets the components need, kept secret in state. */
interface ComponentSecrets {
    bearerToken: pulumi.Output<string>;
    canaryKey: pulumi.Output<string>;
    sshPrivateKey?: pulumi.Output<string>;
    tlsPrivateKey?: string;
    storagePassword?: pulumi.Output<string>;
}

/** Places each part of the walk as a component on its host. */
function componentPlacer(
    secrets: ComponentSecrets,
): StackPlacer<CollectorHost, PodmanHost, pulumi.Resource, pulumi.Output<string>, OtelCollector> {
    const { bearerToken: token, sshPrivateKey, storagePassword } = secrets;
    return {
        collectorHost: (name, h) => {
            const host = new PodmanHost(name, { host: h.host, sshPrivateKey, requirements: h.requirements });
            // Until 2026-11 the first host's network stood at the top of the stack: the alias keeps deployed ones in place.
            const network =
                h.suffix === ""
                    ? host.network("private-network", privateNetwork, [{ parent: pulumi.rootStackResource }])
                    : host.network(`private-network${h.suffix}`, privateNetwork);
            return { host, network };
        },
        serviceHost: (name, { host, requirements }, after) =>
            new PodmanHost(name, { host, sshPrivateKey, requirements, preflightAfter: after }),
        firewall: (name, { host }, h) => new Firewall(name, { host, settings: h.firewall }),
        tls: (name, { host }, tls) => {
            const placed = collectorTls(name, host, tls, secrets.tlsPrivateKey);
            return { step: placed.step, trusted: placed.trustedCertificate };
        },
        caBundle: (cas) => pulumi.all(cas).apply((each) => each.join("")),
        jaeger: (name, placed, jaegerSettings, clientCa, after) =>
            new Jaeger(
                name,
                { host: placed.host, settings: jaegerSettings, network: placed.network, clientCa, storagePassword },
                { dependsOn: after },
            ),
        collector: (name, placed, collectorSettings, tierCa, after) =>
            new OtelCollector(
                name,
                {
                    host: placed.host,
                    settings: collectorSettings,
                    network: placed.network,
                    bearerToken: token,
                    canaryKey: secrets.canaryKey,
                    tierCa,
                },
                { dependsOn: after },
            ),
        healthGate: (name, { host }, gate, placed) =>
            host.step(
                name,
                { ...healthGateStep(gate), rerunWhen: placed.map((c) => c.container.id) },
                { parent: host, dependsOn: placed },
            ),
        prometheus: (name, host, prometheus, after) =>
            new PrometheusRules(name, { host, settings: prometheus }, { dependsOn: after }),
        grafana: (name, host, grafana, after) =>
            new GrafanaDashboards(name, { host, settings: grafana }, { dependsOn: after }),
        deployCheck: (name, plan, appsTrust, after) =>
            new DeployCheck(name, { plan, token, canaryKey: secrets.canaryKey, ca: appsTrust }, { dependsOn: after }),
    };
}

function main() {
    const settings = loadStackSettings();
    const plan = planStack(settings);
    // Clients authenticate with this token; the random provider keeps it secret in state.
    const bearerToken = new random.RandomPassword("otlp-bearer-token", { length: 48, special: false });
    const token = pulumi.secret(bearerToken.result);
    // The deploy check's canary carries it; letters only, which the collector config reads as a YAML string.
    const canary = new random.RandomPassword("deploy-canary-key", { length: 40, special: false, numeric: false });
    const canaryKey = pulumi.secret(canary.result);
    const secret = (value: string | undefined) => (value === undefined ? undefined : pulumi.secret(value));
    const walked = walkStack(
        plan,
        componentPlacer({
            bearerToken: token,
            canaryKey,
            sshPrivateKey: secret(settings.sshPrivateKey),
            tlsPrivateKey: settings.tlsPrivateKey,
            storagePassword: secret(settings.jaegerStoragePassword),
        }),
    );

    // Deployment jobs read these with `pulumi stack output --json`.
    const plainEnvironment = appEnvironment(plan.app, "");
    const environment: Record<string, pulumi.Input<string>> = { ...plainEnvironment };
    for (const key of secretAppVariables) {
        environment[key] = pulumi.secret(token.apply((t) => appEnvironment(plan.app, t)[key]));
    }
    return {
        appEnvironment: environment,
        ...(plan.outputs.appInstances ? { appInstances: plan.outputs.appInstances } : {}),
        // What `npm run check` follows, and what the deploy check printed at the last `up` that ran it.
        deployCheck: plan.check,
        ...(walked.deployCheck instanceof DeployCheck ? { deployCheckReport: walked.deployCheck.report } : {}),
        canaryKey,
        collectorCaCertificate: walked.appsTrust,
        otlpBearerToken: token,
        collectorEndpoints: plan.outputs.collectorEndpoints,
        frontEndpoints: plan.outputs.frontEndpoints,
        jaegerUiUrl: plan.outputs.jaegerUiUrl,
        prometheusTargets: plan.outputs.prometheusTargets,
        sizing: plan.outputs.sizing,
        // The container's files are one secret property (the token is among them), so a diff of
        // the stack shows only "[secret]" for them: the config itself, line by line, shows here.
        collectorConfig: walked.collectors[0].config,
        // With several hosts: the first host's sampler (the others' differ only in how they reach Jaeger).
        samplerConfig: walked.samplers[0]?.config,
    };
}

export = main;
