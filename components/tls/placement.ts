// What CollectorTls places on the collector host, in one pure function: the component runs its
// step, and `npm run render` writes the same files and scripts for review.
import { StepScripts } from "../host/scripts";
import { renderRenewalService, renderRenewalTimer, renewalUnit } from "./renewal";
import { generateTlsScript, providedTlsScript, removeTlsScript, TlsStepSettings } from "./steps";

export interface TlsSettings {
    /** generate: a CA and server certificate made on the host; provided: from secret config; disabled: plain OTLP. */
    mode: "disabled" | "generate" | "provided";
    step: TlsStepSettings;
}

/** For mode provided: the configured certificate chain and private key. */
export interface ProvidedTls {
    certificate: string;
    privateKey: string;
}

export interface TlsPlacement {
    /** The renewal timer's units (mode generate), by file name. */
    files: Record<string, string>;
    /** The material step. Mode provided has no create script without its key. */
    step: Partial<StepScripts> & Pick<StepScripts, "delete">;
}

export function tlsPlacement(s: TlsSettings, provided?: ProvidedTls): TlsPlacement {
    const remove = removeTlsScript(s.step);
    if (s.mode === "generate") {
        return {
            files: { [`${renewalUnit}.service`]: renderRenewalService(s.step.caDir), [`${renewalUnit}.timer`]: renderRenewalTimer() },
            step: { create: generateTlsScript(s.step), delete: remove },
        };
    }
    const create = provided ? providedTlsScript(s.step, provided.certificate, provided.privateKey) : undefined;
    return { files: {}, step: { create, delete: remove } };
}
