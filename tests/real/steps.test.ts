// The host steps, run for real over SSH against an sshd on loopback with a test key and a pinned
// host key, exactly as the components send them: create is idempotent, a failure changes
// nothing, delete leaves nothing behind.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { firewallTable } from "../../components/firewall/ruleset";
import { applyFirewallScript, firewallUnitPaths, removeFirewallScript } from "../../components/firewall/steps";
import { renderRuleset } from "../../components/firewall/ruleset";
import { asRoot, asRootInline } from "../../components/host/scripts";
import { sshOptions } from "../../components/host/podmanHost";
import { renderRules } from "../../components/prometheus/rules";
import { renderScrapeConfig } from "../../components/prometheus/scrape";
import { grafanaPlacement } from "../../components/grafana/placement";
import {
    placePrometheusFilesScript,
    PrometheusFiles,
    removePrometheusFilesScript,
} from "../../components/prometheus/steps";
import { renewalScriptPath, renewalUnit } from "../../components/tls/renewal";
import { generateTlsScript, providedTlsScript, removeTlsScript } from "../../components/tls/steps";
import { StackPlan } from "../../stack/plan";
import { livePlan } from "../live";
import { startSshd, TestHost } from "../sshd";
import { ensureToolchain, run, RunResult, runOk, tempDir, Tools, waitFor } from "../tools";
import { tlsStepOf } from "../deployed";

const sshPort = 2222;

/** Runs a command on the test host with the options the docker provider uses for its ssh. */
function ssh(host: TestHost, command: string, opts: { input?: string; hostKey?: string } = {}): RunResult {
    const options = sshOptions({
        address: "127.0.0.1",
        port: sshPort,
        user: "root",
        hostKey: opts.hostKey ?? host.hostKey,
    });
    return run("ssh", [...options, "-i", host.clientKey, "-p", String(sshPort), "root@127.0.0.1", command], {
        input: opts.input ?? "",
    });
}

/** A step as PodmanHost.step sends it: create on stdin to the root shell, delete inlined. */
const create = (host: TestHost, script: string) => ssh(host, asRoot, { input: script });
const destroy = (host: TestHost, script: string) => ssh(host, asRootInline(script));

