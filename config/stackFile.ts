// Loads a stack's config from disk the way the Pulumi CLI hands it to the program: project
// defaults from Pulumi.yaml, then the stack file's values, each as a string. Used where no
// engine runs: `npm run render` and the tests.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const projectRoot = path.resolve(__dirname, "..");

/** Pulumi hands config to programs as strings: scalars as text, objects and lists as JSON. */
function asConfigString(value: unknown): string {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** "ivatar-otel:key" -> string, for Pulumi.<stack>.yaml. Encrypted values cannot be read here. */
export function stackConfig(stack: string, root: string = projectRoot): Record<string, string> {
    const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { default?: unknown }>;
    };
    const config: Record<string, string> = {};
    for (const [key, declaration] of Object.entries(project.config)) {
        if (declaration.default !== undefined) config[key] = asConfigString(declaration.default);
    }
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) throw new Error(`no stack file ${stackFile}`);
    const values = (parse(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
    for (const [key, value] of Object.entries(values)) {
        if (typeof value === "object" && value !== null && "secure" in value) {
            throw new Error(`${key} in ${stackFile} is encrypted; only the Pulumi CLI can read it`);
        }
        config[key] = asConfigString(value);
    }
    return config;
}
