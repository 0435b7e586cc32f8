// The stack config's shape: every key the program reads, what it means, and what is valid.
// Per-environment defaults live in defaults.ts; reading and error reporting in load.ts.
import { z } from "zod";
import versions from "../versions.json";
import { isCidr } from "../grammar/cidr";
import {
    durationHours,
    isDisplayName,
    isDnsName,
    isHostAddress,
    isHostNameOrIPv4,
    isHttpUrl,
    isRelativeLink,
    isSafeAbsolutePath,
    isSearchServerUrl,
    isVersionLabel,
    isAppInstanceName,
} from "../grammar/text";

export { durationHours };

export { isCidr };

/** The key blob (SSH wire format) starts with its own type name: a truncated or pasted-wrong key does not. */
function isWholeHostKey(value: string): boolean {
    const [type, base64] = value.split(" ");
    const blob = Buffer.from(base64 ?? "", "base64");
    if (blob.length < 4 + type.length + 16) return false;
    const length = blob.readUInt32BE(0);
    return length === type.length && blob.subarray(4, 4 + length).toString("latin1") === type;
}

/** Go's durations overflow past about 2,562,047 hours; ten years is a sane ceiling for a retention. */
const maxRetentionHours = 87_600;

/** Go duration as Jaeger and the collector read it: hours, minutes, seconds ("168h", "90m"). */
const goDuration = /^(\d+h)?(\d+m)?(\d+s)?$/;
const sshPublicKey = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}$/;
/** One or more PEM blocks of a kind: a certificate chain, or a bundle of CA certificates. */
const pemBlocks = (label: string) =>
    new RegExp(`^(-----BEGIN ${label}-----\\r?\\n[A-Za-z0-9+/=\\r\\n]+-----END ${label}-----\\s*)+$`);
export const pemCertificate = pemBlocks("CERTIFICATE");
export const pemPrivateKey =
    /^-----BEGIN (RSA |EC )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/;
const imageReference = /^[a-z0-9][a-z0-9._\-/:]*:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?$/;

const number = (what: string) => z.number({ error: `expected ${what}` });
const integer = (what: string) => number(what).int({ error: `expected ${what}` });
const text = (what: string) => z.string({ error: `expected ${what}` });
const port = () =>
    integer("a TCP port from 1 to 65535")
        .min(1, { error: "expected a TCP port from 1 to 65535" })
        .max(65535, { error: "expected a TCP port from 1 to 65535" });
const cidr = () =>
    text("a network in CIDR form, like 10.0.1.0/24").refine(isCidr, {
        error: "expected a network in CIDR form with no host bits, like 10.0.1.0/24 (not 10.0.1.7/24, no IPv6 zone id)",
    });
const networks = () => z.array(cidr(), { error: "expected a list of networks in CIDR form" });
/** An app container's name: it names the container's env file, so no path characters. */
const appInstanceName = text("an app instance name").refine(isAppInstanceName, {
    error: "expected an app instance name of at most 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
});
const duration = (what: string) =>
    text(`${what} as a Go duration, like 168h`)
        .regex(goDuration, {
            error: `expected ${what} as a Go duration in h/m/s, like 168h (days like 7d are not valid)`,
        })
        .refine((v) => v !== "" && !/^(0+[hms])+$/.test(v), { error: `expected ${what} longer than zero` })
        .refine((v) => durationHours(v) <= maxRetentionHours, {
            error: `expected ${what} of at most ${maxRetentionHours}h (ten years)`,
        });
const absolutePath = (what: string) =>
    text(`${what} as an absolute path`).refine(isSafeAbsolutePath, {
        error: `expected ${what} as an absolute path of letters, digits, '.', '_' and '-' (no '..', spaces, quotes, '%' or shell characters)`,
    });
/** A name apps and Prometheus use in URLs and the certificate: an RFC 1123 host name or IPv4 address. */
const urlHost = (what: string) =>
    text(what).refine(isHostNameOrIPv4, { error: `expected ${what}: an RFC 1123 host name or an IPv4 address` });

