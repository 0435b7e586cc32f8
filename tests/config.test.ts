// Bad stack config stops the program before anything is registered, with one error naming
// every bad key, what was expected and what was found.
import * as assert from "assert";
import { readStackValues, StackConfigError, validateStack } from "../config/load";
import { z } from "zod";
import { canonicalCidr } from "../grammar/cidr";
import { isCidr, secretKeys, stackSchema } from "../config/schema";
import { Registered, runStack, stackConfig } from "./harness";

const key = (k: string) => `ivatar-otel:${k}`;
const json = (v: unknown) => JSON.stringify(v);
const production = stackConfig("production");
const productionObject = (k: string) => JSON.parse(production[key(k)]) as Record<string, unknown>;
const threeHosts = JSON.parse(stackConfig("three-hosts")[key("collectorHosts")]) as Record<string, unknown>[];
/** The production stack file with its one host replaced by the example's three (plus overrides). */
const tier = (set: Record<string, string> = {}, hosts: unknown[] = threeHosts) => ({
    collectorHost: "{}",
    collectorHosts: json(hosts),
    trustedNetworks: json({ ...productionObject("trustedNetworks"), collectors: ["10.10.2.0/24"] }),
    prometheus: json({ ...productionObject("prometheus"), scrapeAddress: undefined }),
    ...set,
});
const pemCert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n";

interface BadCase {
    what: string;
    /** Overrides on the production stack file ("ivatar-otel:" is added to keys). */
    set: Record<string, string>;
    /** Keys (paths) the error must name. */
    names: string[];
    /** Text the error must contain besides the key names. */
    mentions?: string[];
}

