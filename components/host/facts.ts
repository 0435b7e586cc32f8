// PodmanFacts: what the program reads from a host's Podman before it describes containers there.
// Podman 5 reports a port published on every address as 0.0.0.0 and Podman 4 as empty, and the
// docker provider compares what it reads back with what the program asked for: a container
// described in the other form is replaced on every `up`. The version is read once the preflight
// has passed, and again on every refresh (a Podman upgraded on the host then shows as one change).
import * as pulumi from "@pulumi/pulumi";
import { HostAccess, HostConnection, rootShell, runOnHost } from "./remote";

interface FactsState extends HostAccess {
    podmanVersion: string;
}

/** The version of the Podman that serves the host's API (the same package as its command). */
function readPodmanVersion(access: HostAccess): string {
    const [version] = runOnHost(access, "podman --version | sed 's/^podman version //'\n", rootShell);
    if (!version || !/^\d+\.\d+/.test(version)) throw new Error(`could not read the host's Podman version (found: ${String(version)})`);
    return version;
}

const factsProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: HostAccess) {
        return { id: `podman-facts-${Date.now().toString(36)}`, outs: { ...inputs, podmanVersion: readPodmanVersion(inputs) } };
    },
    async read(id: string, props: FactsState) {
        return { id, props: { ...props, podmanVersion: readPodmanVersion(props) } };
    },
    // Only a new way to reach the host is a change of this resource; a new version reaches the containers as its output.
    async diff(_id: string, olds: FactsState, news: HostAccess) {
        return { changes: olds.privateKey !== news.privateKey || JSON.stringify(olds.connection) !== JSON.stringify(news.connection) };
    },
    async update(_id: string, _olds: FactsState, news: HostAccess) {
        return { outs: { ...news, podmanVersion: readPodmanVersion(news) } };
    },
};

export interface PodmanFactsArgs {
    connection: HostConnection;
    privateKey?: pulumi.Input<string>;
}

/** The host's Podman version, read over the host's own connection (waits for the preflight through `dependsOn`). */
export class PodmanFacts extends pulumi.dynamic.Resource {
    declare readonly podmanVersion: pulumi.Output<string>;

    constructor(name: string, args: PodmanFactsArgs, opts?: pulumi.CustomResourceOptions) {
        super(factsProvider, name, { ...args, podmanVersion: undefined }, { ...opts, additionalSecretOutputs: ["privateKey"] });
    }
}