/** A host reached over SSH with a pinned host key. */
const sshHostSchema = z.strictObject({
    /** DNS name or IP address the SSH client connects to. */
    address: text("a host name or IP address").refine(isHostAddress, {
        error: "expected an RFC 1123 host name or an IP address",
    }),
    /** SSH port. */
    port: port().default(22),
    /** Login user: root, or one with sudo without a password (steps only: a collector host's must be root, config/crossChecks.ts). */
    user: text("a user name").regex(/^[a-z_][a-z0-9_.-]*$/, { error: "expected a Unix user name" }),
    /** The host's public key as `ssh-keyscan` prints it after the host name: "ssh-ed25519 AAAA...". */
    hostKey: text("an SSH public host key")
        .regex(sshPublicKey, { error: 'expected an SSH public host key like "ssh-ed25519 AAAA..."' })
        .refine(isWholeHostKey, {
            error: "expected a whole SSH public host key: its base64 must decode to a key of the named type",
        }),
});

/** How the program reaches a Podman host: over SSH with a pinned host key, or this machine. */
export const hostSchema = z.union(
    [
        sshHostSchema,
        z.strictObject({
            /** This machine's own Podman, through its local socket, with local commands. */
            local: z.literal(true, { error: "expected true" }),
            /** The Podman API socket. */
            podmanSocket: absolutePath("the Podman socket").default("/run/podman/podman.sock"),
        }),
    ],
    { error: "expected either {address, port, user, hostKey} or {local: true}" },
);

/**
 * One of several collector hosts. Its address is a host name: the samplers' certificates, the
 * fronts' hash ring and the scrape targets all name the host by it.
 */
const tierHostSchema = sshHostSchema.extend({
    address: text("a host name").refine(isDnsName, {
        error: "expected an RFC 1123 host name (not an IP address): the tier's certificates and hash ring name each host by it",
    }),
});

/** An index name part as OpenSearch and Elasticsearch take it: lower case, not starting with '-' or '_'. */
const indexPrefix = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Jaeger's trace store: badger, or an OpenSearch/Elasticsearch cluster with daily indices. */
const storageSchema = z.discriminatedUnion(
    "backend",
    [
        z.strictObject({ backend: z.literal("badger") }),
        z.strictObject({
            backend: z.enum(["opensearch", "elasticsearch"]),
            /** The cluster's nodes. */
            servers: z
                .array(
                    text("an https URL").refine(isSearchServerUrl, {
                        error: "expected an https URL of a host and port only, like https://search-1.internal:9200 (https: the password travels to the cluster)",
                    }),
                    { error: "expected a list of https URLs" },
                )
                .min(1, { error: "expected at least one https URL" }),
            /** Indices are <indexPrefix>-jaeger-span-<day> and so on; the retention deletes whole days. */
            indexPrefix: text("an index prefix")
                .regex(indexPrefix, {
                    error: "expected an index prefix of at most 40 lower-case letters, digits and '-'",
                })
                .default("ivatar-otel"),
            /** Primary shards of each daily index. */
            shards: integer("a shard count from 1 to 64")
                .min(1, { error: "expected a shard count from 1 to 64" })
                .max(64, { error: "expected a shard count from 1 to 64" })
                .default(3),
            /** Replicas of each shard. */
            replicas: integer("a replica count from 0 to 8")
                .min(0, { error: "expected a replica count from 0 to 8" })
                .max(8, { error: "expected a replica count from 0 to 8" })
                .default(1),
            /** Basic-auth user; its password is the secret jaegerStoragePassword. */
            username: text("a user name")
                .regex(/^[A-Za-z0-9._@-]{1,64}$/, {
                    error: "expected a user name of at most 64 letters, digits, '.', '_', '@' or '-'",
                })
                .optional(),
            /** The image of Jaeger's index cleaner, which deletes the days past traceRetention (pinned in versions.json). */
            indexCleanerImage: text("an image reference with a tag")
                .regex(imageReference, {
                    error: "expected an image reference with an exact tag, like registry/name:1.2.3",
                })
                .default(versions.jaeger.indexCleanerImage),
            /** PEM CA the cluster's certificates chain to; without it, the system's trust store. */
            caCertificate: text("a PEM certificate")
                .regex(pemCertificate, { error: "expected one or more PEM CA certificates" })
                .optional(),
        }),
    ],
    { error: "expected backend badger, opensearch or elasticsearch" },
);

