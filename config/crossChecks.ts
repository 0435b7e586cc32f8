// Checks that span several keys (the schema checks each key alone). They read the merged
// values defensively, so they can report alongside the schema's problems in one error.
import { isEverywhere } from "../grammar/cidr";
import { Plain, valueAt } from "./keyPaths";

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
/** Published only with several collector hosts, and then on the same hosts as the others. */
const tierPortKeys = [
    "collector.samplerPorts.otlpGrpc",
    "collector.samplerPorts.health",
    "collector.samplerPorts.internalMetrics",
    "jaeger.tierOtlpPort",
];

/** Whether an entry looks like an SSH host (the schema reports the rest). */
function isSshEntry(host: unknown): host is Plain {
    return typeof host === "object" && host !== null && "address" in host;
}

/** Problems of the collector host settings: one host, or a list of two or more. */
function collectorHostProblems(values: Plain): Problem[] {
    const problems: Problem[] = [];
    const single = valueAt(values, "collectorHost");
    const list = valueAt(values, "collectorHosts");
    if (single !== undefined && list !== undefined) {
        problems.push({
            path: "collectorHost",
            expected:
                "expected no value when collectorHosts lists the hosts (the first of them takes this host's place)",
            found: single,
        });
    }
    if (single === undefined && list === undefined) {
        problems.push({
            path: "collectorHost",
            expected:
                "expected either {address, port, user, hostKey} or {local: true} (or two or more hosts in collectorHosts)",
            found: undefined,
        });
    }
    const entries: [string, unknown][] = Array.isArray(list)
        ? list.map((h, i) => [`collectorHosts[${i}]`, h])
        : [["collectorHost", single]];
    for (const [path, host] of entries) {
        if (isSshEntry(host) && typeof host.user === "string" && host.user !== "root") {
            problems.push({
                path: `${path}.user`,
                expected: `expected root: the docker provider reaches the SSH user's own Podman, and any other user's is rootless, not root's Podman that the firewall and TLS steps serve (a user with sudo can deploy to the Prometheus and Grafana hosts only)`,
                found: host.user,
            });
        }
    }
    if (!Array.isArray(list)) return problems;
    const seen = new Map<string, number>();
    list.forEach((host, index) => {
        if (!isSshEntry(host) || typeof host.address !== "string") return;
        const name = host.address.toLowerCase();
        const first = seen.get(name);
        if (first !== undefined)
            problems.push({
                path: `collectorHosts[${index}].address`,
                expected: `expected a host not already listed (collectorHosts[${first}])`,
                found: host.address,
            });
        else seen.set(name, index);
    });
    const tlsMode = valueAt(values, "tls.mode");
    if (tlsMode !== "generate") {
        problems.push({
            path: "tls.mode",
            expected:
                "expected generate with collectorHosts: the fronts, samplers and Jaeger trust the hosts' own generated CAs",
            found: tlsMode,
        });
    }
    if (valueAt(values, "prometheus.scrapeAddress") !== undefined) {
        problems.push({
            path: "prometheus.scrapeAddress",
            expected: "expected no value with collectorHosts: Prometheus scrapes each host at its address",
            found: valueAt(values, "prometheus.scrapeAddress"),
        });
    }
    const collectors = valueAt(values, "trustedNetworks.collectors");
    if (valueAt(values, "firewall.enabled") === true && Array.isArray(collectors) && collectors.length === 0) {
        problems.push({
            path: "trustedNetworks.collectors",
            expected:
                "expected the collector hosts' networks while the firewall is on (otherwise no front could reach another host's sampler)",
            found: collectors,
        });
    }
    return problems;
}

/** A search cluster's user and password come together; badger takes neither. */
function storageProblems(values: Plain): Problem[] {
    const backend = valueAt(values, "jaeger.storage.backend");
    const username = valueAt(values, "jaeger.storage.username");
    const password = valueAt(values, "jaegerStoragePassword");
    if (password !== undefined && backend === "badger") {
        return [
            {
                path: "jaegerStoragePassword",
                expected: "expected no value while jaeger.storage.backend is badger",
                found: password,
            },
        ];
    }
    if (backend === "badger") return [];
    if (username !== undefined && password === undefined) {
        return [
            {
                path: "jaegerStoragePassword",
                expected: "expected the password of jaeger.storage.username (set with --secret)",
                found: undefined,
            },
        ];
    }
    if (username === undefined && password !== undefined) {
        return [
            {
                path: "jaeger.storage.username",
                expected: "expected the user of jaegerStoragePassword",
                found: undefined,
            },
        ];
    }
    return [];
}