function listTree(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe("live: host steps over SSH", function () {
    this.timeout(300_000);
    let tools: Tools;
    let host: TestHost;
    let work: string;
    let plan: StackPlan;

    before(async () => {
        tools = ensureToolchain();
        host = startSshd(sshPort);
        work = tempDir("steps");
        plan = livePlan("development", path.join(work, "host"), {
            prometheus: {
                rulesDir: path.join(work, "prometheus/rules.d"),
                scrapeConfigDir: path.join(work, "prometheus/scrape.d"),
                reloadUrl: "http://127.0.0.1:19091/-/reload",
            },
            grafana: {
                provisioningDir: path.join(work, "grafana/provisioning/dashboards"),
                dashboardsDir: path.join(work, "grafana/dashboards"),
                datasourcesDir: path.join(work, "grafana/provisioning/datasources"),
            },
        });
        await waitFor("sshd", () => (ssh(host, "true").status === 0 ? true : undefined), 15_000);
    });
    after(() => {
        host?.sshd.kill();
        if (work) fs.rmSync(work, { recursive: true, force: true });
        if (host) fs.rmSync(host.dir, { recursive: true, force: true });
    });

    it("connects only when the host key matches the pinned one", () => {
        assert.strictEqual(ssh(host, "echo pinned").stdout.trim(), "pinned");
        const other = fs
            .readFileSync(path.join(host.dir, "client_key.pub"), "utf8")
            .trim()
            .split(" ")
            .slice(0, 2)
            .join(" ");
        const refused = ssh(host, "echo pinned", { hostKey: other });
        assert.notStrictEqual(refused.status, 0);
        assert.match(refused.stderr, /Host key verification failed/);
    });

    it("TLS: create twice keeps the same CA and keys; delete removes them all", () => {
        const first = create(host, generateTlsScript(tlsStepOf(plan)));
        assert.strictEqual(first.status, 0, first.stderr);
        assert.match(first.stdout, /^-----BEGIN CERTIFICATE-----/);
        const keyBefore = fs.readFileSync(path.join(tlsStepOf(plan).dir, "server.key"));
        const second = create(host, generateTlsScript(tlsStepOf(plan)));
        assert.strictEqual(second.stdout, first.stdout, "the CA apps trust stays the same");
        assert.ok(
            keyBefore.equals(fs.readFileSync(path.join(tlsStepOf(plan).dir, "server.key"))),
            "the server key is not re-made",
        );
        assert.strictEqual(second.stderr, "", "nothing to report the second time");
        const key = fs.statSync(path.join(tlsStepOf(plan).dir, "server.key"));
        assert.deepStrictEqual(
            [key.uid, key.mode & 0o777],
            [10001, 0o400],
            "the key is readable by the collector's user only",
        );
        const caKey = fs.statSync(path.join(tlsStepOf(plan).caDir, "ca.key"));
        assert.deepStrictEqual([caKey.uid, caKey.mode & 0o777], [0, 0o400], "the CA key is root's");
        assert.deepStrictEqual(
            fs.readdirSync(tlsStepOf(plan).dir).sort(),
            ["server.crt", "server.key", "server.names"],
            "the collector sees no CA key",
        );
        // The certificate verifies against the CA for the name apps use.
        runOk("openssl", [
            "verify",
            "-CAfile",
            path.join(tlsStepOf(plan).caDir, "ca.crt"),
            "-verify_hostname",
            plan.app.endpointHost,
            path.join(tlsStepOf(plan).dir, "server.crt"),
        ]);
        const removed = destroy(host, removeTlsScript(tlsStepOf(plan)));
        assert.strictEqual(removed.status, 0, removed.stderr);
        assert.ok(
            !fs.existsSync(tlsStepOf(plan).dir) && !fs.existsSync(tlsStepOf(plan).caDir),
            "the TLS and CA directories are gone",
        );
    });

    it("TLS: after generate -> provided -> generate, the served certificate is the CA's again", () => {
        const step = tlsStepOf(plan);
        assert.strictEqual(create(host, generateTlsScript(step)).status, 0);
        // An operator's own certificate, as tls.mode provided places it.
        const own = tempDir("own-cert");
        runOk("openssl", [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "365",
            "-subj",
            `/CN=${plan.app.endpointHost}`,
            "-keyout",
            path.join(own, "key.pem"),
            "-out",
            path.join(own, "cert.pem"),
        ]);
        const provided = create(
            host,
            providedTlsScript(
                step,
                fs.readFileSync(path.join(own, "cert.pem"), "utf8"),
                fs.readFileSync(path.join(own, "key.pem"), "utf8"),
            ),
        );
        fs.rmSync(own, { recursive: true, force: true });
        assert.strictEqual(provided.status, 0, provided.stderr);
        const back = create(host, generateTlsScript(step));
        assert.strictEqual(back.status, 0, back.stderr);
        assert.match(back.stderr, /issued a server certificate/);
        runOk("openssl", [
            "verify",
            "-CAfile",
            path.join(step.caDir, "ca.crt"),
            "-verify_hostname",
            plan.app.endpointHost,
            path.join(step.dir, "server.crt"),
        ]);
        assert.strictEqual(destroy(host, removeTlsScript(step)).status, 0);
    });

    it("TLS: the host renews a certificate near expiry by itself, with the script its daily timer runs", () => {
        const step = tlsStepOf(plan);
        assert.strictEqual(create(host, generateTlsScript(step)).status, 0);
        const script = renewalScriptPath(step.caDir);
        const stat = fs.statSync(script);
        assert.deepStrictEqual([stat.uid, stat.mode & 0o777], [0, 0o500], "the renewal script is root's");
        // The units as placed, checked by systemd's own parser (a warning counts as a failure).
        const units = ["service", "timer"].map((kind) => `/etc/systemd/system/${renewalUnit}.${kind}`);
        const verify = run("systemd-analyze", ["verify", ...units]);
        assert.deepStrictEqual([verify.status, verify.stderr], [0, ""], "systemd-analyze verify");
        assert.match(fs.readFileSync(units[0], "utf8"), new RegExp(`^ExecStart=/bin/sh ${script}$`, "m"));

        // A server certificate of the same CA and names that expires tomorrow.
        const work = tempDir("expiring");
        runOk("openssl", [
            "req",
            "-new",
            "-key",
            path.join(step.dir, "server.key"),
            "-subj",
            "/CN=expiring",
            "-out",
            path.join(work, "csr"),
        ]);
        runOk("openssl", [
            "x509",
            "-req",
            "-in",
            path.join(work, "csr"),
            "-CA",
            path.join(step.caDir, "ca.crt"),
            "-CAkey",
            path.join(step.caDir, "ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-out",
            path.join(step.dir, "server.crt"),
        ]);
        fs.rmSync(work, { recursive: true, force: true });

        // What the timer's service runs, as root on the host.
        const renewed = ssh(host, `/bin/sh ${script}`);
        assert.strictEqual(renewed.status, 0, renewed.stderr);
        assert.match(renewed.stderr, /issued a server certificate/);
        runOk("openssl", [
            "x509",
            "-checkend",
            String(30 * 24 * 3600),
            "-noout",
            "-in",
            path.join(step.dir, "server.crt"),
        ]);
        runOk("openssl", [
            "verify",
            "-CAfile",
            path.join(step.caDir, "ca.crt"),
            "-verify_hostname",
            plan.app.endpointHost,
            path.join(step.dir, "server.crt"),
        ]);
        assert.strictEqual(ssh(host, `/bin/sh ${script}`).stderr, "", "run again, it changes nothing");

        assert.strictEqual(destroy(host, removeTlsScript(step)).status, 0);
        for (const file of [script, ...units]) assert.ok(!fs.existsSync(file), `${file} removed`);
    });

    it("firewall: create twice loads one table; delete removes table, ruleset and units", () => {
        const ruleset = renderRuleset({ classes: plan.collectorHosts[0].firewall.classes });
        const rulesetPath = plan.collectorHosts[0].firewall.rulesetPath;
        try {
            assert.strictEqual(create(host, applyFirewallScript(ruleset, rulesetPath)).status, 0);
            const loaded = runOk("nft", ["list", "table", "inet", firewallTable]);
            const again = create(host, applyFirewallScript(ruleset, rulesetPath));
            assert.strictEqual(again.status, 0, again.stderr);
            assert.ok(!again.stderr.includes("changed"), again.stderr);
            assert.strictEqual(runOk("nft", ["list", "table", "inet", firewallTable]), loaded);
            const bad = create(host, applyFirewallScript(ruleset.replace("10.20.1.0/24", "10.20.1.0/99"), rulesetPath));
            assert.notStrictEqual(bad.status, 0, "a ruleset nft rejects fails the step");
            assert.strictEqual(
                runOk("nft", ["list", "table", "inet", firewallTable]),
                loaded,
                "and leaves the loaded table alone",
            );
            assert.strictEqual(fs.readFileSync(rulesetPath, "utf8"), ruleset, "and the file on disk too");
        } finally {
            const removed = destroy(host, removeFirewallScript(rulesetPath));
            assert.strictEqual(removed.status, 0, removed.stderr);
        }
        assert.notStrictEqual(run("nft", ["list", "table", "inet", firewallTable]).status, 0);
        for (const file of [rulesetPath, ...firewallUnitPaths]) assert.ok(!fs.existsSync(file), `${file} removed`);
    });

    describe("Prometheus files and reload", () => {
        let prometheus: ChildProcess | undefined;
        let files: PrometheusFiles;
        const api = async (p: string) =>
            (await (await fetch(`http://127.0.0.1:19091/api/v1/${p}`)).json()) as {
                data: { groups: { rules: { name: string }[] }[] };
            };
        const loadedAlerts = async () =>
            (await api("rules")).data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort();

        before(async () => {
            const p = plan.prometheus;
            files = {
                rulesPath: p.rulesPath,
                rules: renderRules(p.rules),
                scrapePath: p.scrapePath,
                scrape: renderScrapeConfig(p.scrape),
                reloadUrl: p.reloadUrl,
            };
            const config = path.join(work, "prometheus/prometheus.yml");
            fs.mkdirSync(path.dirname(config), { recursive: true });
            fs.writeFileSync(config, `rule_files: ["${path.dirname(p.rulesPath)}/*.yml"]\n`);
            prometheus = spawn(
                tools.prometheus,
                [
                    `--config.file=${config}`,
                    `--storage.tsdb.path=${path.join(work, "prometheus/data")}`,
                    "--web.listen-address=127.0.0.1:19091",
                    "--web.enable-lifecycle",
                ],
                { stdio: "ignore" },
            );
            await waitFor(
                "Prometheus",
                async () => (await fetch("http://127.0.0.1:19091/-/ready")).ok || undefined,
                30_000,
            );
        });
        after(() => prometheus?.kill());

        it("create places both files and reloads; running it again is harmless", async () => {
            const before = listTree(path.join(work, "prometheus/rules.d"));
            assert.deepStrictEqual(before, []);
            const first = create(host, placePrometheusFilesScript(files));
            assert.strictEqual(first.status, 0, first.stderr);
            const alerts = await loadedAlerts();
            assert.strictEqual(alerts.length, (files.rules.match(/- alert:/g) ?? []).length, alerts.join(", "));
            const second = create(host, placePrometheusFilesScript(files));
            assert.strictEqual(second.status, 0, second.stderr);
            assert.deepStrictEqual(await loadedAlerts(), alerts);
            assert.deepStrictEqual(
                listTree(path.dirname(files.rulesPath)),
                [path.basename(files.rulesPath)],
                "no stray temporary files",
            );
        });

        it("a rule file promtool rejects fails the step and changes nothing", async () => {
            const alerts = await loadedAlerts();
            const broken = { ...files, rules: files.rules.replace("expr: rate(", "expr: rate((") };
            const result = create(host, placePrometheusFilesScript(broken));
            assert.notStrictEqual(result.status, 0);
            assert.match(result.stderr, /promtool rejected the rules; nothing changed/);
            assert.strictEqual(fs.readFileSync(files.rulesPath, "utf8"), files.rules);
            assert.deepStrictEqual(await loadedAlerts(), alerts);
        });

        it("without promtool on the host, a reload Prometheus refuses puts the old files back and fails the step", async () => {
            const alerts = await loadedAlerts();
            const broken = { ...files, rules: files.rules.replace("expr: rate(", "expr: rate((") };
            // The same script, on a host whose PATH has everything it uses but promtool.
            const bin = path.join(work, "bin-without-promtool");
            fs.mkdirSync(bin, { recursive: true });
            for (const tool of ["base64", "cat", "chmod", "cp", "curl", "dirname", "mkdir", "mv", "rm"]) {
                const target = runOk("sh", ["-c", `command -v ${tool}`]).trim();
                if (!fs.existsSync(path.join(bin, tool))) fs.symlinkSync(target, path.join(bin, tool));
            }
            const result = create(host, `PATH=${bin}; export PATH\n${placePrometheusFilesScript(broken)}`);
            assert.notStrictEqual(result.status, 0);
            assert.match(result.stderr, /reload failed; the previous files are back/);
            assert.strictEqual(fs.readFileSync(files.rulesPath, "utf8"), files.rules, "the previous rule file is back");
            assert.deepStrictEqual(await loadedAlerts(), alerts, "Prometheus keeps its running rules");
        });

        it("delete removes both files, reloads, and leaves nothing behind", async () => {
            const removed = destroy(host, removePrometheusFilesScript(files));
            assert.strictEqual(removed.status, 0, removed.stderr);
            assert.deepStrictEqual(listTree(path.dirname(files.rulesPath)), []);
            assert.deepStrictEqual(listTree(path.dirname(files.scrapePath)), []);
            assert.deepStrictEqual(await loadedAlerts(), []);
        });
    });

    it("Grafana: create places the provider, the Jaeger data source and the dashboards readable by Grafana's user, changes nothing the second time, removes a stale dashboard; delete leaves nothing", () => {
        const grafana = plan.grafana;
        assert.ok(grafana);
        const step = grafanaPlacement(grafana).step;
        const stale = path.join(grafana.dashboardsDir, "ivatar-otel-old-development.json");
        // Grafana's own provisioning directory, as its package makes it: the step writes into it, never makes or removes it.
        fs.mkdirSync(path.dirname(grafana.providerPath), { recursive: true, mode: 0o755 });
        fs.mkdirSync(path.dirname(grafana.datasourcePath), { recursive: true, mode: 0o755 });
        const first = create(host, step.create);
        assert.strictEqual(first.status, 0, first.stderr);
        assert.strictEqual((first.stderr.match(/^changed /gm) ?? []).length, 5, first.stderr);
        assert.strictEqual(fs.statSync(grafana.datasourcePath).mode & 0o777, 0o644);
        // The steps' umask is 077; Grafana runs as another user and must search and read them.
        for (const dir of [path.dirname(grafana.providerPath), grafana.dashboardsDir])
            assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o755, dir);
        for (const name of fs.readdirSync(grafana.dashboardsDir)) {
            assert.strictEqual(fs.statSync(path.join(grafana.dashboardsDir, name)).mode & 0o777, 0o644, name);
            JSON.parse(fs.readFileSync(path.join(grafana.dashboardsDir, name), "utf8"));
        }
        fs.writeFileSync(stale, "{}");
        const second = create(host, step.create);
        assert.strictEqual(second.status, 0, second.stderr);
        assert.doesNotMatch(second.stderr, /^changed /m, "nothing rewritten the second time");
        assert.match(second.stderr, /^removed .*ivatar-otel-old-development\.json$/m);
        assert.strictEqual(fs.readdirSync(grafana.dashboardsDir).length, 3);

        const removed = destroy(host, step.delete);
        assert.strictEqual(removed.status, 0, removed.stderr);
        assert.ok(
            !fs.existsSync(grafana.providerPath) &&
                !fs.existsSync(grafana.datasourcePath) &&
                !fs.existsSync(path.dirname(grafana.dashboardsDir)),
            listTree(path.join(work, "grafana")).join(", "),
        );
        assert.ok(fs.existsSync(path.dirname(grafana.providerPath)), "Grafana's provisioning directory stays");
    });
});
