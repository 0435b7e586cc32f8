// Which ports open to whom, pure: the ports a collector host publishes, grouped by who needs them,
// meet the trusted networks of that group. The firewall's ruleset is made from these classes.
import { PortClass } from "./ruleset";

/** The ports one collector host publishes, by who needs them; an empty group opens nothing. */
export interface PublishedPorts {
    /** OTLP for the apps. */
    ingest: number[];
    /** Metrics, for Prometheus. */
    metrics: number[];
    /** Health, for Prometheus and for operators (the deploy check among them). */
    health: number[];
    /** Jaeger's UI, for operators (on the host that runs Jaeger). */
    admin: number[];
    /** For the other collector hosts of a tier: the sampler, and Jaeger's OTLP on the first host. */
    tier: number[];
}

/** Who may reach each group (the stack's trustedNetworks). */
export interface TrustedNetworks {
    ingest: string[];
    metrics: string[];
    admin: string[];
    collectors: string[];
}

export function portClasses(ports: PublishedPorts, networks: TrustedNetworks): PortClass[] {
    const classes: PortClass[] = [
        { name: "ingest", purpose: "OTLP from the app networks", ports: ports.ingest, networks: networks.ingest },
        { name: "metrics", purpose: "metrics for Prometheus", ports: ports.metrics, networks: networks.metrics },
        {
            name: "health",
            purpose: "health for Prometheus and operators",
            ports: ports.health,
            networks: [...new Set([...networks.metrics, ...networks.admin])],
        },
        { name: "admin", purpose: "Jaeger UI for operators", ports: ports.admin, networks: networks.admin },
        {
            name: "tier",
            purpose: "the samplers and Jaeger for the other collector hosts",
            ports: ports.tier,
            networks: networks.collectors,
        },
    ];
    return classes.filter((c) => c.ports.length > 0);
}
