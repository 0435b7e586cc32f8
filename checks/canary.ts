// The deploy canary: one span sent as an app sends (OTLP gRPC, TLS, the token), marked with the
// stack's secret canary key so tail sampling keeps it whatever the ratio (collector/config.ts).
import * as grpc from "@grpc/grpc-js";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { Resource } from "@opentelemetry/resources";
import {
    BasicTracerProvider,
    InMemorySpanExporter,
    ReadableSpan,
    SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { canaryAttribute } from "../components/collector/config";

export const canaryService = "ivatar-otel-canary";

/** One finished span of a new trace; carries the key when one is given. */
export function canarySpan(environment: string, canaryKey?: string): ReadableSpan {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
        resource: new Resource({ "service.name": canaryService, "deployment.environment": environment }),
    });
    provider.addSpanProcessor(new SimpleSpanProcessor(memory));
    const attributes = canaryKey === undefined ? {} : { [canaryAttribute]: canaryKey };
    provider.getTracer("ivatar-otel-check").startSpan("deploy check", { attributes }, ROOT_CONTEXT).end();
    return memory.getFinishedSpans()[0];
}

export interface Endpoint {
    /** host:port */
    address: string;
    tls: boolean;
    /** PEM CA to trust; absent: the system's trust store. */
    ca?: string;
    token?: string;
}

/** Exports the spans once over OTLP gRPC, as an app's SDK does; resolves with the exporter's verdict (never rejects). */
export async function sendSpans(
    endpoint: Endpoint,
    spans: ReadableSpan[],
    timeoutMillis = 15_000,
): Promise<ExportResult> {
    const metadata = new grpc.Metadata();
    if (endpoint.token) metadata.set("authorization", `Bearer ${endpoint.token}`);
    const exporter = new OTLPTraceExporter({
        url: `${endpoint.tls ? "https" : "http"}://${endpoint.address}`,
        credentials: endpoint.tls
            ? grpc.credentials.createSsl(endpoint.ca ? Buffer.from(endpoint.ca) : null)
            : grpc.credentials.createInsecure(),
        metadata,
        timeoutMillis,
    });
    try {
        return await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    } finally {
        await exporter.shutdown().catch(() => undefined);
    }
}

export const accepted = (r: ExportResult) => r.code === ExportResultCode.SUCCESS;

/** Whether the collector refused the request for its credentials (gRPC status 16), not for another reason. */
export function refusedForToken(r: ExportResult): boolean {
    const error = r.error as (Error & { code?: number }) | undefined;
    return !accepted(r) && (error?.code === grpc.status.UNAUTHENTICATED || /UNAUTHENTICATED/.test(String(error)));
}
