// The one walk over a stack's plan: what is placed on which host, in what order, and what each
// part waits for. index.ts walks it with components (placing resources) and stack/files.ts with
// the components' placement functions (rendering files for review); neither decides anything
// about the stack's shape: that is the plan's, and the order is this file's.
import { CollectorSettings } from "../components/collector/container";
import { GrafanaSettings } from "../components/grafana/placement";
import { JaegerSettings } from "../components/jaeger/jaeger";
import { PrometheusSettings } from "../components/prometheus/placement";
import { GeneratedTls, ProvidedTls } from "../components/tls/placement";
import { CollectorHostPlan } from "./collectorHosts";
import { ServiceHostPlan, StackPlan } from "./plan";

/**
 * How one consumer places each part. `Host` is a placed collector host, `ServiceHost` the
 * Prometheus or Grafana host, `Part` something later parts may wait for, `Ca` a CA certificate,
 * `Collector` a placed collector. Every `after` lists what the part must wait for; a consumer that
 * renders files ignores it.
 */
export interface StackPlacer<Host, ServiceHost, Part, Ca, Collector extends Part> {
    /** A collector host: reached as `h.host` says, checked against `h.requirements` first. */
    collectorHost(name: string, h: CollectorHostPlan): Host;
    /** The Prometheus host, or Grafana's own: its preflight waits for `after`. */
    serviceHost(name: string, host: ServiceHostPlan, after: Part[]): ServiceHost;
    /** The host's firewall table; only where the stack turns the firewall on. */
    firewall(name: string, host: Host, h: CollectorHostPlan): Part;
    /** The host's OTLP certificate: the step, and the certificate apps and other hosts must trust. */
    tls(name: string, host: Host, tls: GeneratedTls | ProvidedTls): { step: Part; trusted: Ca };
    /** With several collector hosts: every host's CA in one bundle. */
    caBundle(cas: Ca[]): Ca;
    jaeger(name: string, host: Host, settings: JaegerSettings, clientCa: Ca | undefined, after: Part[]): Part;
    /** The one collector, a tier's front, or a tier's sampler. */
    collector(name: string, host: Host, settings: CollectorSettings, tierCa: Ca | undefined, after: Part[]): Collector;
    /** A tier host's collectors answering health, which the next host's wait for. */
    healthGate(name: string, host: Host, gate: NonNullable<CollectorHostPlan["healthGate"]>, placed: Collector[]): Part;
    prometheus(name: string, host: ServiceHost, settings: PrometheusSettings, after: Part[]): Part;
    grafana(name: string, host: ServiceHost, settings: GrafanaSettings, after: Part[]): Part;
    /** The deploy check, after everything else: `appsTrust` is the CA the apps trust, if self-issued. */
    deployCheck(name: string, plan: StackPlan, appsTrust: Ca | undefined, after: Part[]): Part;
}

/** What the walk placed that a consumer reports. */
export interface Walked<Ca, Collector, Part> {
    /** Each collector host's collector (a tier's front), in host order. */
    collectors: Collector[];
    /** Each tier host's sampler. */
    samplers: Collector[];
    /** Generated TLS: the CA apps must trust (with several hosts, every host's in one bundle). */
    appsTrust?: Ca;
    /** Unless deployCheck.enabled is false. */
    deployCheck?: Part;
}

/** Places the stack's parts through `placer`, in deployment order. */
export function walkStack<Host, ServiceHost, Part, Ca, Collector extends Part>(
    plan: StackPlan,
    placer: StackPlacer<Host, ServiceHost, Part, Ca, Collector>,
): Walked<Ca, Collector, Part> {
    // Each collector host: its preflight, then the firewall before any port is published, and its certificate.
    const hosts = plan.collectorHosts.map((h) => {
        const host = placer.collectorHost(`collector-host${h.suffix}`, h);
        const firewall = h.firewall.enabled ? placer.firewall(`firewall${h.suffix}`, host, h) : undefined;
        const tls = h.tls.mode === "disabled" ? undefined : placer.tls(`collector-tls${h.suffix}`, host, h.tls);
        const ready = [...(tls ? [tls.step] : []), ...(firewall ? [firewall] : [])];
        return { h, host, firewall, tls, ready };
    });
    const first = hosts[0];
    const tierCa = plan.shape === "tier" ? placer.caBundle(hosts.map((h) => requireTrusted(h.tls))) : undefined;

    // Jaeger on the first host, after its firewall; in a tier also after the host's certificate,
    // which Jaeger's receiver for the other hosts' samplers serves.
    const jaeger = placer.jaeger(
        "jaeger",
        first.host,
        plan.jaeger,
        tierCa,
        plan.shape === "tier" ? first.ready : first.firewall ? [first.firewall] : [],
    );

    // Host by host: in a tier each host's collectors wait for the previous host's to be healthy,
    // so a change replaces one host's at a time and the apps always find fronts up.
    const collectors: Collector[] = [];
    const samplers: Collector[] = [];
    let previousGate: Part | undefined;
    for (const { h, host, ready } of hosts) {
        const after = [...ready, jaeger, ...(previousGate ? [previousGate] : [])];
        const sampler = h.sampler ? placer.collector(`sampler${h.suffix}`, host, h.sampler, tierCa, after) : undefined;
        // A front routes to every sampler from its start; its own host's is up first, the others' shares wait in its queue.
        const collector = placer.collector(`collector${h.suffix}`, host, h.collector, tierCa, [
            ...after,
            ...(sampler ? [sampler] : []),
        ]);
        collectors.push(collector);
        if (sampler) samplers.push(sampler);
        if (h.healthGate)
            previousGate = placer.healthGate(`collector-health${h.suffix}`, host, h.healthGate, [
                collector,
                ...(sampler ? [sampler] : []),
            ]);
    }

    // The Prometheus host's preflight checks that Prometheus reaches every scrape target: they run first.
    const placed: Part[] = [jaeger, ...samplers, ...collectors];
    const prometheusHost = placer.serviceHost("prometheus-host", plan.hosts.prometheus, placed);
    const grafanaHost = plan.hosts.grafana
        ? placer.serviceHost("grafana-host", plan.hosts.grafana, [])
        : prometheusHost;
    const rules = placer.prometheus("prometheus-rules", prometheusHost, plan.prometheus, collectors);
    // After the scrape jobs, so the panels have series to show.
    const grafana = plan.grafana ? placer.grafana("grafana-dashboards", grafanaHost, plan.grafana, [rules]) : undefined;

    // A provided certificate chains to a CA the apps already trust.
    const appsTrust = first.h.tls.mode === "generate" ? (tierCa ?? first.tls?.trusted) : undefined;
    // Last: the check follows a canary through everything placed above.
    const deployCheck = plan.deployCheck.enabled
        ? placer.deployCheck("deploy-check", plan, appsTrust, [...placed, rules, ...(grafana ? [grafana] : [])])
        : undefined;
    return {
        collectors,
        samplers,
        ...(appsTrust !== undefined ? { appsTrust } : {}),
        ...(deployCheck !== undefined ? { deployCheck } : {}),
    };
}

/** A tier always has TLS (the schema refuses a tier without it); this states it for the type. */
function requireTrusted<Ca>(tls: { trusted: Ca } | undefined): Ca {
    if (!tls) throw new Error("tls.mode: expected generate or provided with several collector hosts, found disabled");
    return tls.trusted;
}
