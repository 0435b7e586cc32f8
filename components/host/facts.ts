// PodmanFacts: what the program reads from a host before it describes containers there, once the
// preflight has passed and again on every refresh (a change on the host then shows as one change):
// - the Podman version: Podman 5 reports a port published on every address as 0.0.0.0 and
//   Podman 4 as empty, and the docker provider compares what it reads back with what the program
//   asked for, so a container described in the other form is replaced on every `up`;
// - the addresses of the other hosts' names as this host resolves them (files and DNS): containers
//   made through Podman's Docker-compatible API do not read the host's /etc/hosts, so names known
//   only there would not resolve inside them.
import * as pulumi from "@pulumi/pulumi";
import { HostAccess, HostConnection, rootShell, runOnHost } from "./remote";

interface FactsInputs extends HostAccess {
    /** Host names whose IPv4 address the host's containers need (the preflight checked they resolve). */
    resolve: string[];
}

interface Facts {
    podmanVersion: string;
    addresses: Record<string, string>;
}

type FactsState = FactsInputs & Facts;

/** Reads the facts in one run on the host (names come from the program's own grammar-checked plan). */
function readFacts(inputs: FactsInputs): Facts {
    for (const name of inputs.resolve)
        if (!/^[A-Za-z0-9.-]+$/.test(name))
            throw new Error(`refusing to resolve ${JSON.stringify(name)}: not a host name`);
    const script =
        [
            "podman --version | sed 's/^podman version /version /'",
            ...inputs.resolve.map(
                (name) => `echo "address ${name} $(getent ahostsv4 '${name}' | awk 'NR == 1 { print $1 }')"`,
            ),
        ].join("\n") + "\n";
    const lines = runOnHost(inputs, script, rootShell);
    const version = lines.find((l) => l.startsWith("version "))?.slice("version ".length);
    if (!version || !/^\d+\.\d+/.test(version))
        throw new Error(`could not read the host's Podman version (found: ${String(version)})`);
    const addresses: Record<string, string> = {};
    for (const name of inputs.resolve) {
        const ip = lines.find((l) => l.startsWith(`address ${name} `))?.split(" ")[2];
        if (!ip) throw new Error(`${name} does not resolve to an IPv4 address on the host`);
        addresses[name] = ip;
    }
    return { podmanVersion: version, addresses };
}

const factsProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: FactsInputs) {
        return { id: `podman-facts-${Date.now().toString(36)}`, outs: { ...inputs, ...readFacts(inputs) } };
    },
    async read(id: string, props: FactsState) {
        return { id, props: { ...props, ...readFacts(props) } };
    },
    // Only a new way to reach the host or new names are a change of this resource; new facts reach the containers as its outputs.
    async diff(_id: string, olds: FactsState, news: FactsInputs) {
        return {
            changes:
                olds.privateKey !== news.privateKey ||
                JSON.stringify(olds.connection) !== JSON.stringify(news.connection) ||
                JSON.stringify(olds.resolve ?? []) !== JSON.stringify(news.resolve),
        };
    },
    async update(_id: string, _olds: FactsState, news: FactsInputs) {
        return { outs: { ...news, ...readFacts(news) } };
    },
};

export interface PodmanFactsArgs {
    connection: HostConnection;
    privateKey?: pulumi.Input<string>;
    /** Host names whose addresses the containers need, as this host resolves them. */
    resolve: string[];
}

/** The host's Podman version and name addresses, read over the host's own connection (waits for the preflight through `dependsOn`). */
export class PodmanFacts extends pulumi.dynamic.Resource {
    declare readonly podmanVersion: pulumi.Output<string>;
    declare readonly addresses: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: PodmanFactsArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            factsProvider,
            name,
            { ...args, podmanVersion: undefined, addresses: undefined },
            { ...opts, additionalSecretOutputs: ["privateKey"] },
        );
    }
}
