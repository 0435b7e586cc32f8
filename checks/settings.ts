// What the stack checks need: the stack's plan part (plain, a stack output) and its secrets.
// `npm run check` reads both from the stack outputs; the deploy check gets them from the program.
import { z } from "zod";

/** The links the checks follow, from the apps' endpoint to Prometheus. Plain data: the `deployCheck` output. */
export interface CheckSettings {
    environment: string;
    /** Base of the runbook links; each failing check appends "#check<name>". */
    runbookBaseUrl: string;
    /** The collector as the apps reach it. */
    endpoint: { host: string; otlpGrpcPort: number; tls: boolean };
    /** A certificate with fewer days left has missed its renewal. */
    certificateDaysMinimum: number;
    /** The collector's health endpoint. */
    healthUrl: string;
    /** Jaeger's UI and query API. */
    jaegerUrl: string;
    /** The Prometheus that scrapes the stack, as the checks reach its API; absent: not checked. */
    prometheus?: { apiUrl: string; ruleGroup: string; targets: string[] };
}

export interface CheckSecrets {
    token: string;
    canaryKey: string;
    /** The CA apps trust for a self-issued certificate; absent: the system's trust store. */
    ca?: string;
}

const settingsSchema = z.strictObject({
    environment: z.string(),
    runbookBaseUrl: z.string(),
    endpoint: z.strictObject({ host: z.string(), otlpGrpcPort: z.number().int(), tls: z.boolean() }),
    certificateDaysMinimum: z.number(),
    healthUrl: z.string(),
    jaegerUrl: z.string(),
    prometheus: z.strictObject({ apiUrl: z.string(), ruleGroup: z.string(), targets: z.array(z.string()) }).optional(),
});

const secretsSchema = z.strictObject({ token: z.string(), canaryKey: z.string(), ca: z.string().optional() });

export interface CheckInput {
    settings: CheckSettings;
    secrets: CheckSecrets;
}

/** The deploy check's input, as the program hands it over (IVATAR_OTEL_CHECK). */
export function parseCheckInput(json: string): CheckInput {
    return z.strictObject({ settings: settingsSchema, secrets: secretsSchema }).parse(JSON.parse(json));
}

/**
 * The same input from `pulumi stack output --json --show-secrets`. Names what is missing, never a
 * value: a stack deployed by a version without the check, or outputs read without the secrets.
 */
export function checkInputFromOutputs(outputs: Record<string, unknown>): CheckInput {
    const parsed = z
        .object({
            deployCheck: settingsSchema,
            otlpBearerToken: z.string(),
            canaryKey: z.string(),
            collectorCaCertificate: z.string().optional(),
        })
        .safeParse(outputs);
    if (!parsed.success) {
        const missing = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
        throw new Error(
            `the stack outputs lack ${missing.join(", ")} (deployed by an older version, or read without --show-secrets?)`,
        );
    }
    const o = parsed.data;
    return {
        settings: o.deployCheck,
        secrets: {
            token: o.otlpBearerToken,
            canaryKey: o.canaryKey,
            ...(o.collectorCaCertificate ? { ca: o.collectorCaCertificate } : {}),
        },
    };
}
