// The sink that stands in for Jaeger: an OTLP gRPC trace service that acknowledges every export
// without decoding it, so the benchmark measures the collector and not a backend. It counts
// requests and (decompressed) bytes.
import * as grpc from "@grpc/grpc-js";

export interface Sink {
    endpoint: string;
    counts(): { requests: number; bytes: number };
    stop(): Promise<void>;
}

const traceService: grpc.ServiceDefinition = {
    Export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        // The raw message: nothing is decoded.
        requestDeserialize: (bytes: Buffer) => bytes,
        requestSerialize: (bytes: Buffer) => bytes,
        // An empty ExportTraceServiceResponse is zero bytes.
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: () => ({}),
    },
};

/** Starts the sink on loopback, on `port` or any free one. */
export async function startSink(port = 0): Promise<Sink> {
    let requests = 0;
    let bytes = 0;
    const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
    server.addService(traceService, {
        Export: (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => {
            requests++;
            bytes += call.request.length;
            callback(null, {});
        },
    });
    const bound = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
            error ? reject(error) : resolve(bound),
        ),
    );
    return {
        endpoint: `127.0.0.1:${bound}`,
        counts: () => ({ requests, bytes }),
        stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    };
}
