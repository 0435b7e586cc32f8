// Loads a stack's config from disk the way the Pulumi CLI hands it to the program: the stack
// file's values, then the defaults Pulumi.yaml declares for keys the stack file leaves out, each
// as a string. The CLI's own checks come first, with its wording: a declared key without a
// default is required, and a declared `type` must match. Used where no engine runs:
// `npm run render` and the tests, so a stack file the CLI would refuse fails here too.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const projectRoot = path.resolve(__dirname, "..");

/** A key as Pulumi.yaml declares it under `config:`. */
type ConfigType = "string" | "integer" | "boolean" | "array" | "object";

export interface ConfigDeclaration {
    type?: ConfigType;
    /** What an array's items are; the CLI requires it on every array. */
    items?: { type: ConfigType };
    description?: string;
    default?: unknown;
    secret?: boolean;
}

/** Pulumi hands config to programs as strings: scalars as text, objects and lists as JSON. */
function asConfigString(value: unknown): string {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** Whether a stack file's value fits a declared type, as the CLI judges it (scalars arrive as text). */
export function fitsDeclaredType(type: ConfigType, value: unknown, items?: { type: ConfigType }): boolean {
    switch (type) {
        case "string":
            return typeof value !== "object" || value === null;
        case "integer":
            return /^[-+]?\d+$/.test(String(value));
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return typeof value === "object" && value !== null && !Array.isArray(value);
        case "array":
            return (
                Array.isArray(value) && items !== undefined && value.every((item) => fitsDeclaredType(items.type, item))
            );
    }
}

export function projectDeclarations(root: string = projectRoot): Record<string, ConfigDeclaration> {
    const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
        config?: Record<string, ConfigDeclaration>;
    };
    const declarations = project.config ?? {};
    // The CLI refuses the whole project file over this, in these words.
    for (const [key, declaration] of Object.entries(declarations)) {
        if (declaration.type === "array" && declaration.items === undefined) {
            throw new Error(
                `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
            );
        }
    }
    return declarations;
}

/** Where example stack files live: loaded by name like the project's own, never deployed by CI. */
export const examplesFolder = path.join("docs", "examples");

/** The stack file of a name: the project's own, or an example's. */
export function stackFilePath(stack: string, root: string = projectRoot): string {
    for (const folder of [root, path.join(root, examplesFolder)]) {
        const file = path.join(folder, `Pulumi.${stack}.yaml`);
        if (fs.existsSync(file)) return file;
    }
    throw new Error(`no stack file Pulumi.${stack}.yaml in ${root} or ${path.join(root, examplesFolder)}`);
}

/** "ivatar-otel:key" -> string, for Pulumi.<stack>.yaml. Encrypted values cannot be read here. */
export function stackConfig(stack: string, root: string = projectRoot): Record<string, string> {
    const stackFile = stackFilePath(stack, root);
    const values =
        (parse(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
    const declarations = projectDeclarations(root);

    const missing = Object.entries(declarations)
        .filter(
            ([key, declaration]) =>
                !(key in values) && (declaration.default === undefined || declaration.default === null),
        )
        .map(([key]) => key)
        .sort();
    if (missing.length > 0) {
        const list =
            missing.length === 1
                ? `'${missing[0]}'`
                : `${missing
                      .slice(0, -1)
                      .map((k) => `'${k}'`)
                      .join(", ")} and '${missing[missing.length - 1]}'`;
        throw new Error(`Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${list}`);
    }

    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
        const declaration = declarations[key];
        if (typeof value === "object" && value !== null && "secure" in value) {
            throw new Error(`${key} in ${stackFile} is encrypted; only the Pulumi CLI can read it`);
        }
        if (declaration?.secret) {
            throw new Error(`Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
        }
        if (declaration?.type && !fitsDeclaredType(declaration.type, value, declaration.items)) {
            const typeName = declaration.type === "array" ? `array<${declaration.items?.type}>` : declaration.type;
            throw new Error(`Stack '${stack}' with configuration key '${key}' must be of type '${typeName}'`);
        }
        config[key] = asConfigString(value);
    }
    for (const [key, declaration] of Object.entries(declarations)) {
        if (!(key in config) && declaration.default !== undefined && declaration.default !== null) {
            config[key] = asConfigString(declaration.default);
        }
    }
    return config;
}
