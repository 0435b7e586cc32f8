// Runs the whole program under Pulumi's mocks, with config loaded as the CLI would load it:
// the project defaults from Pulumi.yaml, then the stack file.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { stackConfig } from "../config/stackFile";

export { stackConfig };
export const stackNames = ["production", "development", "local"] as const;
/** Example stack files (docs/examples): rendered, mocked and previewed like the stacks. */
export const exampleStackNames = ["three-hosts", "opensearch"] as const;
export const allStackNames = [...stackNames, ...exampleStackNames] as const;
export type StackName = (typeof allStackNames)[number];

export interface Registered {
    type: string;
    name: string;
    /** Inputs with secrets unwrapped to their values. */
    inputs: Record<string, unknown>;
    /** Dotted paths of inputs that arrived marked secret ("uploads", "connection.privateKey"). */
    secretPaths: string[];
    /** URN of the parent resource (empty for top-level ones). */
    parent?: string;
    /** Reference of the provider instance, for custom resources. */
    provider?: string;
    /** URNs this resource waits for. */
    dependencies: string[];
    /** Where the resource stood before, as its aliases say (an absent field: the same as now). */
    aliases: { name?: string; type?: string; parentUrn?: string; noParent?: boolean }[];
}

const secretSig = pulumi.runtime.specialSecretSig;
const sigKey = pulumi.runtime.specialSigKey;

/** Replaces the engine's secret wrappers by their values, noting where they were. */
function unwrapSecrets(value: unknown, path: string, found: string[]): unknown {
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, found));
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record[sigKey] === secretSig) {
        found.push(path);
        return unwrapSecrets(record.value, path, found);
    }
    return Object.fromEntries(
        Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, found)]),
    );
}

/** Resolves an output's value (undefined while unknown). */
export function promiseOf<T>(output: pulumi.Output<T> | T): Promise<T> {
    return pulumi.Output.isInstance(output)
        ? new Promise((resolve) => (output as pulumi.Output<T>).apply(resolve))
        : Promise.resolve(output as T);
}

/** What mocks hand back for a resource: its inputs plus what the engine would compute. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            // The random provider returns the result as a secret; the mock does too.
            return { ...inputs, result: pulumi.secret(`mock-token-${name}`) };
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: `sha256:mock-${inputs.name}` };
        case "command:remote:Command":
        case "command:local:Command":
            // As the command provider returns it: without the output's final line break.
            return {
                ...inputs,
                stdout: `-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----`,
                stderr: "",
            };
        case "pulumi-nodejs:dynamic:Resource":
            // PodmanFacts reads the host's Podman version and the addresses of other hosts' names;
            // the mocks' hosts run Podman 5 and resolve the n-th name to 192.0.2.n.
            return name.endsWith("-podman-facts")
                ? {
                      ...inputs,
                      podmanVersion: "5.4.2",
                      addresses: Object.fromEntries(
                          (inputs.resolve as string[]).map((n, i) => [n, `192.0.2.${i + 1}`]),
                      ),
                  }
                : inputs;
        default:
            return inputs;
    }
}

export interface ProgramRun {
    resources: Registered[];
    outputs: Record<string, unknown>;
    /** Registered resources of one type. */
    ofType(type: string): Registered[];
    /** The one resource of a type and logical name. */
    named(type: string, name: string): Registered;
}

/**
 * Runs index.ts for the given config. Throws what the program throws (config errors), with the
 * resources registered so far available on `registeredBeforeError`.
 */
