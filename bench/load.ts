// The load: traces shaped like ivatar's (a request span with nine children; seven attributes
// per span like the app's, e-mail addresses and a bearer credential among them; one trace in
// twenty an error), sent by telemetrygen over OTLP gRPC with TLS and the token when the pipeline
// asks for them. Pure: settings in, command lines out.

/** Span attributes as telemetrygen takes them: key="text" or key=number. */
export const ivatarAttributes: Record<string, string | number> = {
    "http.request.method": "GET",
    "url.full": "https://seccdn.libravatar.org/avatar/3b3be63a4c2a439b013787725dfce802?s=80&d=identicon",
    "http.response.status_code": 200,
    "server.address": "www.libravatar.org",
    "user.email": "jane.doe@example.org",
    "db.statement": "SELECT id, digest FROM ivatar_confirmedemail WHERE email = 'jane.doe@example.org'",
    "http.request.header.authorization": "Bearer 4f9d2c1e8b7a6d5c4b3a2918",
};

export const spansPerTrace = 10;
export const errorShare = 1 / 20;

export interface LoadSettings {
    telemetrygen: string;
    endpoint: string;
    /** Traces per second offered in total (errors included). */
    tracesPerSecond: number;
    seconds: number;
    /** CA file for TLS; plaintext without it. */
    caFile?: string;
    token?: string;
    service: string;
}

const workers = 4;

/** Two telemetrygen command lines: the ordinary traces and the error traces. */
export function loadCommands(s: LoadSettings): string[][] {
    const common = [
        "traces", "--otlp-endpoint", s.endpoint, "--duration", `${s.seconds}s`, "--workers", String(workers),
        "--child-spans", String(spansPerTrace - 1), "--service", s.service,
        ...(s.caFile ? ["--ca-cert", s.caFile] : ["--otlp-insecure"]),
        ...(s.token ? ["--otlp-header", `authorization="Bearer ${s.token}"`] : []),
        ...Object.entries(ivatarAttributes).flatMap(([k, v]) => ["--telemetry-attributes", typeof v === "number" ? `${k}=${v}` : `${k}="${v}"`]),
    ];
    // telemetrygen's rate is spans per second per worker.
    const perWorker = (tracesPerSecond: number) => String((tracesPerSecond * spansPerTrace) / workers);
    return [
        [s.telemetrygen, ...common, "--rate", perWorker(s.tracesPerSecond * (1 - errorShare))],
        [s.telemetrygen, ...common, "--rate", perWorker(s.tracesPerSecond * errorShare), "--status-code", "Error"],
    ];
}
