// TLS material for the OTLP receivers, placed on the collector host. Pure: scripts out.
//
// generate: a small CA and a server certificate made on the host with openssl. The private keys
// never leave the host (nor enter Pulumi state), and the CA's key stays root's, outside the
// directory the collector sees. The step prints the CA certificate, which the apps trust. The
// server certificate is re-issued when its names change or it nears expiry, by the step and by a
// daily timer on the host (renewal.ts).
// provided: the configured certificate and key are written as they are.
import { isHostAddress, requireGrammar, requireOwner, requireSafePaths } from "../../grammar/text";
import {
    filesCheck,
    HostFile,
    preamble,
    parentDir,
    removeFiles,
    removeOwnDirs,
    shQuote,
    unitsCheck,
    writeFiles,
} from "../host/scripts";
import { placeRenewal, removeRenewal, renewalFiles, renewalUnit } from "./renewal";

/** A generated certificate is re-issued when it has fewer days left than this (the timer runs daily). */
export const renewalWindowDays = 30;

export interface TlsStepSettings {
    /** Host directory mounted into the collector as its tls/ directory. */
    dir: string;
    /** Root-only host directory of the generated CA (not mounted anywhere). */
    caDir: string;
    /** "uid:gid" of the collector's user, who must read the key. */
    owner: string;
    /** DNS names and IP addresses the server certificate covers. */
    serverNames: string[];
    /** PEM CA for client certificates (mutual TLS). */
    clientCa?: string;
    /** The certificate also serves as a client's (a sampler's, towards Jaeger on another host). */
    clientAuth?: boolean;
    /** Where node_exporter's textfile collector reads the certificate's expiry (OtelCollectorCertificateExpiring). */
    expiryMetrics?: { dir: string; environment: string };
}

/** The metric the TLS step writes for node_exporter: when the served certificate expires. */
export const certificateExpiryMetric = "ivatar_otel_tls_certificate_expiry_timestamp_seconds";
/** Its file in the textfile collector's directory. */
export const expiryMetricsFile = "ivatar-otel-tls.prom";

const tlsFiles = ["server.crt", "server.key", "server.names", "client-ca.crt"];
const caFiles = ["ca.crt", "ca.key", "ca.srl"];

function subjectAltNames(names: string[]): string {
    return names.map((n) => (/^[\d.]+$/.test(n) || n.includes(":") ? `IP:${n}` : `DNS:${n}`)).join(",");
}

function clientCaFile(s: TlsStepSettings): HostFile[] {
    return s.clientCa ? [{ path: `${s.dir}/client-ca.crt`, content: s.clientCa, mode: "0444", owner: s.owner }] : [];
}

const selinuxOn = "command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled";

/** semanage's file-context spec for a directory and everything in it (a regular expression). */
const contextSpec = (dir: string) => `${dir.replace(/\./g, "\\.")}(/.*)?`;

/**
 * SELinux hosts (Fedora, enforcing) let containers read bind-mounted files only with the
 * container_file_t label. A file-context rule makes it persistent (a relabel of the file system
 * keeps it) and restorecon applies it; without semanage, chcon labels until the next relabel.
 */
const relabel = (dir: string) =>
    [
        `if ${selinuxOn}; then`,
        `  if command -v semanage >/dev/null 2>&1; then`,
        `    semanage fcontext -a -t container_file_t ${shQuote(contextSpec(dir))} 2>/dev/null || semanage fcontext -m -t container_file_t ${shQuote(contextSpec(dir))}`,
        `    restorecon -R ${shQuote(dir)}`,
        `  else`,
        `    chcon -R -t container_file_t ${shQuote(dir)}`,
        `    echo ${shQuote(`tls: semanage is not installed (policycoreutils-python-utils): ${dir} is labelled container_file_t by chcon, which a relabel of the file system undoes`)} >&2`,
        `  fi`,
        `fi`,
    ].join("\n") + "\n";

/** Removes the file-context rule relabel() added. */
const unlabel = (dir: string) =>
    `if ${selinuxOn} && command -v semanage >/dev/null 2>&1; then semanage fcontext -d ${shQuote(contextSpec(dir))} 2>/dev/null || true; fi\n`;

