// The deploy check as a command: pure, the plan in, what the local command runs out.
import { createHash } from "crypto";
import { CheckSecrets, CheckSettings } from "../../checks/settings";
import { StackPlan } from "../../stack/plan";

/**
 * The check's script, by the project's own ts-node (a deploy job has run `npm ci`), relative to
 * the project's directory, where Pulumi runs local commands: the same text wherever it is checked out.
 */
export const deployCheckCommand = "node_modules/.bin/ts-node --transpile-only scripts/check.ts --deploy";

/** What scripts/check.ts --deploy reads from IVATAR_OTEL_CHECK. */
export function deployCheckInput(settings: CheckSettings, secrets: CheckSecrets): string {
    return JSON.stringify({ settings, secrets });
}

/**
 * What reruns the check: any change to the plan (every deployed setting is in it) or a new
 * deployCheck.trigger. The plan holds no secret; a new token or key changes the check's input.
 */
export function deployCheckTriggers(plan: StackPlan): string[] {
    return [createHash("sha256").update(JSON.stringify(plan)).digest("hex"), plan.deployCheck.trigger];
}
