// The benchmark's load generator, run as its own process on the load CPU. One OTLP request of
// ivatar-like traces is built once with the OpenTelemetry SDK and its protobuf serializer; every
// request sent is a copy with fresh trace IDs written in place, so the generator costs little
// CPU and the collector, not the client, is what saturates. gRPC with TLS and the token, like an
// app container. Prints one JSON line of counts when done.
import * as grpc from "@grpc/grpc-js";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { Resource } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { randomFillSync } from "crypto";
import * as fs from "fs";
import { parseArgs } from "util";
import { errorShare, ivatarAttributes, spansPerTrace } from "./load";

export interface RequestTemplate {
    bytes: Buffer;
    /** Per trace, every offset of its 16-byte trace ID in `bytes`. */
    traceIdOffsets: number[][];
    spans: number;
}

/** One request of `traces` traces, each a request span with nine children, one in twenty an error. */
export function buildTemplate(traces: number): RequestTemplate {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
        resource: new Resource({ "service.name": "ivatar-bench", "service.version": "1.8.0" }),
    });
    provider.addSpanProcessor(new SimpleSpanProcessor(memory));
    const tracer = provider.getTracer("ivatar-bench");
    const ids: string[] = [];
    for (let t = 0; t < traces; t++) {
        const root = tracer.startSpan(
            "GET /avatar/<hash>",
            { kind: SpanKind.SERVER, attributes: ivatarAttributes },
            ROOT_CONTEXT,
        );
        const parent = trace.setSpan(ROOT_CONTEXT, root);
        for (let c = 1; c < spansPerTrace; c++)
            tracer.startSpan(`step ${c}`, { attributes: ivatarAttributes }, parent).end();
        if (t % Math.round(1 / errorShare) === 0)
            root.setStatus({ code: SpanStatusCode.ERROR, message: "avatar lookup failed" });
        root.end();
        ids.push(root.spanContext().traceId);
    }
    const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()) as Uint8Array);
    const traceIdOffsets = ids.map((hex) => {
        const id = Buffer.from(hex, "hex");
        const offsets: number[] = [];
        for (let at = bytes.indexOf(id); at >= 0; at = bytes.indexOf(id, at + 1)) offsets.push(at);
        return offsets;
    });
    return { bytes, traceIdOffsets, spans: traces * spansPerTrace };
}

/** A copy of the request with a fresh random trace ID per trace. */
export function stamp(template: RequestTemplate): Buffer {
    const copy = Buffer.from(template.bytes);
    const id = Buffer.alloc(16);
    for (const offsets of template.traceIdOffsets) {
        randomFillSync(id);
        for (const at of offsets) id.copy(copy, at);
    }
    return copy;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            endpoint: { type: "string" },
            "spans-per-second": { type: "string" },
            seconds: { type: "string" },
            ca: { type: "string" },
            token: { type: "string" },
            "traces-per-request": { type: "string", default: "50" },
        },
    });
    const template = buildTemplate(Number(values["traces-per-request"]));
    const credentials = values.ca
        ? grpc.credentials.createSsl(fs.readFileSync(values.ca))
        : grpc.credentials.createInsecure();
    const client = new grpc.Client(values.endpoint as string, credentials);
    const metadata = new grpc.Metadata();
    if (values.token) metadata.set("authorization", `Bearer ${values.token}`);
    const requestsPerSecond = Number(values["spans-per-second"]) / template.spans;
    let deadline = Date.now() + Number(values.seconds) * 1000;
    // Asked to stop: no new requests; those in flight finish and the counts are printed.
    process.once("SIGTERM", () => (deadline = 0));
    const counts = {
        sentRequests: 0,
        okRequests: 0,
        failedRequests: 0,
        spansPerRequest: template.spans,
        lastError: "",
    };
    const inFlight = new Set<Promise<void>>();
    const started = Date.now();
    while (Date.now() < deadline) {
        // Paced to the rate, at most 8 requests waiting for an answer (an app's exporter waits too).
        const due = started + (counts.sentRequests / requestsPerSecond) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        if (inFlight.size >= 8) await Promise.race(inFlight);
        counts.sentRequests++;
        const call: Promise<void> = new Promise<void>((resolve) => {
            client.makeUnaryRequest(
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                (b: Buffer) => b,
                (b: Buffer) => b,
                stamp(template),
                metadata,
                (error) => {
                    if (error) {
                        counts.failedRequests++;
                        counts.lastError = error.message;
                    } else counts.okRequests++;
                    resolve();
                },
            );
        }).then(() => {
            inFlight.delete(call);
        });
        inFlight.add(call);
    }
    await Promise.all(inFlight);
    client.close();
    console.log(JSON.stringify(counts));
}

if (require.main === module) {
    main().catch((error: Error) => {
        console.error(error.message);
        process.exit(1);
    });
}
