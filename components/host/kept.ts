// KeptStep: keeps what a host step placed. The command provider cannot read a host back, so a
// table flushed or a certificate deleted on the host would stay unseen by Pulumi. This resource,
// beside the step, runs the step's check script on refresh (`pulumi up --refresh`, `pulumi
// preview --refresh`): what it prints is missing, which shows as a change, and the update runs the
// step's own (idempotent) create script again, then checks once more.
import * as pulumi from "@pulumi/pulumi";
import { HostAccess, HostConnection, rootShell, runOnHost } from "./remote";

interface KeptInputs extends HostAccess {
    /** Prints one line per piece of the step's work missing on the host; nothing when all is there. */
    check: string;
    /** The step's create script: puts everything back, changing nothing that is in place. */
    repair: string;
}

interface KeptState extends KeptInputs {
    /** What the last refresh found missing. */
    missing: string[];
}

const keptProvider: pulumi.dynamic.ResourceProvider = {
    // The step has just placed everything; the next refresh looks.
    async create(inputs: KeptInputs) {
        return {
            id: `kept-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
            outs: { ...inputs, missing: [] },
        };
    },
    async read(id: string, props: KeptState) {
        return { id, props: { ...props, missing: runOnHost(props, props.check, rootShell) } };
    },
    // A change when a refresh found something missing, or the step's scripts changed (the state keeps the current ones).
    async diff(_id: string, olds: KeptState, news: KeptInputs) {
        const changed =
            olds.check !== news.check ||
            olds.repair !== news.repair ||
            olds.privateKey !== news.privateKey ||
            JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
        return { changes: (olds.missing ?? []).length > 0 || changed };
    },
    async update(_id: string, olds: KeptState, news: KeptInputs) {
        // Only what went missing needs the repair: a change of scripts was run by the step itself.
        if ((olds.missing ?? []).length > 0) {
            runOnHost(news, news.repair, rootShell);
            const still = runOnHost(news, news.check, rootShell);
            if (still.length > 0) throw new Error(`still missing after the repair:\n  - ${still.join("\n  - ")}`);
        }
        return { outs: { ...news, missing: [] } };
    },
};

export interface KeptStepArgs {
    connection: HostConnection;
    privateKey?: pulumi.Input<string>;
    check: string;
    repair: pulumi.Input<string>;
}

/** Keeps a step's work on its host (see the file's comment); waits for the step through `dependsOn`. */
export class KeptStep extends pulumi.dynamic.Resource {
    /** What the last refresh found missing (empty after an up). */
    declare readonly missing: pulumi.Output<string[]>;

    constructor(name: string, args: KeptStepArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            keptProvider,
            name,
            { ...args, missing: undefined },
            { ...opts, additionalSecretOutputs: ["privateKey", "repair"] },
        );
    }
}
