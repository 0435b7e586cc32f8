// ts-node scripts/app-env.ts <outputs.json> <dir>: the stack outputs, as `pulumi stack output
// --json --show-secrets` prints them, into the apps' env file (the same renderer `npm run render`
// uses for app.env), one env file per app instance the stack names (apps.instances), and the
// collector's CA file. Prints names only, never values.
import * as fs from "fs";
import * as path from "path";
import { instanceEnvironments, renderEnvFile } from "../components/appEnvironment";
import { isPlainObject } from "../config/keyPaths";
import { isAppInstanceName } from "../grammar/text";

/** A map of instance names to KEY=value variables, as the appInstances output holds. */
function isEnvMap(value: unknown): value is Record<string, Record<string, string>> {
    return (
        isPlainObject(value) &&
        Object.values(value).every(
            (vars) => isPlainObject(vars) && Object.values(vars).every((v) => typeof v === "string"),
        )
    );
}

function main(): number {
    const [outputsFile, dir] = process.argv.slice(2);
    if (!outputsFile || !dir) {
        console.error("usage: ts-node scripts/app-env.ts <outputs.json> <dir>");
        return 2;
    }
    const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8")) as Record<string, unknown>;
    const env = outputs.appEnvironment;
    if (typeof env !== "object" || env === null || Object.values(env).some((v) => typeof v !== "string")) {
        console.error(
            "app-env: the outputs have no appEnvironment of strings (is this an ivatar-otel stack, read with --show-secrets?)",
        );
        return 1;
    }
    const envFile = path.join(dir, "ivatar-otel.env");
    fs.writeFileSync(envFile, renderEnvFile(env as Record<string, string>), { mode: 0o600 });
    console.log(`app-env: wrote ${envFile}: ${Object.keys(env).join(", ")}`);
    // The rollout: one file per named app container, OTEL_ENABLED as the stack's apps.telemetryOn says.
    const overrides = outputs.appInstances ?? {};
    if (!isEnvMap(overrides)) {
        console.error("app-env: the outputs' appInstances is not a map of instance names to variables");
        return 1;
    }
    for (const [name, own] of Object.entries(instanceEnvironments(env as Record<string, string>, overrides))) {
        if (!isAppInstanceName(name)) {
            console.error(`app-env: ${JSON.stringify(name)} is not an app instance name; no file written for it`);
            return 1;
        }
        const file = path.join(dir, `ivatar-otel-${name}.env`);
        fs.writeFileSync(file, renderEnvFile(own), { mode: 0o600 });
        console.log(`app-env: wrote ${file}: OTEL_ENABLED=${own.OTEL_ENABLED}`);
    }
    const ca = outputs.collectorCaCertificate;
    if (typeof ca === "string") {
        const caFile = path.join(dir, "otel-ca.pem");
        fs.writeFileSync(caFile, ca, { mode: 0o600 });
        console.log(
            `app-env: wrote ${caFile} (copy it to OTEL_EXPORTER_OTLP_CERTIFICATE's path in the app containers)`,
        );
    }
    return 0;
}

process.exitCode = main();
