// Secrets stay secret: the bearer token, a provided TLS key and the SSH key are marked secret
// wherever they appear in resource inputs and outputs, and never show in files people review.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { placeholderSecrets, stackArtifacts } from "../stack/files";
import { providedTlsScript } from "../components/tls/steps";
import { planFor } from "../stack/plan";
import { promiseOf, Registered, runProgram, stackConfig, writtenFiles } from "./harness";

const tlsKey =
    "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n";
const sshKey =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
const certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n";
const token = "mock-token-otlp-bearer-token";
const storagePassword = "s3arch-Pa55w0rd!";
const secretKeys = ["ivatar-otel:tlsPrivateKey", "ivatar-otel:sshPrivateKey", "ivatar-otel:jaegerStoragePassword"];

/** Every input path of a resource whose value holds `secret` (in clear or base64). */
function pathsHolding(value: unknown, secret: string, at = ""): string[] {
    const forms = [secret, Buffer.from(secret).toString("base64")];
    if (typeof value === "string") return forms.some((f) => value.includes(f)) ? [at] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => pathsHolding(v, secret, `${at}[${i}]`));
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([k, v]) => pathsHolding(v, secret, at ? `${at}.${k}` : k));
    }
    return [];
}

function assertSecretWherever(resources: Registered[], secret: string, what: string): number {
    let places = 0;
    for (const r of resources) {
        for (const p of pathsHolding(r.inputs, secret)) {
            places++;
            const covered = r.secretPaths.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));
            assert.ok(
                covered,
                `${what} appears in ${r.type} ${r.name} input ${p} without being secret (secret: ${r.secretPaths.join(", ")})`,
            );
        }
    }
    return places;
}

describe("secrets", () => {
    const config = {
        ...stackConfig("production"),
        "ivatar-otel:tls": JSON.stringify({ mode: "provided", certificate }),
        "ivatar-otel:tlsPrivateKey": tlsKey,
        "ivatar-otel:sshPrivateKey": sshKey,
        "ivatar-otel:jaeger": JSON.stringify({
            storage: { backend: "opensearch", servers: ["https://search-1.internal:9200"], username: "jaeger" },
        }),
        "ivatar-otel:jaegerStoragePassword": storagePassword,
    };

    it("are secret in every resource input where they appear", async () => {
        const run = await runProgram(config, { stack: "production", secretKeys });
        assert.ok(
            assertSecretWherever(run.resources, token, "the bearer token") >= 1,
            "the token reaches the collector",
        );
        assert.ok(
            assertSecretWherever(run.resources, tlsKey, "the TLS private key") >= 1,
            "the key reaches the TLS step",
        );
        assert.ok(
            assertSecretWherever(run.resources, sshKey, "the SSH private key") >= 3,
            "the SSH key reaches every step",
        );
        assert.ok(
            assertSecretWherever(run.resources, storagePassword, "the search cluster's password") >= 1,
            "the password reaches Jaeger",
        );
        // The retention step writes it base64-encoded within its env file: its whole script is secret.
        const retention = run.resources.find((r) => r.name === "jaeger-retention");
        const files = writtenFiles(String(retention?.inputs.stdin));
        assert.ok(
            files.some((f) => f.includes(`ES_PASSWORD=${storagePassword}`)),
            "the step writes the password for the index cleaner",
        );
        assert.ok(
            retention?.secretPaths.includes("stdin"),
            `the retention step's script is not secret: ${retention?.secretPaths.join(", ")}`,
        );
    });

    it("are secret in every output where they appear", async () => {
        const run = await runProgram(config, { stack: "production", secretKeys });
        const env = run.outputs.appEnvironment as Record<string, pulumi.Input<string>>;
        for (const [name, value] of Object.entries({ ...env, otlpBearerToken: run.outputs.otlpBearerToken })) {
            const output: pulumi.Output<string> = pulumi.output(value);
            const plain = await promiseOf(output);
            const holds = [token, tlsKey, sshKey, storagePassword].some((s) => String(plain).includes(s));
            if (holds)
                assert.strictEqual(await pulumi.isSecret(output), true, `${name} holds a secret but is not secret`);
        }
        const everything = JSON.stringify(
            Object.fromEntries(
                Object.entries(run.outputs).filter(([k]) => !["appEnvironment", "otlpBearerToken"].includes(k)),
            ),
        );
        for (const secret of [tlsKey, sshKey, token, storagePassword]) assert.ok(!everything.includes(secret));
    });

    it("never appear in the files `npm run render` writes: placeholders stand there", () => {
        const plan = planFor("production");
        const { files } = stackArtifacts(plan, placeholderSecrets);
        assert.ok(files["app.env"].includes(placeholderSecrets.bearerToken));
        assert.ok(files["containers.json"].includes(placeholderSecrets.bearerToken));
        for (const [file, content] of Object.entries(files)) {
            assert.ok(!/BEGIN [A-Z ]*PRIVATE KEY/.test(content), `${file} holds a private key`);
        }
    });

    it("a provided key is written without being printed", () => {
        const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
        try {
            const script = providedTlsScript(
                {
                    dir: `${dir}/tls`,
                    caDir: `${dir}/ca`,
                    owner: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
                    serverNames: ["localhost"],
                },
                certificate,
                tlsKey,
            );
            const out = execFileSync("sh", ["-s"], {
                input: script,
                encoding: "utf8",
                stdio: ["pipe", "pipe", "pipe"],
            });
            assert.ok(!out.includes("PRIVATE KEY"), "stdout (logged by the command provider) shows no key");
            assert.strictEqual(out, certificate, "stdout is the certificate alone");
        } finally {
            execFileSync("rm", ["-rf", dir]);
        }
    });
});