/** Sets up mocks that record every registration into `resources`. */
async function recordRegistrations(resources: Registered[], stack: string): Promise<void> {
    const parents = new Map<string, string>();
    const dependencies = new Map<string, string[]>();
    const aliases = new Map<string, Registered["aliases"]>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const secretPaths: string[] = [];
                const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs,
                    secretPaths,
                    parent: parents.get(args.name),
                    provider: args.provider,
                    dependencies: dependencies.get(args.name) ?? [],
                    aliases: aliases.get(args.name) ?? [],
                });
                return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs) };
            },
            call(args) {
                return args.inputs;
            },
        },
        "ivatar-otel",
        stack,
        false,
    );
    // The mocks are not told a resource's parent, dependencies or aliases: note them from the request.
    type AliasSpec = { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean };
    type Request = {
        getName(): string;
        getParent(): string;
        getDependenciesList(): string[];
        getAliasesList(): { getSpec(): AliasSpec | undefined }[];
    };
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: Request, callback: unknown): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: Request, callback: unknown) => {
        parents.set(req.getName(), req.getParent());
        dependencies.set(req.getName(), req.getDependenciesList());
        aliases.set(
            req.getName(),
            req.getAliasesList().flatMap((a) => {
                const spec = a.getSpec();
                if (!spec) return [];
                return [
                    {
                        name: spec.getName() || undefined,
                        type: spec.getType() || undefined,
                        parentUrn: spec.getParenturn() || undefined,
                        noParent: spec.getNoparent() || undefined,
                    },
                ];
            }),
        );
        return register(req, callback);
    };
}

/** Runs `build` (which creates components) under mocks and returns what it registered. */
export async function runComponents(build: () => void): Promise<Registered[]> {
    const resources: Registered[] = [];
    await recordRegistrations(resources, "components");
    pulumi.runtime.setAllConfig({});
    build();
    // Waits until every registration has reached the mocks.
    await pulumi.runtime.disconnect();
    return resources;
}

export async function runProgram(
    config: Record<string, string>,
    opts: { stack?: string; secretKeys?: string[] } = {},
): Promise<ProgramRun> {
    const resources: Registered[] = [];
    await recordRegistrations(resources, opts.stack ?? "test");
    pulumi.runtime.setAllConfig(config, opts.secretKeys);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require("../index") as () => Record<string, unknown>;
    let outputs: Record<string, unknown>;
    try {
        outputs = program();
    } catch (error) {
        // Registrations reach the mocks asynchronously: wait for those that were started.
        await pulumi.runtime.disconnect();
        (error as { registeredBeforeError?: Registered[] }).registeredBeforeError = [...resources];
        throw error;
    }
    // Let every registration reach the mocks.
    await resolveDeep(outputs);
    await pulumi.runtime.disconnect();
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        resources,
        outputs,
        ofType,
        named(type, name) {
            const found = ofType(type).filter((r) => r.name === name);
            if (found.length !== 1)
                throw new Error(
                    `expected one ${type} named ${name}, found ${found.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`,
                );
            return found[0];
        },
    };
}

/** Resolves every output inside a plain structure. */
export async function resolveDeep(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) return resolveDeep(await promiseOf(value));
    if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
    if (typeof value === "object" && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await resolveDeep(v);
        return out;
    }
    return value;
}

/** Runs the program with a stack file's config, as `pulumi up --stack <name>` would. */
export function runStack(stack: StackName, overrides: Record<string, string> = {}): Promise<ProgramRun> {
    return runProgram({ ...stackConfig(stack), ...overrides }, { stack });
}

// What the program tests read from a run: containers and their uploads, by logical name.
export const CONTAINER = "docker:index/container:Container";
export const REMOTE = "command:remote:Command";
export const LOCAL = "command:local:Command";

export interface Upload {
    file: string;
    content: string;
}
export interface ContainerInputs {
    name: string;
    cpus: string;
    memory: number;
    memorySwap: number;
    envs: string[];
    user: string;
    restart: string;
    ports: { internal: number; external: number }[];
    uploads: Upload[];
    image: string;
    volumes: {
        volumeName?: string;
        hostPath?: string;
        containerPath: string;
        readOnly?: boolean;
        selinuxRelabel?: string;
    }[];
    networksAdvanced: { name: string }[];
    hosts?: { host: string; ip: string }[];
}

export function container(run: ProgramRun, name: string): ContainerInputs {
    return run.named(CONTAINER, `${name}-container`).inputs as unknown as ContainerInputs;
}

export function upload(c: ContainerInputs, path: string): string {
    const found = c.uploads.find((u) => u.file === path);
    assert.ok(found, `${c.name} has no upload ${path}`);
    return found.content;
}

/** The files a step script writes, decoded (they travel base64-encoded), in order. */
export function writtenFiles(script: string): string[] {
    return [...script.matchAll(/printf %s ([A-Za-z0-9+/=]+) \| base64 -d/g)].map((m) =>
        Buffer.from(m[1], "base64").toString("utf8"),
    );
}