export function crossCheck(values: Plain): Problem[] {
    const problems: Problem[] = [];
    const environment = valueAt(values, "environment");
    const tlsMode = valueAt(values, "tls.mode");

    problems.push(...collectorHostProblems(values));
    const hosts = valueAt(values, "collectorHosts");
    const tier = Array.isArray(hosts);

    // Published ports share one host: each must be different, and none may be the host's SSH
    // port (the firewall would drop SSH from everywhere outside that port's networks).
    const seen = new Map<unknown, string>();
    const collectorHost = valueAt(values, "collectorHost");
    if (isSshEntry(collectorHost)) {
        const sshPort = valueAt(values, "collectorHost.port") ?? 22;
        seen.set(sshPort, "the collector host's SSH port (collectorHost.port)");
    }
    if (tier) {
        hosts.forEach((host, index) => {
            const sshPort = isSshEntry(host) ? (host.port ?? 22) : undefined;
            if (sshPort !== undefined && !seen.has(sshPort))
                seen.set(sshPort, `a collector host's SSH port (collectorHosts[${index}].port)`);
        });
    }
    for (const key of tier ? [...portKeys, ...tierPortKeys] : portKeys) {
        const port = valueAt(values, key);
        if (typeof port !== "number") continue;
        const other = seen.get(port);
        if (other) problems.push({ path: key, expected: `expected a port not already used by ${other}`, found: port });
        else seen.set(port, key);
    }

    if (tlsMode === "provided") {
        if (valueAt(values, "tls.certificate") === undefined) {
            problems.push({
                path: "tls.certificate",
                expected: "expected a PEM certificate when tls.mode is provided",
                found: undefined,
            });
        }
        if (valueAt(values, "tlsPrivateKey") === undefined) {
            problems.push({
                path: "tlsPrivateKey",
                expected: "expected a PEM private key (set with --secret) when tls.mode is provided",
                found: undefined,
            });
        }
    } else {
        for (const key of ["tls.certificate", "tlsPrivateKey"]) {
            const value = valueAt(values, key);
            if (value !== undefined) {
                problems.push({
                    path: key,
                    expected: `expected no value unless tls.mode is provided (tls.mode is ${JSON.stringify(tlsMode)})`,
                    found: value,
                });
            }
        }
    }
    problems.push(...storageProblems(values));
    if (tlsMode === "disabled" && environment !== "local") {
        problems.push({
            path: "tls.mode",
            expected: `expected generate or provided: OTLP must be encrypted on a ${String(environment)} stack`,
            found: tlsMode,
        });
    }
    if (tlsMode === "disabled" && valueAt(values, "tls.clientCa") !== undefined) {
        problems.push({
            path: "tls.clientCa",
            expected: "expected no client CA while TLS is disabled",
            found: "(a certificate)",
        });
    }

    if (environment === "production" || environment === "development") {
        for (const key of ["collectorHost", "prometheus.host", "grafana.host"]) {
            const host = valueAt(values, key);
            if (typeof host === "object" && host !== null && "local" in host) {
                problems.push({
                    path: key,
                    expected: `expected an SSH host {address, port, user, hostKey}: a ${environment} stack never deploys to the machine running pulumi`,
                    found: host,
                });
            }
        }
        for (const key of [
            "trustedNetworks.ingest",
            "trustedNetworks.metrics",
            "trustedNetworks.admin",
            "trustedNetworks.collectors",
        ]) {
            const list = valueAt(values, key);
            if (!Array.isArray(list)) continue;
            list.forEach((network, index) => {
                if (typeof network === "string" && isEverywhere(network)) {
                    problems.push({
                        path: `${key}[${index}]`,
                        expected: `expected specific networks: a ${environment} stack never admits every address`,
                        found: network,
                    });
                }
            });
        }
    }

    if (environment === "production" && valueAt(values, "firewall.enabled") === false) {
        problems.push({
            path: "firewall.enabled",
            expected: "expected true: production must admit only trusted networks",
            found: false,
        });
    }
    if (valueAt(values, "firewall.enabled") === true) {
        for (const key of ["trustedNetworks.ingest", "trustedNetworks.metrics"]) {
            const list = valueAt(values, key);
            if (Array.isArray(list) && list.length === 0) {
                problems.push({
                    path: key,
                    expected:
                        "expected at least one network while the firewall is on (otherwise nothing could reach these ports)",
                    found: list,
                });
            }
        }
    }
    return problems;
}
