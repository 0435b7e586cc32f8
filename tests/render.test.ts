// Every file `npm run render` writes for each stack file, against the committed copy under
// tests/fixtures/render/<stack>/. A change to what the program places shows up here as a diff
// a reviewer reads; a refactoring must leave it empty. RENDER_WRITE=1 rewrites the copies.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { placeholderSecrets, stackArtifacts } from "../stack/files";
import { planFor } from "../stack/plan";
import { allStackNames } from "./harness";

const fixtures = path.join(__dirname, "fixtures", "render");

function committed(stack: string): Record<string, string> {
    const root = path.join(fixtures, stack);
    if (!fs.existsSync(root)) return {};
    const files = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    return Object.fromEntries(
        files.map((e) => {
            const full = path.join(e.parentPath, e.name);
            return [path.relative(root, full), fs.readFileSync(full, "utf8")];
        }),
    );
}

describe("rendered files per stack file", () => {
    for (const stack of allStackNames) {
        it(`Pulumi.${stack}.yaml renders the committed files, byte for byte`, () => {
            const { files } = stackArtifacts(planFor(stack), placeholderSecrets);
            if (process.env.RENDER_WRITE === "1") {
                fs.rmSync(path.join(fixtures, stack), { recursive: true, force: true });
                for (const [name, content] of Object.entries(files)) {
                    fs.mkdirSync(path.dirname(path.join(fixtures, stack, name)), { recursive: true });
                    fs.writeFileSync(path.join(fixtures, stack, name), content);
                }
                return;
            }
            const before = committed(stack);
            assert.deepStrictEqual(Object.keys(files).sort(), Object.keys(before).sort(), "the same files");
            for (const [name, content] of Object.entries(files)) {
                assert.strictEqual(
                    content,
                    before[name],
                    `${stack}: ${name} differs (RENDER_WRITE=1 rewrites tests/fixtures/render)`,
                );
            }
        });
    }
});
