// One config contract: the zod schema (config/schema.ts) is the source, and Pulumi.yaml's config
// block and the README's "Stack config" table are checked against it, through the JSON Schema
// zod emits. A key added, removed or renamed in one place and not the others fails here.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { stackSchema } from "../config/schema";
import { projectDeclarations, projectRoot } from "../config/stackFile";

interface JsonSchema {
    type?: string;
    properties?: Record<string, JsonSchema>;
    anyOf?: JsonSchema[];
    oneOf?: JsonSchema[];
}

const namespace = "ivatar-otel";
const schema = z.toJSONSchema(stackSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
const topLevel = schema.properties ?? {};

/** A plain object's own keys; none for a union of shapes (a host is SSH or local) or anything else. */
const objectKeys = (s: JsonSchema): string[] => (s.type === "object" && s.properties ? Object.keys(s.properties) : []);

/** The keys a Pulumi.yaml description lists in its first `{a, b: x|y, c}`. */
function keysInDescription(description: string): string[] | undefined {
    const braces = description.match(/\{([^{}]*)\}/);
    return braces?.[1].split(",").map((item) => item.trim().match(/^[A-Za-z]+/)?.[0] ?? item.trim());
}

/** Every key path the README's Stack config table names in its first column (`a.b`, and `.c` continuing `a.b`). */
function readmeKeys(): Set<string> {
    const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
    const section = readme.slice(
        readme.indexOf("## Stack config"),
        readme.indexOf("\n## ", readme.indexOf("## Stack config") + 1),
    );
    const keys = new Set<string>();
    for (const row of section.split("\n").filter((line) => line.startsWith("| `"))) {
        let parent = "";
        for (const [, name] of row.split(" | ")[0].matchAll(/`([^`]+)`/g)) {
            const key = name.startsWith(".") ? `${parent}${name}` : name;
            parent = key.includes(".") ? key.slice(0, key.indexOf(".")) : "";
            keys.add(key);
        }
    }
    return keys;
}

describe("one config contract: the schema, Pulumi.yaml and the README agree", () => {
    it("Pulumi.yaml declares exactly the schema's keys, each with the schema's type", () => {
        const declared = projectDeclarations();
        assert.deepStrictEqual(
            Object.keys(declared).sort(),
            Object.keys(topLevel)
                .map((k) => `${namespace}:${k}`)
                .sort(),
        );
        for (const [key, s] of Object.entries(topLevel)) {
            const declaredType = declared[`${namespace}:${key}`].type;
            // A union (SSH or local host) is an object either way; an undeclared type takes more than one (a number or "").
            const schemaType = s.type ?? (s.anyOf ?? s.oneOf ?? [])[0]?.type;
            if (declaredType !== undefined) assert.strictEqual(declaredType, schemaType, `${key}: Pulumi.yaml's type`);
        }
    });

    it("each object key's description in Pulumi.yaml lists exactly the schema's keys of that object", () => {
        const declared = projectDeclarations();
        for (const [key, s] of Object.entries(topLevel)) {
            const keys = objectKeys(s);
            if (keys.length === 0) continue;
            const listed = keysInDescription(declared[`${namespace}:${key}`].description ?? "");
            assert.deepStrictEqual(listed?.sort(), keys.sort(), `${key}: the keys its description lists`);
        }
    });

    it("the README's Stack config table names every key of the schema, and no other", () => {
        const expected = new Set<string>();
        for (const [key, s] of Object.entries(topLevel)) {
            const keys = objectKeys(s);
            if (keys.length === 0) expected.add(key);
            for (const k of keys) expected.add(`${key}.${k}`);
        }
        const named = readmeKeys();
        assert.deepStrictEqual(
            [...expected].filter((k) => !named.has(k)).sort(),
            [],
            "keys the README's table leaves out",
        );
        assert.deepStrictEqual(
            [...named].filter((k) => !expected.has(k)).sort(),
            [],
            "keys the README's table names that the schema does not have",
        );
    });
});
