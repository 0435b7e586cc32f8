// npm run check -- --stack <name>: the stack's links checked from where this runs, one line each,
// from `pulumi stack output --json --show-secrets` (or --outputs <file> holding that JSON).
// The deploy check (components/verify) runs it with --deploy and its input in IVATAR_OTEL_CHECK.
// Prints no secret; exits 1 when a check fails.
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parseArgs } from "util";
import { failed, formatReport, runChecks } from "../checks/run";
import { CheckInput, checkInputFromOutputs, parseCheckInput } from "../checks/settings";

function inputFrom(args: { stack?: string; outputs?: string; deploy?: boolean }): CheckInput {
    if (args.deploy) {
        const json = process.env.IVATAR_OTEL_CHECK;
        if (!json) throw new Error("--deploy needs IVATAR_OTEL_CHECK (the program sets it)");
        return parseCheckInput(json);
    }
    if (args.outputs) return checkInputFromOutputs(JSON.parse(fs.readFileSync(args.outputs, "utf8")));
    if (!args.stack) throw new Error("usage: npm run check -- --stack <name>   (or --outputs <file>)");
    const outputs = execFileSync(
        "pulumi",
        ["stack", "output", "--json", "--show-secrets", "--non-interactive", "--stack", args.stack],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    return checkInputFromOutputs(JSON.parse(outputs));
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: { stack: { type: "string" }, outputs: { type: "string" }, deploy: { type: "boolean" } },
    });
    let input: CheckInput;
    try {
        input = inputFrom(values);
    } catch (error) {
        console.error(`check: ${(error as Error).message}`);
        return 2;
    }
    const report = await runChecks(input);
    const lines = formatReport(report, input.settings.runbookBaseUrl);
    const bad = failed(report);
    // On a failed deploy check, Pulumi shows what went to stderr.
    for (const line of lines) (bad ? console.error : console.log)(line);
    if (report.canary) console.log(`canary trace ${report.canary.traceId}: ${report.canary.url}`);
    if (bad)
        console.error(
            `check: ${input.settings.environment} has a broken link (see the FAIL lines and their runbook sections)`,
        );
    return bad ? 1 : 0;
}

main().then(
    (code) => (process.exitCode = code),
    (error: Error) => {
        console.error(`check: ${error.message}`);
        process.exitCode = 2;
    },
);
