// DeployCheck: the last step of a `pulumi up` that changed something. From where `up` runs, as an
// app would, it sends a canary through the apps' endpoint and follows it to Jaeger and Prometheus
// (checks/run.ts); a broken link fails the `up`, naming the link and its runbook section.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf } from "../container";
import { StackPlan } from "../../stack/plan";
import { deployCheckCommand, deployCheckInput, deployCheckTriggers } from "./check";

export interface DeployCheckArgs {
    /** The links to follow are its `check`; any change to it runs the check again. */
    plan: StackPlan;
    token: pulumi.Input<string>;
    canaryKey: pulumi.Input<string>;
    /** The CA apps trust for a self-issued certificate. */
    ca?: pulumi.Input<string>;
}

export class DeployCheck extends pulumi.ComponentResource {
    /** What the check printed: a line per link, and the canary's Jaeger URL. */
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: DeployCheckArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:DeployCheck", name, {}, opts);
        const input = pulumi
            .all([args.token, args.canaryKey, args.ca])
            .apply(([token, canaryKey, ca]) =>
                deployCheckInput(args.plan.check, { token, canaryKey, ...(ca !== undefined ? { ca } : {}) }),
            );
        const check = new command.local.Command(
            name,
            {
                create: deployCheckCommand,
                environment: { IVATAR_OTEL_CHECK: pulumi.secret(input) },
                triggers: deployCheckTriggers(args.plan),
            },
            // The component's dependsOn does not hold its children back: the command waits for it too.
            { parent: this, dependsOn: dependenciesOf(opts) },
        );
        this.report = check.stdout;
        this.registerOutputs({ report: this.report });
    }
}