export type StorageSettings = z.output<typeof storageSchema>;

export const stackSchema = z.strictObject({
    /** Which kind of stack this is; selects the defaults in defaults.ts. */
    environment: z.enum(["production", "development", "local"], { error: "expected production, development or local" }),
    /** OTEL_SERVICE_NAME of the app containers. */
    serviceName: text("a service name").regex(/^[A-Za-z0-9._-]+$/, {
        error: "expected a service name of letters, digits, '.', '_' or '-'",
    }),
    /** IVATAR_VERSION of the app containers. */
    serviceVersion: text("a version string").refine(isVersionLabel, {
        error: "expected a version like 1.8.0 or 1.8.0-dev (letters, digits, '.', '_', '+', '-'; at most 64)",
    }),
    /** Share of non-error traces kept (error traces are always kept). */
    samplingRatio: number("a number from 0 to 1")
        .min(0, { error: "expected a number from 0 to 1" })
        .max(1, { error: "expected a number from 0 to 1" }),
    /** How long Jaeger keeps traces. */
    traceRetention: duration("the trace retention"),
    /** Client IP address attributes: truncated before storage (IPv4 to /24, IPv6 to /48), or kept whole. */
    clientAddresses: z.enum(["truncate", "keep"], { error: "expected truncate or keep" }),
    /** ivatar's app containers by name, and which of them send telemetry (a gradual rollout); no names: one env file for all. */
    apps: z
        .strictObject({
            /** One env file per name (ci/app-env.sh). */
            instances: z
                .array(appInstanceName, { error: "expected a list of app instance names" })
                .refine((names) => new Set(names).size === names.length, { error: "expected each name once" }),
            /** The instances with OTEL_ENABLED true: all, or some of the names above. */
            telemetryOn: z.union([z.literal("all"), z.array(appInstanceName)], {
                error: "expected all, or a list of names from apps.instances",
            }),
        })
        .superRefine((apps, ctx) => {
            if (apps.telemetryOn === "all") return;
            apps.telemetryOn.forEach((name, i) => {
                if (!apps.instances.includes(name))
                    ctx.addIssue({
                        code: "custom",
                        path: ["telemetryOn", i],
                        message: "expected a name listed in apps.instances",
                        input: name,
                    });
            });
        }),
    /** The check at the end of every `pulumi up` that changed something (checks/run.ts). */
    deployCheck: z.strictObject({
        enabled: z.boolean({ error: "expected true or false" }),
        /** Any new value runs the check on an `up` that changes nothing else. */
        trigger: text("a short label").regex(/^[A-Za-z0-9._:-]{0,64}$/, {
            error: "expected a label of at most 64 letters, digits, '.', '_', ':' or '-'",
        }),
    }),
    /** Where the collector and Jaeger run (one host; collectorHosts for several). */
    collectorHost: hostSchema.optional(),
    /** Two or more hosts, each running a front and a sampling collector; Jaeger runs on the first. */
    collectorHosts: z
        .array(tierHostSchema, { error: "expected a list of SSH hosts {address, port, user, hostKey}" })
        .min(2, { error: "expected two or more hosts (a single host goes in collectorHost)" })
        .optional(),
    /** The host of the existing Prometheus, and where its rule and scrape files go. */
    prometheus: z.strictObject({
        host: hostSchema,
        /** Directory the existing Prometheus loads rule files from (rule_files glob). */
        rulesDir: absolutePath("the rules directory"),
        /** Directory the existing Prometheus loads scrape job files from (scrape_config_files glob). */
        scrapeConfigDir: absolutePath("the scrape config directory"),
        /** URL on the Prometheus host that reloads it (needs --web.enable-lifecycle); empty: no reload. */
        reloadUrl: text("an http(s) URL or an empty string").refine((v) => v === "" || isHttpUrl(v), {
            error: "expected an http(s) URL or an empty string",
        }),
        /** Where alerts' runbook links point; each alert appends "#<alert name in lower case>". */
        runbookBaseUrl: text("the runbook's URL").refine((v) => isHttpUrl(v) || isRelativeLink(v), {
            error: "expected the runbook's http(s) URL or a relative link like docs/runbook.md (no spaces, quotes or braces)",
        }),
        /** How long the apps may send no span before an alert says so, as a Go duration, or off (stacks whose apps may be quiet). */
        noSpansAlertAfter: text("a Go duration like 15m, or off").refine(
            (v) =>
                v === "off" || (goDuration.test(v) && v !== "" && !/^(0+[hms])+$/.test(v) && durationHours(v) <= 168),
            { error: "expected a Go duration in h/m/s of at most 168h, like 15m, or off" },
        ),
        /** Prometheus's HTTP API as the deploy check and `npm run check` reach it; empty: not checked. Default: reloadUrl's, by the host's address. */
        apiUrl: text("an http(s) URL or an empty string")
            .refine((v) => v === "" || isHttpUrl(v), { error: "expected an http(s) URL or an empty string" })
            .optional(),
        /** Host name Prometheus uses to scrape the collector; defaults to collector.endpointHost. */
        scrapeAddress: urlHost("a host name").optional(),
    }),
    /** The collector container. */
    collector: z.strictObject({
        /** CPU limit of the container, in CPUs (per host: with collectorHosts, the front and the sampler get half each). */
        cpus: number("a CPU count from 0.01")
            .min(0.01, { error: "expected a CPU count from 0.01" })
            .max(256, { error: "expected a CPU count of at most 256" }),
        /** Memory limit of the container, in MB; GOMEMLIMIT is set to 80 % of it. */
        memoryMb: integer("a whole number of MB from 256 to 1048576")
            .min(256, { error: "expected a whole number of MB of at least 256" })
            .max(1_048_576, { error: "expected a whole number of MB of at most 1048576 (1 TiB)" }),
        /** Container image; pinned in versions.json unless overridden here. */
        image: text("an image reference with a tag").regex(imageReference, {
            error: "expected an image reference with an exact tag, like registry/name:1.2.3",
        }),
        /** Host name the app containers use to reach the collector (TLS certificate name too). */
        endpointHost: urlHost("a host name"),
        /** Published host ports. */
        ports: z.strictObject({
            otlpGrpc: port(),
            otlpHttp: port(),
            prometheusExporter: port(),
            health: port(),
            internalMetrics: port(),
        }),
        /** Published ports of the sampling collector (with collectorHosts only): OTLP gRPC from the fronts, health, own metrics. */
        samplerPorts: z.strictObject({ otlpGrpc: port(), health: port(), internalMetrics: port() }),
        /** Disk the persistent sending queue may fill while Jaeger is unreachable, in GiB (per host; a tier's front and sampler get half each). */
        queueDiskGiB: number("a size in GiB from 0.1 to 16384")
            .min(0.1, { error: "expected a size in GiB of at least 0.1" })
            .max(16_384, { error: "expected a size in GiB of at most 16384" }),
        /** Host directory that holds the collector's TLS material and token. */
        hostDir: absolutePath("the collector's host directory"),
    }),
    /** The Jaeger container. */
    jaeger: z.strictObject({
        /** Where Jaeger keeps traces: badger on a volume of the first collector host, or an existing search cluster. */
        storage: storageSchema,
        image: text("an image reference with a tag").regex(imageReference, {
            error: "expected an image reference with an exact tag, like registry/name:1.2.3",
        }),
        /** Published port of the query UI and API (admin networks only). */
        uiPort: port(),
        /** Published port of Jaeger's own metrics, scraped by Prometheus (metrics networks only). */
        metricsPort: port(),
        /** Published port of Jaeger's OTLP for the other hosts' samplers (with collectorHosts only; TLS, client certificates). */
        tierOtlpPort: port(),
        /** Disk badger's trace store may take on the first collector host, in GiB (badger only). */
        storeDiskGiB: number("a size in GiB from 0.1 to 16384")
            .min(0.1, { error: "expected a size in GiB of at least 0.1" })
            .max(16_384, { error: "expected a size in GiB of at most 16384" }),
    }),
    /** The existing Grafana, and where the dashboards and their provider file go. */
    grafana: z.strictObject({
        /** Place the dashboards; false leaves Grafana alone. */
        enabled: z.boolean({ error: "expected true or false" }),
        /** Grafana's host; the Prometheus host when not given. */
        host: hostSchema.optional(),
        /** Directory Grafana reads dashboard provider files from. */
        provisioningDir: absolutePath("Grafana's dashboard provisioning directory"),
        /** Directory under which this stack's dashboard files go (in a folder of their own). */
        dashboardsDir: absolutePath("the dashboards directory"),
        /** Grafana folder the dashboards appear in. */
        folder: text("a Grafana folder name").refine(isDisplayName, {
            error: "expected a folder name of at most 64 letters, digits, spaces, '.', '_' or '-'",
        }),
        /** Directory Grafana reads data source files from (the stack's Jaeger data source goes there). */
        datasourcesDir: absolutePath("Grafana's data source provisioning directory"),
        /** uid of the existing Loki data source a span's logs link goes to; empty: no such link. */
        lokiDatasourceUid: text("a Grafana data source uid").regex(/^[A-Za-z0-9_-]{0,40}$/, {
            error: "expected a data source uid of at most 40 letters, digits, '_' or '-', or an empty string",
        }),
        /** The Loki label that carries the apps' service name (service.name). */
        lokiServiceLabel: text("a Loki label name").regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
            error: "expected a label name of letters, digits and '_', not starting with a digit",
        }),
    }),
    /** Who may reach which ports on the collector host. */
    trustedNetworks: z.strictObject({
        /** App containers: OTLP gRPC and HTTP. */
        ingest: networks(),
        /** Prometheus hosts: exporter, internal metrics, health. */
        metrics: networks(),
        /** Operators (and the runner of `pulumi up`, for the deploy check): the Jaeger UI, health. */
        admin: networks(),
        /** The collector hosts (with collectorHosts): the samplers' port and Jaeger's OTLP. */
        collectors: networks(),
    }),
    /** The project's nftables table on the collector host. */
    firewall: z.strictObject({ enabled: z.boolean({ error: "expected true or false" }) }),
    /** TLS on the OTLP receivers. */
    tls: z.strictObject({
        /** generate: a self-signed certificate made on the host; provided: certificate from config and
         *  key from the secret tlsPrivateKey; disabled: plaintext (local stack only). */
        mode: z.enum(["generate", "provided", "disabled"], { error: "expected generate, provided or disabled" }),
        /** PEM certificate (chain) for mode provided. */
        certificate: text("a PEM certificate")
            .regex(pemCertificate, { error: "expected a PEM certificate (or chain, server first)" })
            .optional(),
        /** PEM CA that client certificates must chain to; turns on mutual TLS. */
        clientCa: text("a PEM certificate")
            .regex(pemCertificate, { error: "expected one or more PEM CA certificates" })
            .optional(),
        /** Where the app containers find the collector's CA file (OTEL_EXPORTER_OTLP_CERTIFICATE). */
        appCaPath: absolutePath("the CA path inside the app containers"),
        /** How often the collector re-reads its certificate, so a renewed one is served without a restart. */
        reloadInterval: duration("the certificate reload interval"),
        /** node_exporter's textfile collector directory on the collector hosts, for the certificate's expiry; empty: not written. */
        expiryMetricsDir: text("an absolute path or an empty string").refine((v) => v === "" || isSafeAbsolutePath(v), {
            error: "expected an absolute path of letters, digits, '.', '_', '-' and '/', or an empty string",
        }),
    }),
    /** Secret: PEM private key for tls.mode provided. */
    tlsPrivateKey: text("a PEM private key").regex(pemPrivateKey, { error: "expected a PEM private key" }).optional(),
    /** Secret: the search cluster's password for jaeger.storage.username. */
    jaegerStoragePassword: text("a password")
        .regex(/^[\x21-\x7e]{8,256}$/, { error: "expected a password of 8 to 256 printable characters without spaces" })
        .optional(),
    /** Secret: PEM private key for SSH; without it the SSH agent is used. */
    sshPrivateKey: text("a PEM or OpenSSH private key")
        .regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, { error: "expected a PEM or OpenSSH private key" })
        .optional(),
});

export type StackSettings = z.output<typeof stackSchema>;

/** Config keys whose values are secrets. */
export const secretKeys = ["tlsPrivateKey", "sshPrivateKey", "jaegerStoragePassword"] as const;
