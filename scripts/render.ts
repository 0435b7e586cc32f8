// npm run render -- --stack <name> --out <dir>
// Writes every file the program would place on hosts for a stack, without Pulumi's engine,
// secrets replaced by placeholders. For merge-request review and the artifact tests.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { placeholderSecrets, stackArtifacts } from "../stack/files";
import { StackConfigError } from "../config/load";
import { planFor } from "../stack/plan";

function main(): number {
    const { values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" } } });
    if (!values.stack || !values.out) {
        console.error("usage: npm run render -- --stack <production|development|local> --out <dir>");
        return 2;
    }
    let plan;
    try {
        plan = planFor(values.stack);
    } catch (error) {
        console.error(error instanceof StackConfigError ? error.message : String(error));
        return 1;
    }
    const { files } = stackArtifacts(plan, placeholderSecrets);
    for (const [relative, content] of Object.entries(files)) {
        const target = path.join(values.out, relative);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content, { mode: relative.endsWith(".sh") ? 0o755 : 0o644 });
        console.log(`wrote ${target}`);
    }
    return 0;
}

process.exitCode = main();