/** The second check for where the TLS files go and who owns them. */
function requireTlsPlaces(s: Pick<TlsStepSettings, "dir" | "caDir" | "owner">): void {
    requireSafePaths("a TLS directory", s.dir, s.caDir);
    requireOwner("the TLS files' owner (uid:gid)", s.owner);
}

/**
 * Writes the served certificate's expiry for node_exporter's textfile collector, whole or not at
 * all (a temporary file, then a rename), after every issue or renewal run: a renewal that stops
 * working leaves the expiry coming closer, which the alert sees. Refuses a missing directory.
 */
function writeExpiryMetric(s: TlsStepSettings): string {
    const m = s.expiryMetrics;
    if (!m) return "";
    requireSafePaths("the expiry metrics directory", m.dir);
    requireGrammar(/^[a-z0-9-]+$/.test(m.environment), "an environment name", m.environment);
    requireGrammar(isHostAddress(s.serverNames[0]), "a certificate name", s.serverNames[0]);
    const file = shQuote(`${m.dir}/${expiryMetricsFile}`);
    const labels = `environment="${m.environment}",server="${s.serverNames[0]}"`;
    return (
        [
            `[ -d ${shQuote(m.dir)} ] || { echo ${shQuote(`tls: ${m.dir} (tls.expiryMetricsDir) does not exist: is node_exporter's textfile collector set up there?`)} >&2; exit 1; }`,
            `expiry=$(date -d "$(openssl x509 -enddate -noout -in ${shQuote(`${s.dir}/server.crt`)} | cut -d= -f2)" +%s)`,
            `printf '# HELP ${certificateExpiryMetric} When the collector certificate expires (Unix time).\\n# TYPE ${certificateExpiryMetric} gauge\\n${certificateExpiryMetric}{${labels}} %s\\n' "$expiry" > ${file}.tmp`,
            `chmod 0644 ${file}.tmp && mv -f ${file}.tmp ${file}`,
        ].join("\n") + "\n"
    );
}

/** The generate step: issue what is missing or stale, keep renewing on the host, print the CA. */
export function generateTlsScript(s: TlsStepSettings): string {
    const issue = issueScript(s);
    // The only output on stdout: the CA certificate the apps must trust.
    return issue + placeRenewal(s.caDir, issue) + `cat ${shQuote(`${s.caDir}/ca.crt`)}\n`;
}

/** Makes the CA if missing and (re-)issues the server certificate when needed; idempotent. */
function issueScript(s: TlsStepSettings): string {
    for (const name of s.serverNames) requireGrammar(isHostAddress(name), "a certificate name", name);
    requireTlsPlaces(s);
    const dir = shQuote(s.dir);
    const sans = subjectAltNames(s.serverNames);
    // server.names records what the certificate was issued for: a change of names or use re-issues it.
    const issuedFor = s.clientAuth ? `${sans} clientAuth` : sans;
    const extensions = `subjectAltName=%s\\nextendedKeyUsage=${s.clientAuth ? "serverAuth,clientAuth" : "serverAuth"}\\nbasicConstraints=critical,CA:FALSE\\n`;
    return (
        preamble +
        [
            `dir=${dir}`,
            `ca=${shQuote(s.caDir)}`,
            `mkdir -p "$ca" && chmod 0700 "$ca"`,
            `mkdir -p "$dir" && chown ${s.owner} "$dir" && chmod 0500 "$dir"`,
            `if [ ! -s "$ca/ca.key" ]; then`,
            `  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\`,
            `    -subj "/CN=ivatar-otel collector CA" -addext "basicConstraints=critical,CA:TRUE" \\`,
            `    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$ca/ca.key" -out "$ca/ca.crt" 2>/dev/null`,
            `  chmod 0400 "$ca/ca.key" && chmod 0444 "$ca/ca.crt"`,
            `  echo "tls: made a new CA" >&2`,
            "fi",
            `want=${shQuote(issuedFor)}`,
            // Re-issue when the names changed, the certificate expires within renewalWindowDays, or it is not
            // this CA's (a certificate left by tls.mode provided: apps trust only the CA output).
            `if [ ! -s "$dir/server.key" ] || [ "$(cat "$dir/server.names" 2>/dev/null)" != "$want" ] || ! openssl x509 -checkend ${renewalWindowDays * 86_400} -noout -in "$dir/server.crt" >/dev/null 2>&1 \\`,
            `    || ! openssl verify -CAfile "$ca/ca.crt" "$dir/server.crt" >/dev/null 2>&1; then`,
            `  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj ${shQuote(`/CN=${s.serverNames[0]}`)} \\`,
            `    -keyout "$dir/server.key.new" -out "$ca/server.csr" 2>/dev/null`,
            `  printf '${extensions}' ${s.clientAuth ? shQuote(sans) : `"$want"`} > "$ca/server.ext"`,
            `  openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 825 \\`,
            `    -extfile "$ca/server.ext" -out "$dir/server.crt.new" 2>/dev/null`,
            `  mv -f "$dir/server.key.new" "$dir/server.key" && mv -f "$dir/server.crt.new" "$dir/server.crt"`,
            `  printf %s "$want" > "$dir/server.names"`,
            `  rm -f "$ca/server.csr" "$ca/server.ext"`,
            `  echo "tls: issued a server certificate for $want" >&2`,
            "fi",
            `chown ${s.owner} "$dir"/* && chmod 0400 "$dir/server.key" && chmod 0444 "$dir/server.crt"`,
        ].join("\n") +
        "\n" +
        writeFiles(clientCaFile(s)) +
        relabel(s.dir) +
        writeExpiryMetric(s)
    );
}

