// OTLP clients for the live tests (the OpenTelemetry JS SDK's own exporters), and Jaeger's
// /api/v3 query API.
import * as grpc from "@grpc/grpc-js";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPTraceExporter as HttpExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { Resource } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import {
    BasicTracerProvider,
    InMemorySpanExporter,
    ReadableSpan,
    SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { sendSpans } from "../checks/canary";
import { waitFor } from "./tools";

export interface SpanBatch {
    service: string;
    /** Number of traces, one root span each plus `children` child spans. */
    traces: number;
    children?: number;
    error?: boolean;
    attributes?: Record<string, string>;
    /** Root span name (default "request <i>"). */
    name?: string;
    /** Root span kind (default internal). */
    kind?: SpanKind;
    /** Status message of error traces (default "test error"). */
    statusMessage?: string;
    /** An event on each root span. */
    event?: { name: string; attributes?: Record<string, string> };
    /** Attributes of a link from each root span to a span of another trace. */
    linkAttributes?: Record<string, string>;
}

/** Makes finished spans in memory; each root span starts a new trace. */
export function makeSpans(batch: SpanBatch): ReadableSpan[] {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: new Resource({ "service.name": batch.service }) });
    provider.addSpanProcessor(new SimpleSpanProcessor(memory));
    const tracer = provider.getTracer("ivatar-otel-tests");
    for (let i = 0; i < batch.traces; i++) {
        const links = batch.linkAttributes
            ? [
                  {
                      context: {
                          traceId: "0af7651916cd43dd8448eb211c80319c",
                          spanId: "b7ad6b7169203331",
                          traceFlags: 1,
                      },
                      attributes: batch.linkAttributes,
                  },
              ]
            : [];
        const root = tracer.startSpan(
            batch.name ?? `request ${i}`,
            { attributes: batch.attributes, links, kind: batch.kind },
            ROOT_CONTEXT,
        );
        if (batch.event) root.addEvent(batch.event.name, batch.event.attributes);
        // Children name their parent explicitly: no context manager is registered here.
        const parent = trace.setSpan(ROOT_CONTEXT, root);
        for (let c = 0; c < (batch.children ?? 0); c++) tracer.startSpan(`step ${c}`, {}, parent).end();
        if (batch.error) root.setStatus({ code: SpanStatusCode.ERROR, message: batch.statusMessage ?? "test error" });
        root.end();
    }
    return memory.getFinishedSpans();
}

export interface Target {
    protocol: "grpc" | "http";
    /** host:port */
    address: string;
    /** Bearer token to send, if any. */
    token?: string;
    /** PEM CA to trust; without it the client speaks plaintext. */
    ca?: string;
}

/** Exports the spans once; resolves with the exporter's verdict (never rejects). */
export async function exportSpans(
    target: Target,
    spans: ReadableSpan[],
    timeoutMillis = 15_000,
): Promise<ExportResult> {
    // gRPC as an app sends it: the deploy check's own client.
    if (target.protocol === "grpc")
        return sendSpans(
            { address: target.address, tls: target.ca !== undefined, ca: target.ca, token: target.token },
            spans,
            timeoutMillis,
        );
    const exporter = new HttpExporter({
        url: `${target.ca ? "https" : "http"}://${target.address}/v1/traces`,
        headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
        httpAgentOptions: target.ca ? { ca: target.ca } : {},
        timeoutMillis,
    });
    try {
        return await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    } finally {
        await exporter.shutdown().catch(() => undefined);
    }
}

export const succeeded = (r: ExportResult) => r.code === ExportResultCode.SUCCESS;

/**
 * Exports the spans and fails with the exporter's error unless the collector took them. A refused
 * connection (nothing received) is tried again up to twice, a second apart, as an app's SDK
 * retries; each retry is logged.
 */
export async function assertExported(target: Target, spans: ReadableSpan[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
        const result = await exportSpans(target, spans);
        if (succeeded(result)) return;
        const refused = /No connection established|ECONNREFUSED/.test(String(result.error));
        if (!refused || attempt === 3) throw new Error(`export to ${target.address} failed: ${String(result.error)}`);
        console.log(
            `      export to ${target.address} refused the connection (${String(result.error).slice(0, 120)}); trying again`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
}

/**
 * HTTP server metrics as ivatar's Django instrumentation records them (the same OTLP names,
 * units and kinds), sent over OTLP gRPC with the SDK's own exporter; resolves once flushed.
 */
export async function exportAppMetrics(
    target: Target,
    service: string,
    requests: { status: number; ms: number }[],
): Promise<void> {
    const metadata = new grpc.Metadata();
    if (target.token) metadata.set("authorization", `Bearer ${target.token}`);
    const exporter = new OTLPMetricExporter({
        url: `https://${target.address}`,
        credentials: grpc.credentials.createSsl(Buffer.from(target.ca ?? "")),
        metadata,
        timeoutMillis: 15_000,
    });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ resource: new Resource({ "service.name": service }), readers: [reader] });
    const meter = provider.getMeter("opentelemetry.instrumentation.django");
    const duration = meter.createHistogram("http.server.duration", {
        unit: "ms",
        description: "Duration of HTTP server requests.",
    });
    const active = meter.createUpDownCounter("http.server.active_requests", {
        unit: "{request}",
        description: "Number of active HTTP server requests.",
    });
    active.add(1, { "http.method": "GET" });
    for (const r of requests) duration.record(r.ms, { "http.method": "GET", "http.status_code": r.status });
    await provider.forceFlush();
    await provider.shutdown();
}

export interface JaegerSpan {
    traceId: string;
    name: string;
    attributes?: { key: string; value: { stringValue?: string } }[];
}

/** Waits until Jaeger's query API answers (after a start or restart). */
export async function waitForJaeger(baseUrl: string): Promise<void> {
    await waitFor("Jaeger query API", async () => (await fetch(`${baseUrl}/api/v3/services`)).ok || undefined, 60_000);
}

/** Every span Jaeger holds for a service in the last hour (empty when none). */
export async function jaegerSpans(baseUrl: string, service: string, maxTraces = 5000): Promise<JaegerSpan[]> {
    const now = Date.now();
    const query = new URLSearchParams({
        "query.service_name": service,
        "query.start_time_min": new Date(now - 3_600_000).toISOString(),
        "query.start_time_max": new Date(now + 60_000).toISOString(),
        "query.num_traces": String(maxTraces),
    });
    const response = await fetch(`${baseUrl}/api/v3/traces?${query}`);
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`Jaeger query failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { result: { resourceSpans: { scopeSpans: { spans: JaegerSpan[] }[] }[] } };
    return body.result.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

/** Waits until Jaeger holds `expected` spans of the service (or the time runs out); returns what it holds. */
export async function spansInJaeger(
    baseUrl: string,
    service: string,
    expected: number,
    timeoutMs = 120_000,
): Promise<number> {
    let held = 0;
    await waitFor(
        `${expected} spans of ${service}`,
        async () => {
            held = (await jaegerSpans(baseUrl, service)).length;
            return held >= expected || undefined;
        },
        timeoutMs,
    ).catch(() => undefined);
    return held;
}

export function distinctTraces(spans: { traceId: string }[]): number {
    return new Set(spans.map((s) => s.traceId)).size;
}
