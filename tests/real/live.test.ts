// Live, end to end on this machine's Podman: the collector and Jaeger from the components' own
// specs and files, real OTLP clients, Jaeger's query API, the collector's metrics, Prometheus.
import * as assert from "assert";
import { SpanKind } from "@opentelemetry/api";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LiveStack, startScrapingPrometheus, useLiveStack } from "../live";
import { distinctTraces, exportSpans, jaegerSpans, makeSpans, succeeded, Target } from "../otlp";
import { ensureToolchain, run, tempDir, waitFor } from "../tools";
import { refusedRequests } from "../../components/selfMetrics";
import { tlsStepOf } from "../deployed";

const runId = Date.now().toString(36);

/** Waits until Jaeger holds `expected` traces for the service (tail sampling decides after 10 s). */
async function tracesInJaeger(s: LiveStack, service: string, expected: number, timeoutMs = 90_000): Promise<number> {
    let last = 0;
    try {
        return await waitFor(
            `${expected} traces of ${service} in Jaeger`,
            async () => {
                last = distinctTraces(await jaegerSpans(s.jaegerUrl, service));
                return last >= expected ? last : undefined;
            },
            timeoutMs,
        );
    } catch {
        return last;
    }
}

describe("live: development stack on local Podman", function () {
    this.timeout(600_000);
    const live = useLiveStack("development");
    const tools = ensureToolchain;

    for (const protocol of ["grpc", "http"] as const) {
        it(`delivers every trace sent over OTLP ${protocol} with TLS and the token to Jaeger`, async () => {
            const service = `live-${protocol}-${runId}`;
            const result = await exportSpans(live().target(protocol), makeSpans({ service, traces: 25, children: 2 }));
            assert.ok(succeeded(result), `export failed: ${result.error}\n${live().logs()}`);
            const found = await tracesInJaeger(live(), service, 25);
            assert.strictEqual(found, 25, `Jaeger holds ${found} of 25 traces\n${live().logs()}`);
            const spans = await jaegerSpans(live().jaegerUrl, service);
            assert.strictEqual(spans.length, 75, "every span of every trace");
        });
    }

    for (const [what, change] of [
        ["without the token", (t: Target) => ({ ...t, token: undefined })],
        ["with a wrong token", (t: Target) => ({ ...t, token: "not-the-token" })],
        ["in plaintext", (t: Target) => ({ ...t, ca: undefined })],
    ] as const) {
        for (const protocol of ["grpc", "http"] as const) {
            it(`rejects an OTLP ${protocol} request ${what}`, async () => {
                const service = `live-rejected-${protocol}-${what.replace(/\W+/g, "-")}-${runId}`;
                const target = change(live().target(protocol));
                const result = await exportSpans(target, makeSpans({ service, traces: 3 }));
                assert.ok(!succeeded(result), "the collector must refuse it");
                await new Promise((resolve) => setTimeout(resolve, 12_000));
                assert.strictEqual(
                    distinctTraces(await jaegerSpans(live().jaegerUrl, service)),
                    0,
                    "nothing of it may be stored",
                );
            });
        }
    }

    it("stores no e-mail address or credential sent in attributes, span and event names, status messages or links", async () => {
        const service = `live-redaction-${runId}`;
        const email = `alice.${runId}@example.org`;
        const attributes = {
            "enduser.email": email,
            "http.url": `https://ivatar.example/avatar?email=${email}`,
            "http.request.header.authorization": `Bearer sekrit${runId}`,
        };
        const result = await exportSpans(
            live().target("grpc"),
            makeSpans({
                service,
                traces: 2,
                attributes,
                error: true,
                name: `GET /avatar/${email}`,
                statusMessage: `no avatar for ${email} (Bearer sekrit${runId})`,
                event: { name: `lookup ${email}`, attributes: { query: `email = '${email}'` } },
                linkAttributes: { "messaging.destination": `avatars-for-${email}` },
            }),
        );
        assert.ok(succeeded(result));
        assert.strictEqual(await tracesInJaeger(live(), service, 2), 2, live().logs());
        const raw = JSON.stringify(await jaegerSpans(live().jaegerUrl, service));
        assert.ok(!raw.includes(email), "the e-mail address reached Jaeger");
        assert.ok(!raw.includes(`sekrit${runId}`), "the credential reached Jaeger");
        assert.match(raw, /"key":"enduser.email","value":\{"stringValue":"\*+"/, "the attribute stays, masked");
        assert.match(raw, /"name":"GET \/avatar\/\*\*\*\*"/, "the span name stays, masked");
        assert.match(raw, /"message":"no avatar for \*\*\*\* \(\*\*\*\*\)"/, "the status message stays, masked");
        assert.match(raw, /"name":"lookup \*\*\*\*"/, "the event name stays, masked");
        assert.ok(!raw.includes("b7ad6b7169203331"), "the link was stored");
    });

    it("truncates client addresses before storage (IPv4 to /24, IPv6 to /48), a server span's peer too, and leaves a client span's peer whole", async () => {
        const service = `live-addresses-${runId}`;
        const sent = {
            server: {
                "client.address": "203.0.113.77",
                "http.client_ip": "198.51.100.23, 203.0.113.77",
                "client.socket.address": "2001:db8:85a3:8d3:1319:8a2e:370:7348",
                "network.peer.address": "2001:db8::42",
                "net.peer.ip": "192.0.2.201",
                "net.sock.peer.addr": "::ffff:192.0.2.201",
            },
            client: { "network.peer.address": "10.20.30.40", "net.peer.ip": "2001:db8:1:2::7" },
        };
        const stored = {
            server: {
                "client.address": "203.0.113.0",
                "http.client_ip": "198.51.100.0, 203.0.113.0",
                "client.socket.address": "2001:db8:85a3::",
                "network.peer.address": "2001:db8::",
                "net.peer.ip": "192.0.2.0",
                "net.sock.peer.addr": "::",
            },
            client: sent.client,
        };
        for (const [name, kind] of [
            ["server", SpanKind.SERVER],
            ["client", SpanKind.CLIENT],
        ] as const) {
            const spans = makeSpans({ service, traces: 1, error: true, kind, name, attributes: sent[name] });
            assert.ok(succeeded(await exportSpans(live().target("grpc"), spans)));
        }
        assert.strictEqual(await tracesInJaeger(live(), service, 2), 2, live().logs());
        const spans = await jaegerSpans(live().jaegerUrl, service);
        for (const name of ["server", "client"] as const) {
            const attributes = spans.find((s) => s.name === name)?.attributes ?? [];
            const held = Object.fromEntries(
                attributes.filter((a) => a.key in sent[name]).map((a) => [a.key, a.value.stringValue]),
            );
            assert.deepStrictEqual(held, stored[name], `${name} span`);
        }
    });

    it("masks the name and status message of a span without events too", async () => {
        const service = `live-redaction-plain-${runId}`;
        const email = `bob.${runId}@example.org`;
        const result = await exportSpans(
            live().target("grpc"),
            makeSpans({
                service,
                traces: 2,
                error: true,
                name: `GET /avatar/${email}`,
                statusMessage: `no avatar for ${email}`,
            }),
        );
        assert.ok(succeeded(result));
        assert.strictEqual(await tracesInJaeger(live(), service, 2), 2, live().logs());
        const raw = JSON.stringify(await jaegerSpans(live().jaegerUrl, service));
        assert.ok(!raw.includes(email), `the e-mail address reached Jaeger: ${raw.slice(0, 400)}`);
        assert.match(raw, /"name":"GET \/avatar\/\*\*\*\*"/, "the span name stays, masked");
    });

    it("keeps the token out of `podman inspect` and the containers' logs", () => {
        for (const spec of [live().artifacts.containers.collector, live().artifacts.containers.jaeger]) {
            const inspect = run("podman", ["inspect", spec.name]);
            assert.strictEqual(inspect.status, 0, inspect.stderr);
            assert.ok(!inspect.stdout.includes(live().token), `${spec.name}: the token shows in podman inspect`);
        }
        assert.ok(!live().logs().includes(live().token), "the token shows in the logs");
        assert.match(live().logs(), /bearertokenauth/, "the logs were read");
    });

    it("exposes app metrics sent over OTLP on the Prometheus exporter port", async () => {
        const name = `ivatar_live_${runId}`;
        const args = [
            "metrics",
            "--otlp-endpoint",
            `localhost:${live().plan.collectorHosts[0].collector.ports.otlpGrpc}`,
            "--ca-cert",
            path.join(tlsStepOf(live().plan).caDir, "ca.crt"),
            "--otlp-header",
            `authorization="Bearer ${live().token}"`,
            "--metrics",
            "3",
            "--otlp-metric-name",
            name,
        ];
        const result = run(tools().telemetrygen, args);
        assert.strictEqual(result.status, 0, result.stderr);
        const text = await waitFor("metric on :9464", async () => {
            const body = await (
                await fetch(
                    `http://127.0.0.1:${live().plan.collectorHosts[0].collector.ports.prometheusExporter}/metrics`,
                )
            ).text();
            return body.includes(name) ? body : undefined;
        });
        assert.match(text, new RegExp(`^${name}(_total)?\\{`, "m"));
    });

    describe("Prometheus with the rendered rule and scrape files", () => {
        let prometheus: ChildProcess | undefined;
        let dir: string;
        const port = 19090;
        after(() => {
            prometheus?.kill("SIGTERM");
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("loads every alert rule and sees the collector's and Jaeger's targets up", async () => {
            dir = tempDir("prometheus");
            const files = live().artifacts.files;
            const rules = Object.keys(files).find((f) => f.endsWith(".rules.yml"));
            assert.ok(rules);
            prometheus = startScrapingPrometheus(live().artifacts, dir, port, { rules: true });
            const api = (p: string) =>
                fetch(`http://127.0.0.1:${port}/api/v1/${p}`).then((r) => r.json()) as Promise<{
                    data: Record<string, unknown[]>;
                }>;
            const targets = await waitFor(
                "three targets up",
                async () => {
                    const active = (await api("targets")).data.activeTargets as {
                        labels: { job: string };
                        health: string;
                    }[];
                    return active.length === 3 && active.every((t) => t.health === "up") ? active : undefined;
                },
                60_000,
            );
            assert.deepStrictEqual(targets.map((t) => t.labels.job).sort(), [
                "jaeger",
                "otel-collector-exporter",
                "otel-collector-health",
            ]);
            const groups = (await api("rules")).data.groups as { rules: { name: string; health: string }[] }[];
            const loaded = groups.flatMap((g) => g.rules);
            assert.strictEqual(loaded.length, (files[rules].match(/- alert:/g) ?? []).length);
            assert.ok(
                loaded.every((r) => r.health !== "err"),
                JSON.stringify(loaded),
            );
        });
    });
});

/** Metric names the collector exposes on its internal metrics port right now. */
async function exposedNames(s: LiveStack): Promise<Set<string>> {
    return new Set((await s.internalMetrics()).keys());
}

describe("live: alert rule metric names on the pinned collector", function () {
    this.timeout(600_000);
    const live = useLiveStack("development");

    it("exposes on :8888 every metric name the alert rules use, failure counters included", async () => {
        const rules = Object.entries(live().artifacts.files).find(([f]) => f.endsWith(".rules.yml"))?.[1] ?? "";
        const used = [...new Set(rules.match(/\b(?:otelcol|rpc_server|http_server)_[a-z_]+/g))];
        assert.ok(used.length >= 9, used.join(", "));
        assert.ok(
            succeeded(
                await exportSpans(live().target("grpc"), makeSpans({ service: `live-names-${runId}`, traces: 5 })),
            ),
        );
        // Refused for the token: a wrong one over gRPC, none over HTTP.
        const refusedSpans = makeSpans({ service: `live-names-refused-${runId}`, traces: 1 });
        assert.ok(!succeeded(await exportSpans({ ...live().target("grpc"), token: "not-the-token" }, refusedSpans)));
        assert.ok(!succeeded(await exportSpans({ ...live().target("http"), token: undefined }, refusedSpans)));
        await new Promise((resolve) => setTimeout(resolve, 13_000));

        const names = await exposedNames(live());
        const text = await live().internalMetricsText();
        for (const { metric, status } of Object.values(refusedRequests)) {
            const counted = text.split("\n").filter((l) => l.startsWith(`${metric}{`) && l.includes(status));
            assert.ok(
                counted.some((l) => Number(l.split(" ").pop()) >= 1),
                `no ${metric}{${status}} >= 1 on :8888:\n${counted.join("\n")}`,
            );
        }
        // The detailed level adds the receivers' call counts; the views keep its costly size histograms out.
        const families = [...names].map((n) => n.replace(/_(sum|count|bucket)$/, ""));
        assert.deepStrictEqual([...new Set(families.filter((n) => /^(rpc|http)_/.test(n)))].sort(), [
            "http_server_request_duration",
            "rpc_server_call_duration",
        ]);
        for (const sized of ["otelcol_exporter_enqueue_size_bytes", "otelcol_processor_batch_batch_send_size_bytes"])
            assert.ok(!families.includes(sized), `${sized} is exposed: the views no longer drop it`);

        // Failure counters appear only once something fails. Provoke both with Jaeger gone and
        // two variants of the rendered config that change only the exporter's retry and queue:
        // one gives up at once (send failures), one holds a single batch (enqueue failures).
        run("podman", ["stop", "--time", "2", live().artifacts.containers.jaeger.name]);
        const variants: [string, Record<string, unknown>][] = [
            ["otelcol_exporter_send_failed_spans", { retry_on_failure: { enabled: false } }],
            [
                "otelcol_exporter_enqueue_failed_spans",
                { sending_queue: { enabled: true, storage: "file_storage/queue", queue_size: 1, num_consumers: 1 } },
            ],
        ];
        for (const [counter, change] of variants) {
            await live().restartCollectorWithExporter(change);
            await waitFor(
                counter,
                async () => {
                    await exportSpans(live().target("grpc"), makeSpans({ service: `live-names-${runId}`, traces: 5 }));
                    const exposed = await exposedNames(live());
                    exposed.forEach((n) => names.add(n));
                    return exposed.has(counter) || undefined;
                },
                90_000,
            ).catch(() => undefined);
        }
        const missing = used.filter((n) => !names.has(n));
        assert.deepStrictEqual(
            missing,
            [],
            `the live collector exposes none of: ${missing.join(", ")}\nit exposes: ${[...names].filter((n) => n.startsWith("otelcol_")).join(", ")}`,
        );
    });
});

describe("live: production sampling on local Podman", function () {
    this.timeout(600_000);
    const live = useLiveStack("production");

    it("keeps every error trace and samplingRatio of the others, within 4.5 standard deviations", async () => {
        const ratio = live().plan.collectorHosts[0].collector.config.samplingRatio;
        assert.strictEqual(ratio, 0.1);
        const sent = 2000;
        const errors = 150;
        const okService = `live-sampled-${runId}`;
        const errorService = `live-errors-${runId}`;
        for (let i = 0; i < sent; i += 500) {
            assert.ok(
                succeeded(await exportSpans(live().target("grpc"), makeSpans({ service: okService, traces: 500 }))),
            );
        }
        assert.ok(
            succeeded(
                await exportSpans(
                    live().target("grpc"),
                    makeSpans({ service: errorService, traces: errors, error: true, children: 1 }),
                ),
            ),
        );

        assert.strictEqual(
            await tracesInJaeger(live(), errorService, errors),
            errors,
            `every error trace is kept\n${live().logs()}`,
        );
        // Binomial(2000, 0.1): mean 200, standard deviation sqrt(2000 * 0.1 * 0.9) = 13.4.
        const mean = sent * ratio;
        const bound = 4.5 * Math.sqrt(sent * ratio * (1 - ratio));
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        const kept = distinctTraces(await jaegerSpans(live().jaegerUrl, okService));
        console.log(
            `      sampling: kept ${kept} of ${sent} non-error traces (expected ${mean} ± ${bound.toFixed(0)}), ${errors} of ${errors} error traces`,
        );
        assert.ok(Math.abs(kept - mean) <= bound, `kept ${kept}, expected ${mean} ± ${bound.toFixed(1)}`);
    });
});
