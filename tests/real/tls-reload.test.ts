// A renewed certificate is served by the running collector without a restart: the TLS step
// re-issues it on the host, the collector re-reads it after `tls.reloadInterval`, and clients
// that trust the stack's CA keep sending without losing a span.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { generateTlsScript } from "../../components/tls/steps";
import { LiveStack, useLiveStack } from "../live";
import { distinctTraces, exportSpans, jaegerSpans, makeSpans, succeeded } from "../otlp";
import { runOk, waitFor } from "../tools";
import { tlsStepOf } from "../deployed";

const runId = Date.now().toString(36);

/** Serial number of the certificate the collector serves now, verified against the stack's CA. */
function servedSerial(s: LiveStack): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect(
            {
                host: "127.0.0.1",
                port: s.plan.collectorHosts[0].collector.ports.otlpGrpc,
                ca: s.ca,
                servername: "localhost",
                ALPNProtocols: ["h2"],
            },
            () => {
                const serial = socket.getPeerCertificate().serialNumber;
                socket.end();
                resolve(serial);
            },
        );
        socket.on("error", reject);
    });
}

describe("live: certificate renewal without a restart", function () {
    this.timeout(300_000);
    const live = useLiveStack("development", { tls: { reloadInterval: "2s" } });

    it("serves the re-issued certificate within the reload interval; no restart, no span lost", async () => {
        const collector = live().artifacts.containers.collector.name;
        const state = () =>
            runOk("podman", ["inspect", "--format", "{{.State.StartedAt}} {{.RestartCount}}", collector]).trim();
        const before = { serial: await servedSerial(live()), state: state() };
        const service = `tls-reload-${runId}`;
        const send = async () => {
            const result = await exportSpans(live().target("grpc"), makeSpans({ service, traces: 20, children: 1 }));
            assert.ok(succeeded(result), `export failed: ${result.error}`);
        };
        await send();

        // The TLS step as the host runs it: a name change (here: the record of names removed)
        // makes it issue a new certificate from the same CA.
        fs.rmSync(path.join(tlsStepOf(live().plan).dir, "server.names"));
        const renewed = runOk("sh", ["-s"], { input: generateTlsScript(tlsStepOf(live().plan)) });
        assert.strictEqual(renewed, live().ca, "the CA apps trust stays the same");

        const after = await waitFor(
            "the new certificate served",
            async () => {
                const serial = await servedSerial(live());
                return serial !== before.serial ? serial : undefined;
            },
            30_000,
        );
        await send();
        assert.notStrictEqual(after, before.serial);
        assert.strictEqual(state(), before.state, "the collector was not restarted");
        const traces = await waitFor(
            "40 traces in Jaeger",
            async () => {
                const held = distinctTraces(await jaegerSpans(live().jaegerUrl, service));
                return held >= 40 ? held : undefined;
            },
            90_000,
        );
        assert.strictEqual(traces, 40);
    });
});
