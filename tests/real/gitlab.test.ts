// The GitLab pipeline (.gitlab-ci.yml) run by gitlab-ci-local, a runner-side tool that reads it
// as GitLab does: it passes GitLab's schema, the right jobs appear for a merge request, a push to
// master and a push to devel, and each job's scripts run (shell executor) against stand-ins for
// `pulumi` and `curl` on PATH that record what they are asked. Secrets never reach the job log.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { appEnvironment, instanceOverrides, renderEnvFile } from "../../components/appEnvironment";
import { projectRoot } from "../../config/stackFile";
import { copyProject, run, runOk, tempDir } from "../tools";

const gitlabCiLocal = path.join(projectRoot, "node_modules", ".bin", "gitlab-ci-local");
/** What the pipeline needs of the project: its file, its scripts and what app-env.ts imports. */
const pipelineEntries = [
    ".gitlab-ci.yml",
    "ci",
    "scripts/app-env.ts",
    "config/keyPaths.ts",
    "scripts/check.ts",
    "checks",
    "components",
    "grammar",
    "versions.json",
    "package.json",
    "tsconfig.json",
];
const token = "stand-in-token-0123456789abcdef";
const sshKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in-ssh-key-material\n-----END OPENSSH PRIVATE KEY-----";
const noteToken = "note-token-fedcba9876543210";
const pinnedCli = (
    JSON.parse(fs.readFileSync(path.join(projectRoot, "versions.json"), "utf8")) as { pulumi: { cli: string } }
).pulumi.cli;

/** Outputs as `pulumi stack output --json --show-secrets` prints them for a stack. */
const outputs = {
    appEnvironment: appEnvironment(
        {
            environment: "production",
            serviceName: "ivatar-production",
            serviceVersion: "1.8.0",
            endpointHost: "collector.internal",
            otlpGrpcPort: 4317,
            tlsEnabled: true,
            selfIssuedCaPath: "/etc/ivatar/otel-ca.pem",
        },
        token,
    ),
    // The rollout's first step: telemetry on in one of two app containers.
    appInstances: instanceOverrides({ instances: ["web-1", "web-2"], telemetryOn: ["web-1"] }),
    collectorCaCertificate: "-----BEGIN CERTIFICATE-----\nMIIBstandin\n-----END CERTIFICATE-----\n",
    otlpBearerToken: token,
    canaryKey: "standInCanaryKey",
    // A stack that answers nowhere: the verify job must fail, naming the first broken link.
    deployCheck: {
        environment: "production",
        runbookBaseUrl: "docs/runbook.md",
        endpoint: { host: "collector.invalid", otlpGrpcPort: 4317, tls: true },
        certificateDaysMinimum: 29,
        healthUrl: "http://127.0.0.1:9/",
        jaegerUrl: "http://127.0.0.1:9/",
        prometheus: { apiUrl: "http://127.0.0.1:9", ruleGroup: "ivatar-otel-collector-production", targets: [] },
    },
};

// The stand-ins append one line per call to $STANDIN_LOG: the program and its arguments.
const pulumiStandIn = `#!/bin/sh
printf 'pulumi %s\\n' "$*" >> "$STANDIN_LOG"
case "$1" in
    version) echo "v${pinnedCli}" ;;
    preview) echo "Previewing update ($4):"; echo "  ~ sampling_percentage: 10 => 20" ;;
    config) printf '%s\\n' '${sshKey}' ;;
    stack) cat "$STANDIN_OUTPUTS" ;;
    up) echo "Resources: 20 unchanged" ;;
    *) echo "pulumi stand-in: unexpected $*" >&2; exit 2 ;;
esac
`;
// curl keeps the header and body files it was given (mktemp files the script removes).
const curlStandIn = `#!/bin/sh
printf 'curl %s\\n' "$*" >> "$STANDIN_LOG"
for arg in "$@"; do
    case "$arg" in
        @*) cp "\${arg#@}" "$STANDIN_DIR/header" ;;
        body@*) cp "\${arg#body@}" "$STANDIN_DIR/note" ;;
    esac
done
`;

