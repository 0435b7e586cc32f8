// What CollectorTls places on the collector host, in one pure function: the component runs its
// step, and `npm run render` writes the same files and scripts for review.
import { StepScripts } from "../host/scripts";
import { renderRenewalService, renderRenewalTimer, renewalUnit } from "./renewal";
import {
    generatedTlsCheck,
    generateTlsScript,
    providedTlsCheck,
    providedTlsScript,
    removeTlsScript,
    TlsStepSettings,
} from "./steps";

export type TlsSettings =
    /** Plain OTLP (the local stack only). */
    | { mode: "disabled" }
    /** A CA and a server certificate made, and renewed, on the host. */
    | { mode: "generate"; step: TlsStepSettings }
    /** The configured certificate chain; its private key comes from secret config. */
    | { mode: "provided"; step: TlsStepSettings; certificate: string };

export type GeneratedTls = Extract<TlsSettings, { mode: "generate" }>;
export type ProvidedTls = Extract<TlsSettings, { mode: "provided" }>;

export interface TlsPlacement {
    /** The renewal timer's units (mode generate), by file name. */
    files: Record<string, string>;
    /** The material step. Mode provided has no create script without its key. */
    step: Partial<StepScripts> & Pick<StepScripts, "delete" | "check">;
}

export function tlsPlacement(s: GeneratedTls | ProvidedTls, privateKey?: string): TlsPlacement {
    const remove = removeTlsScript(s.step);
    if (s.mode === "generate") {
        return {
            files: {
                [`${renewalUnit}.service`]: renderRenewalService(s.step.caDir),
                [`${renewalUnit}.timer`]: renderRenewalTimer(),
            },
            step: { create: generateTlsScript(s.step), delete: remove, check: generatedTlsCheck(s.step) },
        };
    }
    const create = privateKey === undefined ? undefined : providedTlsScript(s.step, s.certificate, privateKey);
    return { files: {}, step: { create, delete: remove, check: providedTlsCheck(s.step, s.certificate) } };
}

/**
 * The PEM text a TLS step printed, from the command provider's stdout: the provider strips the
 * final line break, and PEM blocks joined into a bundle must each end with one (without it,
 * "-----END CERTIFICATE----------BEGIN CERTIFICATE-----" fails to parse).
 */
export function printedPem(stdout: string): string {
    return stdout.endsWith("\n") ? stdout : `${stdout}\n`;
}