export function providedTlsScript(s: TlsStepSettings, certificate: string, privateKey: string): string {
    requireTlsPlaces(s);
    const files: HostFile[] = [
        { path: `${s.dir}/server.crt`, content: certificate, mode: "0444", owner: s.owner },
        { path: `${s.dir}/server.key`, content: privateKey, mode: "0400", owner: s.owner },
        ...clientCaFile(s),
    ];
    return (
        preamble +
        `mkdir -p ${shQuote(s.dir)} && chown ${s.owner} ${shQuote(s.dir)} && chmod 0500 ${shQuote(s.dir)}\n` +
        writeFiles(files) +
        relabel(s.dir) +
        writeExpiryMetric(s) +
        `cat ${shQuote(`${s.dir}/server.crt`)}\n`
    );
}

export function removeTlsScript(s: Pick<TlsStepSettings, "dir" | "caDir" | "expiryMetrics">): string {
    requireSafePaths("a TLS directory", s.dir, s.caDir);
    const metrics = s.expiryMetrics ? [`${s.expiryMetrics.dir}/${expiryMetricsFile}`] : [];
    return (
        preamble +
        removeRenewal(s.caDir) +
        unlabel(s.dir) +
        removeFiles([...tlsFiles.map((f) => `${s.dir}/${f}`), ...caFiles.map((f) => `${s.caDir}/${f}`), ...metrics]) +
        removeOwnDirs([s.dir, s.caDir, parentDir(s.dir), parentDir(s.caDir)])
    );
}

/**
 * What a refresh checks of generated material: the CA, a server key and a certificate the CA
 * issued, the client CA as configured, and the renewal armed. (A CA made anew by the repair is
 * not the one the apps trust: see README, "Drift".)
 */
export function generatedTlsCheck(s: TlsStepSettings): string {
    requireTlsPlaces(s);
    const dir = shQuote(s.dir);
    const ca = shQuote(s.caDir);
    return (
        [
            `[ -s ${ca}/ca.key ] && [ -s ${ca}/ca.crt ] || echo ${shQuote(`the CA in ${s.caDir} is missing`)}`,
            `[ -s ${dir}/server.key ] && openssl verify -CAfile ${ca}/ca.crt ${dir}/server.crt >/dev/null 2>&1 || echo ${shQuote(`the server certificate or key in ${s.dir} is missing or not the CA's`)}`,
        ].join("\n") +
        "\n" +
        filesCheck([...clientCaFile(s), ...renewalFiles(s.caDir, issueScript(s))]) +
        unitsCheck([`${renewalUnit}.timer`])
    );
}

/** What a refresh checks of provided material: the certificate as configured, a key beside it, the client CA. */
export function providedTlsCheck(s: TlsStepSettings, certificate: string): string {
    requireTlsPlaces(s);
    return (
        filesCheck([{ path: `${s.dir}/server.crt`, content: certificate }, ...clientCaFile(s)]) +
        `[ -s ${shQuote(`${s.dir}/server.key`)} ] || echo ${shQuote(`the private key in ${s.dir} is missing`)}\n`
    );
}
