// ivatar-otel: reads and validates the stack config, then composes the components.
// Nothing is registered until the whole config has passed validation.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { appEnvironment, secretAppVariables } from "./components/appEnvironment";
import { OtelCollector } from "./components/collector";
import { Firewall } from "./components/firewall";
import { GrafanaDashboards } from "./components/grafana";
import { PodmanHost } from "./components/host/podmanHost";
import { Jaeger } from "./components/jaeger";
import { PrometheusRules } from "./components/prometheus";
import { CollectorTls } from "./components/tls";
import { TlsSettings } from "./components/tls/placement";
import { loadStackSettings } from "./config/load";
import { planStack, privateNetwork } from "./stack/plan";

/** The OTLP receivers' TLS material, by mode (the schema has checked that provided comes with its key). */
function collectorTls(host: PodmanHost, tls: TlsSettings, privateKey: string | undefined): CollectorTls | undefined {
    switch (tls.mode) {
        case "disabled":
            return undefined;
        case "generate":
            return new CollectorTls("collector-tls", { host, settings: tls });
        case "provided":
            if (privateKey === undefined) throw new Error("tlsPrivateKey: expected a PEM private key when tls.mode is provided");
            return new CollectorTls("collector-tls", { host, settings: tls, privateKey: pulumi.secret(privateKey) });
    }
}

function main() {
    const settings = loadStackSettings();
    const plan = planStack(settings);
    const sshPrivateKey = settings.sshPrivateKey === undefined ? undefined : pulumi.secret(settings.sshPrivateKey);

    const collectorHost = new PodmanHost("collector-host", { host: settings.collectorHost, sshPrivateKey, requirements: plan.hosts.collector });
    const prometheusHost = new PodmanHost("prometheus-host", { host: settings.prometheus.host, sshPrivateKey, requirements: plan.hosts.prometheus });
    const grafanaHost = settings.grafana.host && plan.hosts.grafana
        ? new PodmanHost("grafana-host", { host: settings.grafana.host, sshPrivateKey, requirements: plan.hosts.grafana })
        : prometheusHost;

    // Clients authenticate with this token; the random provider keeps it secret in state.
    const bearerToken = new random.RandomPassword("otlp-bearer-token", { length: 48, special: false });
    const token = pulumi.secret(bearerToken.result);

    // The firewall goes up before any port is published.
    const firewall = plan.firewall.enabled
        ? new Firewall("firewall", { host: collectorHost, settings: plan.firewall })
        : undefined;
    const tls = collectorTls(collectorHost, plan.tls, settings.tlsPrivateKey);

    // Until 2026-11 the network stood at the top of the stack: the alias keeps deployed ones in place.
    const network = collectorHost.network("private-network", privateNetwork, [{ parent: pulumi.rootStackResource }]);
    const jaeger = new Jaeger("jaeger", { host: collectorHost, settings: plan.jaeger, network }, { dependsOn: firewall ? [firewall] : [] });
    const collector = new OtelCollector("collector", { host: collectorHost, settings: plan.collector, network, bearerToken: token },
        { dependsOn: [...(tls ? [tls.step] : []), ...(firewall ? [firewall] : []), jaeger] });
    const rules = new PrometheusRules("prometheus-rules", { host: prometheusHost, settings: plan.prometheus }, { dependsOn: [collector] });
    // After the scrape jobs, so the panels have series to show.
    if (plan.grafana) new GrafanaDashboards("grafana-dashboards", { host: grafanaHost, settings: plan.grafana }, { dependsOn: [rules] });

    // Deployment jobs read these with `pulumi stack output --json`.
    const plainEnvironment = appEnvironment(plan.app, "");
    const environment: Record<string, pulumi.Input<string>> = { ...plainEnvironment };
    for (const key of secretAppVariables) {
        environment[key] = pulumi.secret(token.apply((t) => appEnvironment(plan.app, t)[key]));
    }
    return {
        appEnvironment: environment,
        collectorCaCertificate: plan.tls.mode === "generate" && tls ? tls.trustedCertificate : undefined,
        otlpBearerToken: token,
        collectorEndpoints: plan.outputs.collectorEndpoints,
        jaegerUiUrl: plan.outputs.jaegerUiUrl,
        prometheusTargets: plan.outputs.prometheusTargets,
        sizing: plan.outputs.sizing,
        // The container's files are one secret property (the token is among them), so a diff of
        // the stack shows only "[secret]" for them: the config itself, line by line, shows here.
        collectorConfig: collector.config,
    };
}

export = main;