// ssh-agent hands the job a socket; ssh-add keeps what it was given on stdin.
const sshAgentStandIn = `#!/bin/sh
printf 'ssh-agent %s\\n' "$*" >> "$STANDIN_LOG"
echo "SSH_AUTH_SOCK=$STANDIN_DIR/agent.sock; export SSH_AUTH_SOCK;"
`;
const sshAddStandIn = `#!/bin/sh
printf 'ssh-add %s\\n' "$*" >> "$STANDIN_LOG"
[ "$SSH_AUTH_SOCK" = "$STANDIN_DIR/agent.sock" ] || { echo "ssh-add: not the job's agent" >&2; exit 2; }
cat > "$STANDIN_DIR/added-key"
`;

interface Pipeline {
    status: number;
    log: string;
    calls: string[];
    dir: string;
}

describe("GitLab pipeline under gitlab-ci-local", function () {
    this.timeout(300_000);
    let repo: string;
    let standIns: string;

    before(() => {
        repo = tempDir("gitlab-repo");
        copyProject(pipelineEntries, repo);
        fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n.gitlab-ci-local/\napp-env/\n");
        const git = (...args: string[]) =>
            runOk("git", ["-c", "user.email=ci@example.org", "-c", "user.name=ci", ...args], { cwd: repo });
        git("init", "-q", "-b", "feature");
        git("add", "-A");
        git("commit", "-q", "-m", "pipeline under test");
        standIns = tempDir("gitlab-bin");
        fs.writeFileSync(path.join(standIns, "pulumi"), pulumiStandIn, { mode: 0o755 });
        fs.writeFileSync(path.join(standIns, "curl"), curlStandIn, { mode: 0o755 });
        fs.writeFileSync(path.join(standIns, "ssh-agent"), sshAgentStandIn, { mode: 0o755 });
        fs.writeFileSync(path.join(standIns, "ssh-add"), sshAddStandIn, { mode: 0o755 });
    });
    after(() => {
        for (const dir of [repo, standIns]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** gitlab-ci-local's arguments for an event: the variables GitLab would set for it. */
    function eventArgs(variables: Record<string, string>): string[] {
        return [
            ...Object.entries(variables).flatMap(([k, v]) => ["--variable", `${k}=${v}`]),
            "--ignore-predefined-vars",
            Object.keys(variables).join(","),
        ];
    }
    const mergeRequest = (target: string) => ({
        CI_PIPELINE_SOURCE: "merge_request_event",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: target,
        CI_MERGE_REQUEST_IID: "7",
    });
    const push = (branch: string) => ({ CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: branch });

    /** The jobs the pipeline has for an event (when: never left out). */
    function jobsFor(variables: Record<string, string>): string[] {
        const listed = runOk(gitlabCiLocal, ["--list-json", ...eventArgs(variables)], { cwd: repo });
        return (JSON.parse(listed) as { name: string; when: string }[])
            .filter((j) => j.when !== "never")
            .map((j) => j.name)
            .sort();
    }

    /** Runs every job of the event's pipeline with the stand-ins first on PATH. */
    function runPipeline(variables: Record<string, string>): Pipeline {
        const dir = tempDir("gitlab-run");
        const log = path.join(dir, "calls.log");
        fs.writeFileSync(log, "");
        fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs));
        fs.rmSync(path.join(repo, "app-env"), { recursive: true, force: true });
        const result = run(
            gitlabCiLocal,
            ["--force-shell-executor", "--variable", `PREVIEW_NOTE_TOKEN=${noteToken}`, ...eventArgs(variables)],
            {
                cwd: repo,
                env: {
                    ...process.env,
                    PATH: `${standIns}:${process.env.PATH}`,
                    STANDIN_LOG: log,
                    STANDIN_DIR: dir,
                    STANDIN_OUTPUTS: path.join(dir, "outputs.json"),
                },
                timeout: 240_000,
            },
        );
        return {
            status: result.status ?? -1,
            log: `${result.stdout}${result.stderr}`,
            calls: fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean),
            dir,
        };
    }

    const assertNoSecret = (p: Pipeline) => {
        for (const secret of [token, noteToken, "stand-in-ssh-key-material"])
            assert.ok(!p.log.includes(secret), "a secret reached the job log");
    };
    /** Every job first loads its stack's SSH key into its own agent. */
    const sshSetup = (stack: string) => [
        "ssh-agent -s",
        `pulumi config get ivatar-otel:sshPrivateKey --stack ${stack}`,
        "ssh-add -q -",
    ];
    const assertKeyLoaded = (p: Pipeline) =>
        assert.strictEqual(fs.readFileSync(path.join(p.dir, "added-key"), "utf8"), `${sshKey}\n`);

    it("passes GitLab's schema as gitlab-ci-local reads it, and a misspelt keyword does not", () => {
        runOk(gitlabCiLocal, ["--preview"], { cwd: repo });
        const broken = tempDir("gitlab-broken");
        try {
            fs.writeFileSync(
                path.join(broken, ".gitlab-ci.yml"),
                fs
                    .readFileSync(path.join(repo, ".gitlab-ci.yml"), "utf8")
                    .replace("resource_group: production", "resource_grup: production"),
            );
            runOk("git", ["init", "-q"], { cwd: broken });
            assert.notStrictEqual(
                run(gitlabCiLocal, ["--preview"], { cwd: broken }).status,
                0,
                "a misspelt keyword fails validation",
            );
        } finally {
            fs.rmSync(broken, { recursive: true, force: true });
        }
    });

    it("has the right jobs for each event", () => {
        assert.deepStrictEqual(jobsFor(mergeRequest("master")), ["preview"]);
        assert.deepStrictEqual(jobsFor(mergeRequest("devel")), ["preview"]);
        assert.deepStrictEqual(jobsFor(mergeRequest("feature-x")), []);
        assert.deepStrictEqual(jobsFor(push("master")), ["app-env:production", "up:production", "verify:production"]);
        assert.deepStrictEqual(jobsFor(push("devel")), ["app-env:development", "up:development", "verify:development"]);
        assert.deepStrictEqual(jobsFor(push("feature-x")), []);
    });

    it("never runs two deploys of one stack at once: each stack's jobs share its resource group and environment", () => {
        const expanded = parse(runOk(gitlabCiLocal, ["--preview"], { cwd: repo })) as Record<
            string,
            { resource_group?: string; environment?: { name: string } }
        >;
        for (const stack of ["production", "development"]) {
            assert.strictEqual(expanded[`up:${stack}`].resource_group, stack);
            assert.strictEqual(expanded[`up:${stack}`].environment?.name, stack);
            assert.strictEqual(expanded[`app-env:${stack}`].resource_group, stack);
            assert.strictEqual(expanded[`verify:${stack}`].resource_group, stack);
        }
    });

    for (const [target, stack] of [
        ["master", "production"],
        ["devel", "development"],
    ]) {
        it(`a merge request to ${target} previews ${stack} and posts the diff as a note with the project token`, () => {
            const p = runPipeline(mergeRequest(target));
            assert.strictEqual(p.status, 0, p.log);
            assert.deepStrictEqual(
                p.calls.filter((c) => !c.startsWith("pulumi version")),
                [
                    ...sshSetup(stack),
                    `pulumi preview --diff --stack ${stack} --non-interactive --color never --suppress-progress`,
                    p.calls.find((c) => c.startsWith("curl ")) ?? "no curl call",
                ],
            );
            assert.match(
                p.calls.find((c) => c.startsWith("curl ")) ?? "",
                /--request POST --header @\S+ --data-urlencode body@\S+ \S+\/projects\/\d+\/merge_requests\/7\/notes$/,
            );
            assert.strictEqual(fs.readFileSync(path.join(p.dir, "header"), "utf8"), `PRIVATE-TOKEN: ${noteToken}\n`);
            const note = fs.readFileSync(path.join(p.dir, "note"), "utf8");
            assert.match(note, new RegExp(`pulumi preview --diff --stack ${stack}\` succeeded`));
            assert.match(note, /~ sampling_percentage: 10 => 20/);
            assertKeyLoaded(p);
            assertNoSecret(p);
        });
    }

    for (const [branch, stack] of [
        ["master", "production"],
        ["devel", "development"],
    ]) {
        it(`a push to ${branch} runs pulumi up on ${stack}, then checks the stack (failing the pipeline on a broken link) and writes the apps' env and CA files without printing a secret`, () => {
            const p = runPipeline(push(branch));
            const calls = p.calls.filter((c) => !c.startsWith("pulumi version"));
            assert.deepStrictEqual(calls.slice(0, 4), [
                ...sshSetup(stack),
                `pulumi up --yes --stack ${stack} --non-interactive --color never --suppress-progress`,
            ]);
            // After the up, in either order: the check's and app-env's reads of the outputs.
            assert.deepStrictEqual(
                calls.slice(4).sort(),
                [
                    ...sshSetup(stack),
                    `pulumi stack output --json --show-secrets --stack ${stack} --non-interactive`,
                    ...sshSetup(stack),
                    `pulumi stack output --json --show-secrets --non-interactive --stack ${stack}`,
                ].sort(),
            );
            // The stand-in stack answers nowhere: the verify job fails at its first link, and so does the pipeline.
            assert.notStrictEqual(p.status, 0, p.log);
            assert.match(
                p.log,
                /FAIL +endpoint name +collector\.invalid does not resolve.*\(runbook: docs\/runbook\.md#checkendpointname\)/,
            );
            assert.match(p.log, /NOT TRIED +canary stored/);
            assertKeyLoaded(p);
            const envFile = path.join(repo, "app-env", "ivatar-otel.env");
            assert.strictEqual(fs.readFileSync(envFile, "utf8"), renderEnvFile(outputs.appEnvironment));
            assert.strictEqual(
                fs.readFileSync(path.join(repo, "app-env", "otel-ca.pem"), "utf8"),
                outputs.collectorCaCertificate,
            );
            assert.strictEqual(fs.statSync(envFile).mode & 0o777, 0o600);
            for (const [instance, enabled] of [
                ["web-1", "true"],
                ["web-2", "false"],
            ]) {
                const own = path.join(repo, "app-env", `ivatar-otel-${instance}.env`);
                assert.strictEqual(
                    fs.readFileSync(own, "utf8"),
                    renderEnvFile({
                        ...outputs.appEnvironment,
                        OTEL_ENABLED: enabled,
                        OTEL_SDK_DISABLED: String(enabled === "false"),
                        OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
                    }),
                );
                assert.strictEqual(fs.statSync(own).mode & 0o777, 0o600);
            }
            assertNoSecret(p);
        });
    }

    it("installs the pinned Pulumi CLI when another version is on PATH", () => {
        // The stand-in answers another version: setup must go for the pinned one (its curl is the stand-in too).
        fs.writeFileSync(
            path.join(standIns, "pulumi"),
            pulumiStandIn.replace(`echo "v${pinnedCli}"`, `echo "v0.0.1"`),
            { mode: 0o755 },
        );
        try {
            const p = runPipeline(push("master"));
            const installs = p.calls.filter((c) => c.startsWith("curl -fsSL https://get.pulumi.com"));
            // One install per job: up, verify and app-env.
            assert.strictEqual(installs.length, 3, p.calls.join("\n"));
            assert.match(p.log, new RegExp(`installing the Pulumi CLI ${pinnedCli.replace(/\./g, "\\.")}`));
        } finally {
            fs.writeFileSync(path.join(standIns, "pulumi"), pulumiStandIn, { mode: 0o755 });
        }
    });
});
