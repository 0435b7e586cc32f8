// ESLint: the recommended rules of ESLint and typescript-eslint on the project's TypeScript.
// Formatting is Prettier's (.prettierrc.json); `npm run lint` checks both.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "out/", "tests/fixtures/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // A leading underscore marks a name kept only to leave it out (of a rest object, a signature).
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        // Pulumi serializes the dynamic providers' functions into the state: what they use they must
        // load themselves, at run time.
        files: ["components/host/remote.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
