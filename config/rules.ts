// Checks that span several keys (the schema checks each key alone). They read the merged
// values defensively, so they can report alongside the schema's problems in one error.
import { isEverywhere } from "../grammar/cidr";
import { Plain, valueAt } from "./paths";

export interface Problem {
    /** Key path under the ivatar-otel namespace, like "collector.cpus". */
    path: string;
    /** What a valid value looks like. */
    expected: string;
    /** The value found. */
    found: unknown;
}


const portKeys = [
    "collector.ports.otlpGrpc",
    "collector.ports.otlpHttp",
    "collector.ports.prometheusExporter",
    "collector.ports.health",
    "collector.ports.internalMetrics",
    "jaeger.uiPort",
    "jaeger.metricsPort",
];

export function crossCheck(values: Plain): Problem[] {
    const problems: Problem[] = [];
    const environment = valueAt(values, "environment");
    const tlsMode = valueAt(values, "tls.mode");

    // Published ports share one host: each must be different, and none may be the host's SSH
    // port (the firewall would drop SSH from everywhere outside that port's networks).
    const seen = new Map<unknown, string>();
    const collectorHost = valueAt(values, "collectorHost");
    if (typeof collectorHost === "object" && collectorHost !== null && "address" in collectorHost) {
        const sshPort = valueAt(values, "collectorHost.port") ?? 22;
        seen.set(sshPort, "the collector host's SSH port (collectorHost.port)");
    }
    for (const key of portKeys) {
        const port = valueAt(values, key);
        if (typeof port !== "number") continue;
        const other = seen.get(port);
        if (other) problems.push({ path: key, expected: `expected a port not already used by ${other}`, found: port });
        else seen.set(port, key);
    }

    if (tlsMode === "provided") {
        if (valueAt(values, "tls.certificate") === undefined) {
            problems.push({ path: "tls.certificate", expected: "expected a PEM certificate when tls.mode is provided", found: undefined });
        }
        if (valueAt(values, "tlsPrivateKey") === undefined) {
            problems.push({ path: "tlsPrivateKey", expected: "expected a PEM private key (set with --secret) when tls.mode is provided", found: undefined });
        }
    } else {
        for (const key of ["tls.certificate", "tlsPrivateKey"]) {
            const value = valueAt(values, key);
            if (value !== undefined) {
                problems.push({ path: key, expected: `expected no value unless tls.mode is provided (tls.mode is ${JSON.stringify(tlsMode)})`, found: value });
            }
        }
    }
    if (tlsMode === "disabled" && environment !== "local") {
        problems.push({ path: "tls.mode", expected: `expected generate or provided: OTLP must be encrypted on a ${String(environment)} stack`, found: tlsMode });
    }
    if (tlsMode === "disabled" && valueAt(values, "tls.clientCa") !== undefined) {
        problems.push({ path: "tls.clientCa", expected: "expected no client CA while TLS is disabled", found: "(a certificate)" });
    }

    if (environment === "production" || environment === "development") {
        for (const key of ["collectorHost", "prometheus.host", "grafana.host"]) {
            const host = valueAt(values, key);
            if (typeof host === "object" && host !== null && "local" in host) {
                problems.push({ path: key, expected: `expected an SSH host {address, port, user, hostKey}: a ${environment} stack never deploys to the machine running pulumi`, found: host });
            }
        }
        for (const key of ["trustedNetworks.ingest", "trustedNetworks.metrics", "trustedNetworks.admin"]) {
            const list = valueAt(values, key);
            if (!Array.isArray(list)) continue;
            list.forEach((network, index) => {
                if (typeof network === "string" && isEverywhere(network)) {
                    problems.push({ path: `${key}[${index}]`, expected: `expected specific networks: a ${environment} stack never admits every address`, found: network });
                }
            });
        }
    }

    if (environment === "production" && valueAt(values, "firewall.enabled") === false) {
        problems.push({ path: "firewall.enabled", expected: "expected true: production must admit only trusted networks", found: false });
    }
    if (valueAt(values, "firewall.enabled") === true) {
        for (const key of ["trustedNetworks.ingest", "trustedNetworks.metrics"]) {
            const list = valueAt(values, key);
            if (Array.isArray(list) && list.length === 0) {
                problems.push({ path: key, expected: "expected at least one network while the firewall is on (otherwise nothing could reach these ports)", found: list });
            }
        }
    }
    return problems;
}