const badCases: BadCase[] = [
    {
        what: "sampling ratio above 1",
        set: { samplingRatio: "1.5" },
        names: ["samplingRatio"],
        mentions: ["from 0 to 1", "found 1.5"],
    },
    {
        what: "sampling ratio as a word",
        set: { samplingRatio: "ten" },
        names: ["samplingRatio"],
        mentions: ['found "ten"'],
    },
    { what: "negative sampling ratio", set: { samplingRatio: "-0.1" }, names: ["samplingRatio"] },
    {
        what: "client addresses neither truncated nor kept",
        set: { clientAddresses: "hash" },
        names: ["clientAddresses"],
        mentions: ["expected truncate or keep", 'found "hash"'],
    },
    {
        what: "an app instance name with a slash",
        set: { apps: json({ instances: ["web/1"], telemetryOn: "all" }) },
        names: ["apps.instances[0]"],
        mentions: ["app instance name", 'found "web/1"'],
    },
    {
        what: "an app instance named twice",
        set: { apps: json({ instances: ["web-1", "web-1"], telemetryOn: "all" }) },
        names: ["apps.instances"],
        mentions: ["each name once"],
    },
    {
        what: "telemetry on in an instance the rollout does not name",
        set: { apps: json({ instances: ["web-1", "web-2"], telemetryOn: ["web-3"] }) },
        names: ["apps.telemetryOn[0]"],
        mentions: ["listed in apps.instances", 'found "web-3"'],
    },
    {
        what: "telemetry on as a word other than all",
        set: { apps: json({ instances: ["web-1"], telemetryOn: "some" }) },
        names: ["apps.telemetryOn"],
        mentions: ["expected all, or a list of names"],
    },
    {
        what: "a Prometheus API URL that is not http(s)",
        set: { prometheus: json({ ...productionObject("prometheus"), apiUrl: "ftp://prometheus.internal" }) },
        names: ["prometheus.apiUrl"],
        mentions: ["expected an http(s) URL or an empty string"],
    },
    {
        what: "a deploy check trigger with a space",
        set: { deployCheck: json({ enabled: true, trigger: "run again" }) },
        names: ["deployCheck.trigger"],
        mentions: ['found "run again"'],
    },
    {
        what: "a relative expiry metrics directory",
        set: { tls: json({ mode: "generate", expiryMetricsDir: "var/lib/node_exporter" }) },
        names: ["tls.expiryMetricsDir"],
        mentions: ["expected an absolute path"],
    },
    {
        what: "a Loki label with a dot",
        set: { grafana: json({ lokiServiceLabel: "service.name" }) },
        names: ["grafana.lokiServiceLabel"],
        mentions: ["expected a label name"],
    },
    {
        what: "negative memory",
        set: { collector: json({ ...productionObject("collector"), memoryMb: -1 }) },
        names: ["collector.memoryMb"],
        mentions: ["found -1"],
    },
    {
        what: "zero CPUs",
        set: { collector: json({ ...productionObject("collector"), cpus: 0 }) },
        names: ["collector.cpus"],
        mentions: ["found 0"],
    },
    {
        what: "CPUs as text",
        set: { collector: json({ ...productionObject("collector"), cpus: "four" }) },
        names: ["collector.cpus"],
    },
    {
        what: "fractional memory",
        set: { collector: json({ ...productionObject("collector"), memoryMb: 1024.5 }) },
        names: ["collector.memoryMb"],
    },
    {
        what: "unknown collector key",
        set: { collector: json({ ...productionObject("collector"), memroyMb: 4096 }) },
        names: ["collector.memroyMb"],
        mentions: ["unknown key"],
    },
    {
        what: "unknown top-level key",
        set: { samplingRatioo: "0.5" },
        names: ["samplingRatioo"],
        mentions: ["unknown key"],
    },
    {
        what: "unknown environment",
        set: { environment: "staging" },
        names: ["environment"],
        mentions: ['found "staging"'],
    },
    {
        what: "bad CIDR",
        set: { trustedNetworks: json({ ingest: ["10.0.0.0/33"], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest[0]"],
        mentions: ["CIDR"],
    },
    {
        what: "address without prefix",
        set: { trustedNetworks: json({ ingest: ["10.0.0.1"], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest[0]"],
    },
    {
        what: "networks not a list",
        set: { trustedNetworks: json({ ingest: "10.0.0.0/8", metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest"],
    },
    {
        what: "empty ingest networks with the firewall on",
        set: { trustedNetworks: json({ ingest: [], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest"],
        mentions: ["at least one network"],
    },
    {
        what: "clashing ports",
        set: {
            collector: json({
                ...productionObject("collector"),
                ports: {
                    otlpGrpc: 4317,
                    otlpHttp: 4317,
                    prometheusExporter: 9464,
                    health: 13133,
                    internalMetrics: 8888,
                },
            }),
        },
        names: ["collector.ports.otlpHttp"],
        mentions: ["collector.ports.otlpGrpc"],
    },
    { what: "Jaeger UI on the exporter port", set: { jaeger: json({ uiPort: 9464 }) }, names: ["jaeger.uiPort"] },
    {
        what: "port out of range",
        set: { jaeger: json({ uiPort: 70000 }) },
        names: ["jaeger.uiPort"],
        mentions: ["1 to 65535"],
    },
    {
        what: "missing host key",
        set: { collectorHost: json({ address: "collector.internal", user: "root" }) },
        names: ["collectorHost.hostKey"],
        mentions: ["SSH public host key"],
    },
    {
        what: "host key not a key",
        set: { collectorHost: json({ address: "collector.internal", user: "root", hostKey: "AAAA" }) },
        names: ["collectorHost.hostKey"],
    },
    {
        what: "host address with a space",
        set: { collectorHost: json({ address: "collector internal", user: "root", hostKey: "ssh-ed25519 AAAAC3Nz" }) },
        names: ["collectorHost.address"],
    },
    { what: "host given as a string", set: { collectorHost: "collector.internal" }, names: ["collectorHost"] },
    {
        what: "retention in days",
        set: { traceRetention: "7d" },
        names: ["traceRetention"],
        mentions: ["7d are not valid", 'found "7d"'],
    },
    { what: "zero retention", set: { traceRetention: "0h" }, names: ["traceRetention"] },
    {
        what: "production without TLS",
        set: { tls: json({ mode: "disabled" }) },
        names: ["tls.mode"],
        mentions: ["encrypted"],
    },
    { what: "unknown TLS mode", set: { tls: json({ mode: "maybe" }) }, names: ["tls.mode"] },
    {
        what: "provided TLS without material",
        set: { tls: json({ mode: "provided" }) },
        names: ["tls.certificate", "tlsPrivateKey"],
    },
    {
        what: "certificate that is not PEM",
        set: {
            tls: json({ mode: "provided", certificate: "not a certificate" }),
            tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        },
        names: ["tls.certificate"],
        mentions: ["PEM"],
    },
    {
        what: "private key that is not PEM",
        set: { tls: json({ mode: "provided", certificate: pemCert }), tlsPrivateKey: "hunter2-not-a-key" },
        names: ["tlsPrivateKey"],
        mentions: ["found [secret]"],
    },
    {
        what: "client CA that is not PEM",
        set: { tls: json({ mode: "generate", clientCa: "CA" }) },
        names: ["tls.clientCa"],
    },
    {
        what: "production with the firewall off",
        set: { firewall: json({ enabled: false }) },
        names: ["firewall.enabled"],
    },
    { what: "firewall flag as text", set: { firewall: json({ enabled: "yes" }) }, names: ["firewall.enabled"] },
    {
        what: "image without a tag",
        set: { collector: json({ ...productionObject("collector"), image: "otel/opentelemetry-collector-contrib" }) },
        names: ["collector.image"],
        mentions: ["exact tag"],
    },
    {
        what: "silence alert after days",
        set: { prometheus: json({ ...productionObject("prometheus"), noSpansAlertAfter: "1d" }) },
        names: ["prometheus.noSpansAlertAfter"],
        mentions: ["like 15m, or off", 'found "1d"'],
    },
    {
        what: "relative rules directory",
        set: { prometheus: json({ ...productionObject("prometheus"), rulesDir: "rules.d" }) },
        names: ["prometheus.rulesDir"],
        mentions: ["absolute path"],
    },
    {
        what: "reload URL not a URL",
        set: { prometheus: json({ ...productionObject("prometheus"), reloadUrl: "localhost reload" }) },
        names: ["prometheus.reloadUrl"],
    },
    {
        what: "queue disk of zero",
        set: { collector: json({ ...productionObject("collector"), queueDiskGiB: 0 }) },
        names: ["collector.queueDiskGiB"],
    },
    // Strings that would become code where they land (shell, env file, systemd, Prometheus templates).
    {
        what: "endpoint host with a command substitution",
        set: {
            collector: json({ ...productionObject("collector"), endpointHost: "x$(touch /tmp/ivatar-otel-pwned)" }),
        },
        names: ["collector.endpointHost"],
        mentions: ["RFC 1123"],
    },
    {
        what: "endpoint host with a port",
        set: { collector: json({ ...productionObject("collector"), endpointHost: "collector.internal:4317" }) },
        names: ["collector.endpointHost"],
    },
    {
        what: "service version with a line break",
        set: { serviceVersion: "1.8.0\nOTEL_EXPORTER_OTLP_ENDPOINT=http://elsewhere:4317" },
        names: ["serviceVersion"],
    },
    {
        what: "runbook link with a template",
        set: {
            prometheus: json({
                ...productionObject("prometheus"),
                runbookBaseUrl: "https://wiki.internal/{{ .Value }}",
            }),
        },
        names: ["prometheus.runbookBaseUrl"],
        mentions: ["braces"],
    },
    {
        what: "host directory with a systemd specifier",
        set: { collector: json({ ...productionObject("collector"), hostDir: "/etc/%H/ivatar-otel" }) },
        names: ["collector.hostDir"],
        mentions: ["'%'"],
    },
    {
        what: "host directory climbing out",
        set: { collector: json({ ...productionObject("collector"), hostDir: "/etc/ivatar-otel/../shadow" }) },
        names: ["collector.hostDir"],
        mentions: ["'..'"],
    },
    {
        what: "host directory with a shell separator",
        set: { collector: json({ ...productionObject("collector"), hostDir: "/etc/ivatar-otel;reboot" }) },
        names: ["collector.hostDir"],
    },
    {
        what: "reload URL of another scheme",
        set: { prometheus: json({ ...productionObject("prometheus"), reloadUrl: "file:///etc/passwd" }) },
        names: ["prometheus.reloadUrl"],
        mentions: ["http(s)"],
    },
    {
        what: "scrape address with a space",
        set: { prometheus: json({ ...productionObject("prometheus"), scrapeAddress: "collector internal" }) },
        names: ["prometheus.scrapeAddress"],
    },
    {
        what: "network with host bits",
        set: { trustedNetworks: json({ ingest: ["10.0.0.1/8"], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest[0]"],
        mentions: ["host bits"],
    },
    {
        what: "IPv6 network with host bits",
        set: { trustedNetworks: json({ ingest: ["fd00::1/64"], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest[0]"],
    },
    {
        what: "IPv6 network with a zone id",
        set: { trustedNetworks: json({ ingest: ["fe80::1%eth0/128"], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest[0]"],
    },
    {
        what: "ingest open to every IPv4 address",
        set: { trustedNetworks: json({ ingest: ["0.0.0.0/0"], metrics: ["10.1.1.1/32"], admin: [] }) },
        names: ["trustedNetworks.ingest[0]"],
        mentions: ["never admits every address"],
    },
    {
        what: "admin open to everywhere, written with a leading zero",
        set: { trustedNetworks: json({ ingest: ["10.0.0.0/8"], metrics: ["10.1.1.1/32"], admin: ["0.0.0.0/00"] }) },
        names: ["trustedNetworks.admin[0]"],
    },
    {
        what: "admin open to every IPv6 address",
        set: { trustedNetworks: json({ ingest: ["10.0.0.0/8"], metrics: ["10.1.1.1/32"], admin: ["::/0"] }) },
        names: ["trustedNetworks.admin[0]"],
    },
    {
        what: "Jaeger UI on the SSH port",
        set: { jaeger: json({ uiPort: 22 }) },
        names: ["jaeger.uiPort"],
        mentions: ["SSH port"],
    },
    {
        what: "OTLP on a custom SSH port",
        set: { collectorHost: json({ ...productionObject("collectorHost"), port: 4317 }) },
        names: ["collector.ports.otlpGrpc"],
        mentions: ["SSH port"],
    },
    {
        what: "truncated host key",
        set: { collectorHost: json({ ...productionObject("collectorHost"), hostKey: "ssh-ed25519 A" }) },
        names: ["collectorHost.hostKey"],
    },
    {
        what: "host key of another type than it says",
        set: {
            collectorHost: json({
                ...productionObject("collectorHost"),
                hostKey: `ssh-rsa ${String(productionObject("collectorHost").hostKey).split(" ")[1]}`,
            }),
        },
        names: ["collectorHost.hostKey"],
        mentions: ["decode"],
    },
    {
        what: "production on the local machine",
        set: { collectorHost: json({ local: true }) },
        names: ["collectorHost"],
        mentions: ["never deploys to the machine running pulumi"],
    },
    {
        what: "production Prometheus on the local machine",
        set: { prometheus: json({ ...productionObject("prometheus"), host: { local: true } }) },
        names: ["prometheus.host"],
    },
    {
        what: "a billionth of a CPU",
        set: { collector: json({ ...productionObject("collector"), cpus: 1e-9 }) },
        names: ["collector.cpus"],
        mentions: ["from 0.01"],
    },
    {
        what: "a terabyte and more of memory",
        set: { collector: json({ ...productionObject("collector"), memoryMb: 1e12 }) },
        names: ["collector.memoryMb"],
        mentions: ["at most 1048576"],
    },
    {
        what: "retention past Go's duration range",
        set: { traceRetention: "99999999999h" },
        names: ["traceRetention"],
        mentions: ["at most 87600h"],
    },
    {
        what: "app CA path with a command",
        set: { tls: json({ mode: "generate", appCaPath: "/etc/ivatar/ca.pem`reboot`" }) },
        names: ["tls.appCaPath"],
    },
    // Each remaining key once more, with the mistakes an operator makes by hand.
    {
        what: "service name with a slash",
        set: { serviceName: "ivatar/production" },
        names: ["serviceName"],
        mentions: ["service name of letters"],
    },
    { what: "service version with a space", set: { serviceVersion: "1.8.0 beta" }, names: ["serviceVersion"] },
    {
        what: "service version of 65 characters",
        set: { serviceVersion: "1".repeat(65) },
        names: ["serviceVersion"],
        mentions: ["at most 64"],
    },
    { what: "environment in capitals", set: { environment: "Production" }, names: ["environment"] },
    { what: "sampling ratio past a double's range", set: { samplingRatio: "1e400" }, names: ["samplingRatio"] },
    { what: "retention without a unit", set: { traceRetention: "168" }, names: ["traceRetention"] },
    { what: "negative retention", set: { traceRetention: "-5h" }, names: ["traceRetention"] },
    {
        what: "SSH user with a shell separator",
        set: { collectorHost: json({ ...productionObject("collectorHost"), user: "root;id" }) },
        names: ["collectorHost.user"],
        mentions: ["Unix user name"],
    },
    {
        what: "a collector host reached as a sudo user",
        set: { collectorHost: json({ ...productionObject("collectorHost"), user: "deploy" }) },
        names: ["collectorHost.user"],
        mentions: ["expected root", "rootless", 'found "deploy"'],
    },
    {
        what: "a tier host reached as a sudo user",
        set: tier({}, [threeHosts[0], { ...threeHosts[1], user: "deploy" }]),
        names: ["collectorHosts[1].user"],
        mentions: ["expected root"],
    },
    {
        what: "SSH port zero",
        set: { collectorHost: json({ ...productionObject("collectorHost"), port: 0 }) },
        names: ["collectorHost.port"],
    },
    {
        what: "host address with a command substitution",
        set: { collectorHost: json({ ...productionObject("collectorHost"), address: "$(id).internal" }) },
        names: ["collectorHost.address"],
    },
    {
        what: "host given both an address and local",
        set: { collectorHost: json({ ...productionObject("collectorHost"), local: true }) },
        names: ["collectorHost"],
    },
    {
        what: "local host set to false",
        set: { collectorHost: json({ local: false }) },
        names: ["collectorHost.local"],
        mentions: ["expected true"],
    },
    {
        what: "unknown host key with a password",
        set: { collectorHost: json({ ...productionObject("collectorHost"), password: "pa55-w0rd-in-clear" }) },
        names: ["collectorHost.password"],
        mentions: ["not shown"],
    },
    {
        what: "Prometheus without a host",
        set: { prometheus: json({ ...productionObject("prometheus"), host: undefined }) },
        names: ["prometheus.host"],
    },
    {
        what: "rules directory with a space",
        set: { prometheus: json({ ...productionObject("prometheus"), rulesDir: "/etc/prometheus/rules d" }) },
        names: ["prometheus.rulesDir"],
    },
    {
        what: "relative scrape config directory",
        set: { prometheus: json({ ...productionObject("prometheus"), scrapeConfigDir: "scrape.d" }) },
        names: ["prometheus.scrapeConfigDir"],
        mentions: ["absolute path"],
    },
    {
        what: "reload URL with a script scheme",
        set: { prometheus: json({ ...productionObject("prometheus"), reloadUrl: "javascript:alert(1)" }) },
        names: ["prometheus.reloadUrl"],
    },
    {
        what: "runbook link with a quote",
        set: { prometheus: json({ ...productionObject("prometheus"), runbookBaseUrl: "docs/run'book.md" }) },
        names: ["prometheus.runbookBaseUrl"],
    },
    {
        what: "scrape address as an IPv6 literal",
        set: { prometheus: json({ ...productionObject("prometheus"), scrapeAddress: "fd00::1" }) },
        names: ["prometheus.scrapeAddress"],
        mentions: ["RFC 1123"],
    },
    {
        what: "unknown Prometheus key holding a token",
        set: { prometheus: json({ ...productionObject("prometheus"), bearerToken: "prom-t0ken-abc" }) },
        names: ["prometheus.bearerToken"],
    },
    {
        what: "Jaeger metrics port equal to the collector's internal metrics port",
        set: { jaeger: json({ ...productionObject("jaeger"), metricsPort: 8888 }) },
        names: ["jaeger.metricsPort"],
        mentions: ["collector.ports.internalMetrics"],
    },
    {
        what: "Grafana folder with a quote",
        set: { grafana: json({ folder: `ivatar" x` }) },
        names: ["grafana.folder"],
        mentions: ["folder name"],
    },
    {
        what: "relative Grafana provisioning directory",
        set: { grafana: json({ provisioningDir: "provisioning" }) },
        names: ["grafana.provisioningDir"],
        mentions: ["absolute path"],
    },
    {
        what: "Grafana host without a host key",
        set: { grafana: json({ host: { address: "grafana.internal", user: "root" } }) },
        names: ["grafana.host.hostKey"],
    },
    {
        what: "production Grafana on the local machine",
        set: { grafana: json({ host: { local: true } }) },
        names: ["grafana.host"],
        mentions: ["never deploys to the machine"],
    },
    {
        what: "Grafana enabled as a string",
        set: { grafana: json({ enabled: "yes" }) },
        names: ["grafana.enabled"],
        mentions: ["true or false"],
    },
    {
        what: "image with a shell separator",
        set: { collector: json({ ...productionObject("collector"), image: "otel/collector:0.1;reboot" }) },
        names: ["collector.image"],
    },
    {
        what: "image with a short digest",
        set: { collector: json({ ...productionObject("collector"), image: "otel/collector:0.1@sha256:abc" }) },
        names: ["collector.image"],
    },
    {
        what: "endpoint host label over 63 characters",
        set: { collector: json({ ...productionObject("collector"), endpointHost: `${"a".repeat(64)}.internal` }) },
        names: ["collector.endpointHost"],
    },
    {
        what: "health port zero",
        set: {
            collector: json({
                ...productionObject("collector"),
                ports: { otlpGrpc: 4317, otlpHttp: 4318, prometheusExporter: 9464, health: 0, internalMetrics: 8888 },
            }),
        },
        names: ["collector.ports.health"],
    },
    {
        what: "internal metrics on the Jaeger UI port",
        set: { jaeger: json({ uiPort: 8888 }) },
        names: ["jaeger.uiPort"],
        mentions: ["collector.ports.internalMetrics"],
    },
    {
        what: "ports given as a list",
        set: { collector: json({ ...productionObject("collector"), ports: [4317, 4318] }) },
        names: ["collector.ports"],
    },
    {
        what: "queue disk given as text",
        set: { collector: json({ ...productionObject("collector"), queueDiskGiB: "64G" }) },
        names: ["collector.queueDiskGiB"],
    },
    {
        what: "trace store disk given as text",
        set: { jaeger: json({ storeDiskGiB: "40G" }) },
        names: ["jaeger.storeDiskGiB"],
    },
    {
        what: "trace store disk of zero",
        set: { jaeger: json({ storeDiskGiB: 0 }) },
        names: ["jaeger.storeDiskGiB"],
    },
    {
        what: "queue disk of a petabyte",
        set: { collector: json({ ...productionObject("collector"), queueDiskGiB: 2 ** 20 }) },
        names: ["collector.queueDiskGiB"],
    },
    {
        what: "the queue still sized in batches",
        set: { collector: json({ ...productionObject("collector"), queueSize: 5000 }) },
        names: ["collector.queueSize"],
        mentions: ["replaced by collector.queueDiskGiB"],
    },
    {
        what: "a thousand CPUs",
        set: { collector: json({ ...productionObject("collector"), cpus: 1000 }) },
        names: ["collector.cpus"],
        mentions: ["at most 256"],
    },
    {
        what: "memory under the collector's floor",
        set: { collector: json({ ...productionObject("collector"), memoryMb: 128 }) },
        names: ["collector.memoryMb"],
        mentions: ["at least 256"],
    },
    {
        what: "host directory with a space",
        set: { collector: json({ ...productionObject("collector"), hostDir: "/etc/ivatar otel" }) },
        names: ["collector.hostDir"],
    },
    {
        what: "Jaeger image without a tag",
        set: { jaeger: json({ image: "jaegertracing/jaeger" }) },
        names: ["jaeger.image"],
    },
    {
        what: "Jaeger key in the wrong case",
        set: { jaeger: json({ uiport: 16686 }) },
        names: ["jaeger.uiport"],
        mentions: ["unknown key"],
    },
    {
        what: "unknown network class",
        set: {
            trustedNetworks: json({
                ingest: ["10.0.0.0/8"],
                metrics: ["10.1.1.1/32"],
                admin: [],
                public: ["0.0.0.0/0"],
            }),
        },
        names: ["trustedNetworks.public"],
    },
    {
        what: "a host name among the networks",
        set: { trustedNetworks: json({ ingest: ["10.0.0.0/8"], metrics: ["prometheus.internal"], admin: [] }) },
        names: ["trustedNetworks.metrics[0]"],
    },
    {
        what: "a network with a trailing space",
        set: { trustedNetworks: json({ ingest: ["10.0.0.0/8"], metrics: ["10.1.1.1/32"], admin: ["10.10.8.0/24 "] }) },
        names: ["trustedNetworks.admin[0]"],
    },
    {
        what: "unknown firewall key",
        set: { firewall: json({ enabled: true, allowAll: true }) },
        names: ["firewall.allowAll"],
    },
    {
        what: "reload interval in days",
        set: { tls: json({ mode: "generate", reloadInterval: "1d" }) },
        names: ["tls.reloadInterval"],
    },
    {
        what: "relative app CA path",
        set: { tls: json({ mode: "generate", appCaPath: "ca.pem" }) },
        names: ["tls.appCaPath"],
    },
    {
        what: "private key pasted under an unknown TLS key",
        set: {
            tls: json({
                mode: "generate",
                key: "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n",
            }),
        },
        names: ["tls.key"],
    },
    {
        what: "a certificate where the TLS private key goes",
        set: { tls: json({ mode: "provided", certificate: pemCert }), tlsPrivateKey: pemCert },
        names: ["tlsPrivateKey"],
        mentions: ["[secret]"],
    },
    {
        what: "a public key where the SSH private key goes",
        set: { sshPrivateKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPubl1cNotPr1vate" },
        names: ["sshPrivateKey"],
        mentions: ["[secret]"],
    },
    {
        what: "one host and a list of hosts",
        set: { collectorHosts: json(threeHosts) },
        names: ["collectorHost"],
        mentions: ["no value when collectorHosts lists the hosts"],
    },
    {
        what: "neither one host nor a list",
        set: { collectorHost: "{}" },
        names: ["collectorHost"],
        mentions: ["collectorHosts", "found nothing"],
    },
    {
        what: "a list of one collector host",
        set: tier({}, threeHosts.slice(0, 1)),
        names: ["collectorHosts"],
        mentions: ["two or more hosts"],
    },
    {
        what: "a collector host given by IP address",
        set: tier({}, [threeHosts[0], { ...threeHosts[1], address: "10.10.2.12" }]),
        names: ["collectorHosts[1].address"],
        mentions: ["not an IP address"],
    },
    {
        what: "the same collector host twice",
        set: tier({}, [threeHosts[0], { ...threeHosts[1], address: "COLLECTOR-1.internal" }]),
        names: ["collectorHosts[1].address"],
        mentions: ["already listed (collectorHosts[0])"],
    },
    {
        what: "this machine among the collector hosts",
        set: tier({}, [threeHosts[0], { local: true }]),
        names: ["collectorHosts[1].address", "collectorHosts[1].local"],
        mentions: ["unknown key"],
    },
    {
        what: "collector hosts with a provided certificate",
        set: tier({ tls: json({ mode: "provided", certificate: pemCert }) }),
        names: ["tls.mode", "tlsPrivateKey"],
        mentions: ["generate with collectorHosts"],
    },
    {
        what: "collector hosts with one scrape address",
        set: tier({ prometheus: json({ ...productionObject("prometheus"), scrapeAddress: "collector.internal" }) }),
        names: ["prometheus.scrapeAddress"],
        mentions: ["each host at its address"],
    },
    {
        what: "collector hosts with no collector networks while the firewall is on",
        set: tier({ trustedNetworks: json({ ...productionObject("trustedNetworks"), collectors: [] }) }),
        names: ["trustedNetworks.collectors"],
        mentions: ["no front could reach"],
    },
    {
        what: "collector networks that admit everyone on production",
        set: tier({ trustedNetworks: json({ ...productionObject("trustedNetworks"), collectors: ["0.0.0.0/0"] }) }),
        names: ["trustedNetworks.collectors[0]"],
        mentions: ["never admits every address"],
    },
    {
        what: "the sampler's port on the OTLP HTTP port",
        set: tier({
            collector: json({
                ...productionObject("collector"),
                samplerPorts: { otlpGrpc: 4318, health: 13134, internalMetrics: 8889 },
            }),
        }),
        names: ["collector.samplerPorts.otlpGrpc"],
        mentions: ["collector.ports.otlpHttp"],
    },
    {
        what: "Jaeger's tier port on a collector host's SSH port",
        set: tier({ jaeger: json({ tierOtlpPort: 2222 }) }, [threeHosts[0], { ...threeHosts[1], port: 2222 }]),
        names: ["jaeger.tierOtlpPort"],
        mentions: ["collectorHosts[1].port"],
    },
    {
        what: "an unknown trace store",
        set: { jaeger: json({ storage: { backend: "cassandra" } }) },
        names: ["jaeger.storage.backend"],
        mentions: ["badger, opensearch or elasticsearch"],
    },
    {
        what: "a search cluster without servers",
        set: { jaeger: json({ storage: { backend: "opensearch", servers: [] } }) },
        names: ["jaeger.storage.servers"],
        mentions: ["at least one"],
    },
    {
        what: "a search cluster over plain http",
        set: { jaeger: json({ storage: { backend: "opensearch", servers: ["http://search-1.internal:9200"] } }) },
        names: ["jaeger.storage.servers[0]"],
        mentions: ["https"],
    },
    {
        what: "a search cluster URL with a path and a shell character",
        set: {
            jaeger: json({ storage: { backend: "elasticsearch", servers: ["https://search-1.internal:9200/$(id)"] } }),
        },
        names: ["jaeger.storage.servers[0]"],
    },
    {
        what: "an index prefix in upper case",
        set: {
            jaeger: json({
                storage: { backend: "opensearch", servers: ["https://search-1.internal:9200"], indexPrefix: "Ivatar" },
            }),
        },
        names: ["jaeger.storage.indexPrefix"],
        mentions: ["lower-case"],
    },
    {
        what: "no shards",
        set: {
            jaeger: json({
                storage: { backend: "opensearch", servers: ["https://search-1.internal:9200"], shards: 0 },
            }),
        },
        names: ["jaeger.storage.shards"],
    },
    {
        what: "a user without the password",
        set: {
            jaeger: json({
                storage: { backend: "opensearch", servers: ["https://search-1.internal:9200"], username: "jaeger" },
            }),
        },
        names: ["jaegerStoragePassword"],
        mentions: ["--secret"],
    },
    {
        what: "a password without a user",
        set: {
            jaeger: json({ storage: { backend: "opensearch", servers: ["https://search-1.internal:9200"] } }),
            jaegerStoragePassword: "s3arch-Pa55w0rd!",
        },
        names: ["jaeger.storage.username"],
        mentions: ["user of jaegerStoragePassword"],
    },
    {
        what: "a password for badger",
        set: { jaegerStoragePassword: "s3arch-Pa55w0rd!" },
        names: ["jaegerStoragePassword"],
        mentions: ["badger", "[secret]"],
    },
    {
        what: "a password with a space",
        set: {
            jaeger: json({
                storage: { backend: "opensearch", servers: ["https://search-1.internal:9200"], username: "jaeger" },
            }),
            jaegerStoragePassword: "two words here",
        },
        names: ["jaegerStoragePassword"],
        mentions: ["[secret]"],
    },
    {
        what: "servers under badger",
        set: { jaeger: json({ storage: { backend: "badger", servers: ["https://search-1.internal:9200"] } }) },
        names: ["jaeger.storage.servers"],
        mentions: ["unknown key"],
    },
];

/** The schema's object shapes under a value (through optional, default and union wrappers). */
function shapesOf(schema: z.ZodType): Record<string, z.ZodType>[] {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault)
        return shapesOf(schema.unwrap() as z.ZodType);
    if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(shapesOf);
    if (schema instanceof z.ZodObject) return [schema.shape as Record<string, z.ZodType>];
    return [];
}

/** Values a case sets under a secret key or under any key the schema does not know, at any depth. */
function unprintable(value: unknown, shapes: Record<string, z.ZodType>[], secret: boolean): string[] {
    if (secret) return [typeof value === "string" ? value : JSON.stringify(value)];
    if (typeof value !== "object" || value === null || Array.isArray(value) || shapes.length === 0) return [];
    return Object.entries(value).flatMap(([k, v]) => {
        const known = shapes.map((shape) => shape[k]).filter((s): s is z.ZodType => s !== undefined);
        return known.length === 0 ? unprintable(v, [], true) : unprintable(v, known.flatMap(shapesOf), false);
    });
}

/** Pieces of a value long enough to be recognised if a message printed part of it. */
const fragments = (value: string) =>
    value.length <= 12
        ? [value]
        : [value.slice(0, 12), value.slice(-12), value.slice(value.length / 2 - 6, value.length / 2 + 6)];

async function expectRejected(c: BadCase): Promise<void> {
    const overrides = Object.fromEntries(Object.entries(c.set).map(([k, v]) => [key(k), v]));
    const hidden = Object.entries(c.set).flatMap(([k, v]) => {
        const schema = (stackSchema.shape as Record<string, z.ZodType>)[k];
        if ((secretKeys as readonly string[]).includes(k) || schema === undefined) return [v];
        return unprintable(v.trim().startsWith("{") ? JSON.parse(v) : v, shapesOf(schema), false);
    });
    await assert.rejects(
        runStack("production", overrides),
        (error: Error & { registeredBeforeError?: Registered[] }) => {
            assert.ok(
                error instanceof StackConfigError,
                `expected a StackConfigError, got ${error.name}: ${error.message}`,
            );
            for (const fragment of hidden.flatMap(fragments)) {
                assert.ok(
                    !error.message.includes(fragment),
                    `the error prints part of a secret or unknown key's value (${JSON.stringify(fragment)}):\n${error.message}`,
                );
            }
            const registered = (error as { registeredBeforeError?: Registered[] }).registeredBeforeError;
            for (const name of c.names)
                assert.ok(
                    error.message.includes(`ivatar-otel:${name}:`),
                    `error should name ${name}:\n${error.message}`,
                );
            for (const text of c.mentions ?? [])
                assert.ok(error.message.includes(text), `error should mention ${text}:\n${error.message}`);
            assert.deepStrictEqual(registered, [], "nothing may be registered before validation passes");
            return true;
        },
    );
}

describe("stack config validation", () => {
    for (const c of badCases) {
        it(`rejects ${c.what} before registering anything`, () => expectRejected(c));
    }

    it("reports every bad key of a config in one error", async () => {
        const overrides = {
            [key("samplingRatio")]: "1.5",
            [key("traceRetention")]: "7d",
            [key("collector")]: json({ cpus: 0, memoryMb: -1 }),
        };
        await assert.rejects(runStack("production", overrides), (error: Error) => {
            for (const name of ["samplingRatio", "traceRetention", "collector.cpus", "collector.memoryMb"]) {
                assert.ok(error.message.includes(`ivatar-otel:${name}:`), `missing ${name} in:\n${error.message}`);
            }
            assert.match(error.message, /has 4 problem\(s\)/);
            return true;
        });
    });

    it("never echoes a secret value in its error", async () => {
        await assert.rejects(
            runStack("production", { [key("sshPrivateKey")]: "my-very-secret-ssh-key" }),
            (error: Error) => {
                assert.ok(error.message.includes("ivatar-otel:sshPrivateKey:"));
                assert.ok(!error.message.includes("my-very-secret-ssh-key"), error.message);
                return true;
            },
        );
    });

    it("accepts each stack file", () => {
        for (const stack of ["production", "development", "local"]) {
            assert.doesNotThrow(() => validateStack(readStackValues(stackConfig(stack))), stack);
        }
    });

    it("accepts a certificate chain and a client CA bundle of two certificates", () => {
        const values = readStackValues({
            ...production,
            [key("tls")]: json({ mode: "provided", certificate: pemCert + pemCert, clientCa: pemCert + pemCert }),
            [key("tlsPrivateKey")]: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        });
        const settings = validateStack(values);
        assert.strictEqual(settings.tls.certificate, pemCert + pemCert);
        assert.strictEqual(settings.tls.clientCa, pemCert + pemCert);
    });

    it("fills per-environment defaults under the stack's values", () => {
        const sshHost = productionObject("collectorHost");
        const dev = validateStack({
            environment: "development",
            serviceVersion: "x",
            collectorHost: sshHost,
            prometheus: { host: sshHost },
            trustedNetworks: { ingest: ["10.0.0.0/8"], metrics: ["10.0.0.1/32"] },
        });
        assert.deepStrictEqual(
            [dev.collector.cpus, dev.collector.memoryMb, dev.samplingRatio, dev.serviceName],
            [2, 4096, 1, "ivatar-development"],
        );
        assert.deepStrictEqual(dev.trustedNetworks.admin, [], "a list given in part keeps the other defaults");
        const prod = validateStack(readStackValues(stackConfig("production")));
        assert.deepStrictEqual(
            [prod.collector.cpus, prod.collector.memoryMb, prod.samplingRatio, prod.traceRetention],
            [4, 8192, 0.1, "168h"],
        );
    });

    it("reads numbers, JSON objects and text the way Pulumi hands them over", () => {
        const values = readStackValues({
            "ivatar-otel:samplingRatio": "0.25",
            "ivatar-otel:serviceVersion": "1.0",
            "ivatar-otel:collector": '{"cpus":2}',
            "other:key": "x",
        });
        assert.deepStrictEqual(values, { samplingRatio: 0.25, serviceVersion: "1.0", collector: { cpus: 2 } });
    });

    it("knows a CIDR when it sees one", () => {
        for (const good of ["10.0.0.0/8", "127.0.0.1/32", "0.0.0.0/0", "fd00::/64", "::1/128"])
            assert.ok(isCidr(good), good);
        for (const bad of [
            "10.0.0.0",
            "10.0.0.0/33",
            "300.0.0.0/8",
            "fd00::/129",
            "10.0.0.0/8/8",
            "host/24",
            "",
            "fd00:10:8::/048",
            "10.0.0.0/08",
            "0.0.0.0/00",
        ])
            assert.ok(!isCidr(bad), bad);
        // What the ruleset writes: nft rejects some IPv6 forms with an IPv4 tail, never this one.
        assert.deepStrictEqual(
            ["::0:0:1.2.3.4/128", "FD00:0:0::/48", "2001:db8:0:0:1:0:0:1/128", "10.0.0.0/8"].map(canonicalCidr),
            ["::102:304/128", "fd00::/48", "2001:db8::1:0:0:1/128", "10.0.0.0/8"],
        );
    });
});

describe("stack config errors never print what they should not", () => {
    it("a credential pasted inside a URL, a host address, another value or an unknown key's name is not printed", async () => {
        const token = "glpat-Zx81mQ4vT7pL2nR9sW3y";
        const password = "Hunter2-Wobble-9931";
        const overrides = {
            "ivatar-otel:prometheus": JSON.stringify({
                ...productionObject("prometheus"),
                reloadUrl: `http://admin:${password}@prom host:9090/-/reload`,
            }),
            "ivatar-otel:collectorHost": JSON.stringify({
                ...productionObject("collectorHost"),
                address: `deploy:${password}@collector.internal`,
            }),
            "ivatar-otel:collector": JSON.stringify({
                ...productionObject("collector"),
                endpointHost: `collector.internal?token=${token}`,
                [token]: 1,
            }),
            "ivatar-otel:serviceName": `Bearer ${token}`,
        };
        await assert.rejects(runStack("production", overrides), (error: Error) => {
            for (const name of [
                "prometheus.reloadUrl",
                "collectorHost.address",
                "collector.endpointHost",
                "serviceName",
            ]) {
                assert.ok(error.message.includes(`ivatar-otel:${name}:`), `names ${name}:\n${error.message}`);
            }
            assert.match(error.message, /ivatar-otel:collector\.\[token-like value hidden\]: expected no such key/);
            for (const secret of [password, token, token.slice(6)])
                assert.ok(!error.message.includes(secret), error.message);
            return true;
        });
    });

    it("a misspelt secret key and an unknown nested key are named, their values not shown", async () => {
        const key =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        const overrides = {
            "ivatar-otel:sshPrivatekey": key,
            "ivatar-otel:collector": JSON.stringify({ ...productionObject("collector"), apiToken: "t0ps3cr3t-value" }),
        };
        await assert.rejects(runStack("production", overrides), (error: Error) => {
            assert.match(
                error.message,
                /ivatar-otel:sshPrivatekey: expected no such key \(unknown key\), found a value \(not shown\)/,
            );
            assert.match(error.message, /ivatar-otel:collector\.apiToken: expected no such key/);
            assert.ok(!error.message.includes("b3BlbnNzaC1rZXktdjEAAAAA"), error.message);
            assert.ok(!error.message.includes("t0ps3cr3t"), error.message);
            return true;
        });
    });
});
