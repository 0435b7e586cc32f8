// The certificate expiry the TLS step writes for node_exporter (tls.expiryMetricsDir), read by
// Debian's node_exporter through its textfile collector: the value is the served certificate's
// notAfter, a renewal run rewrites it, and a missing directory stops the step naming the key.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    certificateExpiryMetric,
    expiryMetricsFile,
    generateTlsScript,
    removeTlsScript,
    TlsStepSettings,
} from "../../components/tls/steps";
import { renewalScriptPath } from "../../components/tls/renewal";
import { ensureToolchain, run, runOk, tempDir, waitFor } from "../tools";

const port = 19100;

describe("live: the certificate's expiry through node_exporter", function () {
    this.timeout(120_000);
    let work = "";
    let step: TlsStepSettings;
    let exporter: ChildProcess | undefined;

    /** The metric's value as node_exporter serves it, and the textfile collector's error flag. */
    async function scraped(): Promise<{ value?: number; error?: number; line?: string }> {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith(`${certificateExpiryMetric}{`));
        const error = text.split("\n").find((l) => l.startsWith("node_textfile_scrape_error"));
        return {
            ...(line ? { line, value: Number(line.split(" ").pop()) } : {}),
            ...(error ? { error: Number(error.split(" ").pop()) } : {}),
        };
    }
    const notAfter = () =>
        Date.parse(new X509Certificate(fs.readFileSync(path.join(step.dir, "server.crt"))).validTo) / 1000;

    before(async () => {
        work = tempDir("certificate-expiry");
        const metrics = path.join(work, "textfile");
        fs.mkdirSync(metrics);
        step = {
            dir: path.join(work, "tls"),
            caDir: path.join(work, "ca"),
            owner: "10001:10001",
            serverNames: ["collector.internal", "localhost"],
            expiryMetrics: { dir: metrics, environment: "production" },
        };
        exporter = spawn(
            ensureToolchain().nodeExporter,
            [
                "--collector.disable-defaults",
                "--collector.textfile",
                `--collector.textfile.directory=${metrics}`,
                `--web.listen-address=127.0.0.1:${port}`,
            ],
            { stdio: "ignore" },
        );
        await waitFor(
            "node_exporter",
            async () => (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.ok || undefined,
            30_000,
        );
    });
    after(() => {
        exporter?.kill("SIGTERM");
        // The step placed its renewal units on this machine too: the removal takes them away.
        if (step) runOk("sh", ["-s"], { input: removeTlsScript(step) });
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("the TLS step writes the served certificate's expiry, and node_exporter serves it with the stack's labels", async () => {
        runOk("sh", ["-s"], { input: generateTlsScript(step) });
        const metric = await scraped();
        assert.strictEqual(metric.error, 0, "node_exporter read the file without an error");
        assert.match(metric.line ?? "", /\{environment="production",server="collector\.internal"\}/);
        assert.strictEqual(metric.value, notAfter());
        assert.strictEqual(
            fs.statSync(path.join(step.expiryMetrics?.dir ?? "", expiryMetricsFile)).mode & 0o777,
            0o644,
        );
    });

    it("the daily renewal's run rewrites it for the certificate it issued", async () => {
        const before = (await scraped()).value;
        // A certificate gone (as one past its window would be replaced): the renewal issues a new one.
        fs.rmSync(path.join(step.dir, "server.crt"));
        await new Promise((resolve) => setTimeout(resolve, 1100));
        runOk("sh", [renewalScriptPath(step.caDir)]);
        const after = (await scraped()).value;
        assert.strictEqual(after, notAfter());
        assert.ok(after !== undefined && before !== undefined && after > before, `${before} -> ${after}`);
    });

    it("stops the step when the directory is missing, naming tls.expiryMetricsDir", () => {
        const missing = { ...step, expiryMetrics: { dir: path.join(work, "no-such-dir"), environment: "production" } };
        const result = run("sh", ["-s"], { input: generateTlsScript(missing) });
        assert.notStrictEqual(result.status, 0);
        assert.match(result.stderr, /no-such-dir \(tls\.expiryMetricsDir\) does not exist/);
    });
});
