// ts-node scripts/app-env.ts <outputs.json> <dir>: the stack outputs, as `pulumi stack output
// --json --show-secrets` prints them, into the apps' env file (the same renderer `npm run render`
// uses for app.env) and the collector's CA file. Prints names only, never values.
import * as fs from "fs";
import * as path from "path";
import { renderEnvFile } from "../components/appEnvironment";

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
