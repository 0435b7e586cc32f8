// ivatar-otel: reads and validates the stack config, then composes the components.
// Nothing is registered until the whole config has passed validation.
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
import { CollectorTls } from "./components/tls";
import { TlsSettings } from "./components/tls/placement";
import { loadStackSettings } from "./config/load";
import { CollectorHostPlan } from "./stack/collectorHosts";
import { planStack, privateNetwork } from "./stack/plan";

/** The OTLP receivers' TLS material, by mode (the schema has checked that provided comes with its key). */
function collectorTls(
    name: string,
    host: PodmanHost,
    tls: TlsSettings,
    privateKey: string | undefined,
): CollectorTls | undefined {
    switch (tls.mode) {
        case "disabled":
            return undefined;
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

/** What the stack places on one collector host before its collectors: the firewall and the TLS material. */
interface CollectorHostParts {
    host: PodmanHost;
    plan: CollectorHostPlan;
    firewall?: Firewall;
    tls?: CollectorTls;
    network: docker.Network;
    /** The firewall and TLS steps, which this host's containers wait for. */
    ready: pulumi.Resource[];
}

function main() {
    const settings = loadStackSettings();
    const plan = planStack(settings);
    const sshPrivateKey = settings.sshPrivateKey === undefined ? undefined : pulumi.secret(settings.sshPrivateKey);

    // The first collector host keeps the names it had when it was the only one.
    const collectorHosts = plan.collectorHosts.map((h): CollectorHostParts => {
        const host = new PodmanHost(`collector-host${h.suffix}`, {
            host: h.host,
            sshPrivateKey,
            requirements: h.requirements,
        });
        // The firewall goes up before any port is published.
        const firewall = h.firewall.enabled
            ? new Firewall(`firewall${h.suffix}`, { host, settings: h.firewall })
            : undefined;
        const tls = collectorTls(`collector-tls${h.suffix}`, host, h.tls, settings.tlsPrivateKey);
        // Until 2026-11 the network stood at the top of the stack: the alias keeps deployed ones in place.
        const network =
            h.suffix === ""
                ? host.network("private-network", privateNetwork, [{ parent: pulumi.rootStackResource }])
                : host.network(`private-network${h.suffix}`, privateNetwork);
        return {
            host,
            plan: h,
            firewall,
            tls,
            network,
            ready: [...(tls ? [tls.step] : []), ...(firewall ? [firewall] : [])],
        };
    });
    const first = collectorHosts[0];

    // Clients authenticate with this token; the random provider keeps it secret in state.
    const bearerToken = new random.RandomPassword("otlp-bearer-token", { length: 48, special: false });
    const token = pulumi.secret(bearerToken.result);

    // With several hosts, every host's CA in one bundle: what the fronts, the samplers, Jaeger and the apps trust.
    const tierCa =
        plan.collectorHosts.length > 1
            ? pulumi.all(collectorHosts.map((h) => h.tls?.trustedCertificate ?? "")).apply((cas) => cas.join(""))
            : undefined;

    const storagePassword =
        settings.jaegerStoragePassword === undefined ? undefined : pulumi.secret(settings.jaegerStoragePassword);
    const jaeger = new Jaeger(
        "jaeger",
        { host: first.host, settings: plan.jaeger, network: first.network, clientCa: tierCa, storagePassword },
        { dependsOn: plan.jaeger.tier ? first.ready : first.firewall ? [first.firewall] : [] },
    );
    // Host by host: in a tier each host's collectors wait for the previous host's to be healthy,
    // so a change replaces one host's at a time and the apps always find fronts up.
    const samplers: OtelCollector[] = [];
    const collectors: OtelCollector[] = [];
    let previousGate: pulumi.Resource | undefined;
    for (const { host, plan: h, network, ready } of collectorHosts) {
        const after = [...ready, jaeger, ...(previousGate ? [previousGate] : [])];
        const sampler = h.sampler
            ? new OtelCollector(
                  `sampler${h.suffix}`,
                  { host, settings: h.sampler, network, bearerToken: token, tierCa },
                  { dependsOn: after },
              )
            : undefined;
        // A front routes to every sampler from its start; its own host's is up first, the others' shares wait in its queue.
        const collector = new OtelCollector(
            `collector${h.suffix}`,
            { host, settings: h.collector, network, bearerToken: token, tierCa },
            { dependsOn: [...after, ...(sampler ? [sampler] : [])] },
        );
        if (sampler) samplers.push(sampler);
        collectors.push(collector);
        if (h.healthGate) {
            const placed = [collector, ...(sampler ? [sampler] : [])];
            previousGate = host.step(
                `collector-health${h.suffix}`,
                { ...healthGateStep(h.healthGate), rerunWhen: placed.map((c) => c.container.id) },
                { parent: host, dependsOn: placed },
            );
        }
    }
    // Its preflight checks that Prometheus reaches every scrape target: they run first.
    const prometheusHost = new PodmanHost("prometheus-host", {
        host: settings.prometheus.host,
        sshPrivateKey,
        requirements: plan.hosts.prometheus,
        preflightAfter: [jaeger, ...samplers, ...collectors],
    });
    const grafanaHost =
        settings.grafana.host && plan.hosts.grafana
            ? new PodmanHost("grafana-host", {
                  host: settings.grafana.host,
                  sshPrivateKey,
                  requirements: plan.hosts.grafana,
              })
            : prometheusHost;
    const rules = new PrometheusRules(
        "prometheus-rules",
        { host: prometheusHost, settings: plan.prometheus },
        { dependsOn: collectors },
    );
    // After the scrape jobs, so the panels have series to show.
    if (plan.grafana)
        new GrafanaDashboards(
            "grafana-dashboards",
            { host: grafanaHost, settings: plan.grafana },
            { dependsOn: [rules] },
        );

    // Deployment jobs read these with `pulumi stack output --json`.
    const plainEnvironment = appEnvironment(plan.app, "");
    const environment: Record<string, pulumi.Input<string>> = { ...plainEnvironment };
    for (const key of secretAppVariables) {
        environment[key] = pulumi.secret(token.apply((t) => appEnvironment(plan.app, t)[key]));
    }
    return {
        appEnvironment: environment,
        collectorCaCertificate:
            plan.tls.mode === "generate" && first.tls ? (tierCa ?? first.tls.trustedCertificate) : undefined,
        otlpBearerToken: token,
        collectorEndpoints: plan.outputs.collectorEndpoints,
        frontEndpoints: plan.outputs.frontEndpoints,
        jaegerUiUrl: plan.outputs.jaegerUiUrl,
        prometheusTargets: plan.outputs.prometheusTargets,
        sizing: plan.outputs.sizing,
        // The container's files are one secret property (the token is among them), so a diff of
        // the stack shows only "[secret]" for them: the config itself, line by line, shows here.
        collectorConfig: collectors[0].config,
        // With several hosts: the first host's sampler (the others' differ only in how they reach Jaeger).
        samplerConfig: samplers[0]?.config,
    };
}

export = main;
