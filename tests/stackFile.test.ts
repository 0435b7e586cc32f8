// Stack files load as the Pulumi CLI loads them: a key Pulumi.yaml declares without a default is
// required, a declared type must match, and declared defaults fill what a stack file leaves out.
// The mocks never apply these rules; stackConfig does, so the program tests fail where `pulumi up` would.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackValues } from "../config/load";
import { projectDeclarations, projectRoot, stackConfig } from "../config/stackFile";
import { planFor } from "../stack/plan";
import { stackNames } from "./harness";

/** A copy of Pulumi.yaml with `edit` applied, and one stack file, in a scratch directory. */
function scratchProject(edit: (pulumiYaml: string) => string, stackFile: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ivatar-otel-stackfile-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        edit(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")),
    );
    fs.writeFileSync(path.join(dir, "Pulumi.scratch.yaml"), stackFile);
    return dir;
}

describe("stack files load as the Pulumi CLI loads them", () => {
    it("every declared key has a default, so no stack file misses a required value", () => {
        const withoutDefault = Object.entries(projectDeclarations()).filter(
            ([, d]) => d.default === undefined || d.default === null,
        );
        assert.deepStrictEqual(
            withoutDefault.map(([k]) => k),
            [],
        );
        for (const stack of stackNames) assert.doesNotThrow(() => stackConfig(stack), stack);
    });

    it("a declared key without a default is required, in the CLI's words", () => {
        const dir = scratchProject(
            (yaml) => yaml.replace(/(ivatar-otel:jaeger:\n(?: {4}.*\n)*?) {4}default: \{\}\n/, "$1"),
            "config:\n  ivatar-otel:environment: local\n",
        );
        try {
            assert.throws(
                () => stackConfig("scratch", dir),
                /^Error: Stack 'scratch' is missing configuration value 'ivatar-otel:jaeger'$/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a value of the wrong declared type is refused", () => {
        const dir = scratchProject((yaml) => yaml, "config:\n  ivatar-otel:collector: four\n");
        try {
            assert.throws(
                () => stackConfig("scratch", dir),
                /configuration key 'ivatar-otel:collector' must be of type 'object'/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a list of host names where collectorHosts wants objects is refused as the CLI words it", () => {
        const dir = scratchProject(
            (yaml) => yaml,
            "config:\n  ivatar-otel:collectorHosts: [collector-1.internal, collector-2.internal]\n",
        );
        try {
            assert.throws(
                () => stackConfig("scratch", dir),
                /configuration key 'ivatar-otel:collectorHosts' must be of type 'array<object>'/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a list declared without its items' type stops the project file, in the CLI's words", () => {
        const dir = scratchProject(
            (yaml) =>
                yaml.replace(/(ivatar-otel:collectorHosts:\n {4}type: array\n) {4}items:\n {6}type: object\n/, "$1"),
            "config:\n  ivatar-otel:environment: local\n",
        );
        try {
            assert.throws(
                () => stackConfig("scratch", dir),
                /The configuration key 'ivatar-otel:collectorHosts' declares an array but does not specify the underlying type via the 'items' attribute/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("declared defaults are empty and read as 'not set', so the environment's defaults apply", () => {
        const local = readStackValues(stackConfig("local"));
        assert.deepStrictEqual(Object.keys(local).sort(), ["environment", "traceRetention"]);
        const production = readStackValues(stackConfig("production"));
        assert.strictEqual(production.jaeger, undefined, "Pulumi.production.yaml sets no jaeger key");
        assert.deepStrictEqual(Object.keys(production.collector as object).sort(), [
            "cpus",
            "endpointHost",
            "memoryMb",
        ]);
    });
});

describe("the stack files' defaults fit ivatar's plan", () => {
    // The plan gives the collector host 10 GB of storage in development and 50 GB in production,
    // for the queue and Jaeger's store together.
    const planStorage: Record<string, number> = { development: 10e9, production: 50e9 };
    for (const [stack, bytes] of Object.entries(planStorage)) {
        it(`${stack}: the queue (with its file's overhead) and badger's store take at most ${bytes / 1e9} GB`, () => {
            const room = planFor(stack).collectorHosts[0].requirements.volumeRoom;
            assert.ok(room, "the first collector host checks room for its volumes");
            assert.deepStrictEqual(room.volumes, ["ivatar-otel-collector-queue", "ivatar-otel-jaeger-data"]);
            assert.ok(room.bytes <= bytes, `${(room.bytes / 1e9).toFixed(1)} GB`);
            // Most of it is the store: a week of traces needs more room than an outage.
            assert.ok(room.bytes > bytes * 0.8, `${(room.bytes / 1e9).toFixed(1)} GB leaves the plan unused`);
        });
    }
});
