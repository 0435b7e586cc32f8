// The load: traces shaped like ivatar's (a request span with nine children; seven attributes
// per span like the app's, e-mail addresses and a bearer credential among them; one trace in
// twenty an error), sent by bench/loadgen.ts over OTLP gRPC with TLS and the token when the
// pipeline asks for them. Pure: settings in, command line out.

/** Span attributes like the app's. */
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
    endpoint: string;
    /** Traces per second offered (errors included). */
    tracesPerSecond: number;
    seconds: number;
    /** CA file for TLS; plaintext without it. */
    caFile?: string;
    token?: string;
}

/** The command line of the load generator (bench/loadgen.ts), run by this Node.js with ts-node. */
export function loadCommand(s: LoadSettings): string[] {
    return [
        process.execPath,
        "-r",
        "ts-node/register",
        "bench/loadgen.ts",
        "--endpoint",
        s.endpoint,
        "--spans-per-second",
        String(s.tracesPerSecond * spansPerTrace),
        "--seconds",
        String(s.seconds),
        ...(s.caFile ? ["--ca", s.caFile] : []),
        ...(s.token ? ["--token", s.token] : []),
    ];
}
