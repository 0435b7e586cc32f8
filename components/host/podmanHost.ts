// One Podman host: the docker provider for its Docker-compatible API, and the way to run steps
// on it (SSH with a pinned host key, or local commands for the local stack).
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { isIPv6 } from "net";
import { everyAddress } from "../container";
import { PodmanFacts } from "./facts";
import { KeptStep } from "./kept";
import { HostConnection } from "./remote";
import { HostRequirements, preflightScript } from "./preflight";
import { asRoot, asRootInline, StepScripts } from "./scripts";
import { hostAddress, HostSettings, isSsh, SshHost } from "./settings";

/** The docker provider's `host`: the remote user's Podman over SSH, or the local socket. */
export function dockerHostUri(host: HostSettings): string {
    if (!isSsh(host)) return `unix://${host.podmanSocket}`;
    // An IPv6 address in a URI stands in brackets.
    const address = isIPv6(host.address) ? `[${host.address}]` : host.address;
    return `ssh://${host.user}@${address}:${host.port}`;
}

/** Name as it appears in known_hosts: bare on port 22, "[name]:port" otherwise. */
export function knownHostsName(host: SshHost): string {
    return host.port === 22 ? host.address : `[${host.address}]:${host.port}`;
}

/**
 * Options for the local `ssh` the docker provider runs: the configured key is the only one
 * accepted for this host (no known_hosts file, no trust on first use), and a silent host is
 * given up on.
 */
export function sshOptions(host: SshHost): string[] {
    return [
        "-o",
        "BatchMode=yes",
        // A host that goes away mid-deploy fails its connection within half a minute, naming the host.
        "-o",
        "ConnectTimeout=20",
        "-o",
        "ServerAliveInterval=10",
        "-o",
        "ServerAliveCountMax=3",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        `KnownHostsCommand=/bin/echo ${knownHostsName(host)} ${host.hostKey}`,
    ];
}

export interface PodmanHostArgs {
    /** How to reach it: SSH address, port, user and pinned host key, or this machine's socket. */
    host: HostSettings;
    /** SSH private key; without it the SSH agent ($SSH_AUTH_SOCK) is used. */
    sshPrivateKey?: pulumi.Input<string>;
    /** What the steps and containers placed here rely on; checked before anything is placed. */
    requirements: HostRequirements;
    /** What must run before the preflight can check it (the scrape targets the Prometheus host must reach). */
    preflightAfter?: pulumi.Input<pulumi.Resource>[];
}

/** Options of a step: like a resource's, with `dependsOn` as a list (the preflight is added to it). */
export type StepOptions = Omit<pulumi.CustomResourceOptions, "dependsOn"> & {
    dependsOn?: pulumi.Input<pulumi.Resource>[];
};

/**
 * A step's scripts, run as root: create (which may carry a secret) as an input, delete without
 * secrets, and optionally a check that prints what of the step's work is missing on the host (a
 * refresh then finds it, and the next up runs create again: KeptStep).
 */
export type HostStep = Omit<StepScripts, "create"> & {
    create: pulumi.Input<string>;
    check?: string;
    /** Runs create again (a replacement) whenever one of these changes, such as a container's ID. */
    rerunWhen?: pulumi.Input<string>[];
};

/**
 * A host the stack places things on: over SSH with its pinned host key, or this machine. Runs a
 * preflight first (Podman, name resolution, tools, disk) that every step and container waits
 * for; gives a docker provider for its Podman when it runs containers, and runs steps as root.
 */
export class PodmanHost extends pulumi.ComponentResource {
    readonly address: string;
    readonly #name: string;
    readonly #settings: HostSettings;
    readonly #sshPrivateKey?: pulumi.Input<string>;
    /** The preflight step: every step and container on this host waits for it. */
    readonly preflight: pulumi.Resource;
    readonly #podman?: docker.Provider;
    readonly #everyAddress?: pulumi.Output<string>;
    readonly #resolved?: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: PodmanHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ivatar:otel:PodmanHost", name, {}, opts);
        this.#name = name;
        this.#settings = args.host;
        this.#sshPrivateKey = args.sshPrivateKey;
        this.address = hostAddress(args.host);
        this.preflight = this.command(
            `${name}-preflight`,
            { create: preflightScript(args.requirements), delete: "true" },
            { parent: this, dependsOn: args.preflightAfter },
        );
        // Only a host that runs containers gets a docker provider (the Prometheus host runs steps only).
        if (args.requirements.podman) {
            this.#podman = new docker.Provider(
                `${name}-podman`,
                {
                    host: dockerHostUri(args.host),
                    sshOpts: isSsh(args.host) ? sshOptions(args.host) : undefined,
                },
                { parent: this, dependsOn: [this.preflight] },
            );
            const facts = new PodmanFacts(
                `${name}-podman-facts`,
                {
                    connection: this.connection,
                    privateKey: this.#sshPrivateKey,
                    resolve: args.requirements.resolves ?? [],
                },
                { parent: this, dependsOn: [this.preflight] },
            );
            this.#everyAddress = facts.podmanVersion.apply(everyAddress);
            this.#resolved = facts.addresses;
        }
        this.registerOutputs({ address: this.address, preflight: this.preflight });
    }

    /**
     * A Podman network on this host, on which containers reach each other by name. `aliases`
     * names where it stood before (earlier versions made the network at the top of the stack).
     */
    network(name: string, networkName: string, aliases: pulumi.Input<pulumi.Alias>[] = []): docker.Network {
        // Podman reports its IPAM driver back (host-local), which is not an input: not a change.
        return new docker.Network(
            name,
            { name: networkName },
            { parent: this, provider: this.provider, ignoreChanges: ["ipamOptions"], aliases },
        );
    }

    /** The docker provider for this host's Podman. */
    get provider(): docker.Provider {
        if (!this.#podman) throw this.runsNoContainers();
        return this.#podman;
    }

    private runsNoContainers(): pulumi.InputPropertyError {
        return new pulumi.InputPropertyError({
            propertyPath: "requirements.podman",
            reason: `${this.#name}: this host runs no containers (its requirements say podman: false)`,
        });
    }

    /** The host address of ports published on every address, as this host's Podman reports it (everyAddress). */
    get publishAddress(): pulumi.Output<string> {
        if (!this.#everyAddress) throw this.runsNoContainers();
        return this.#everyAddress;
    }

    /** The addresses this host resolves the names in its requirements' `resolves` to (for its containers). */
    get addresses(): pulumi.Output<Record<string, string>> {
        if (!this.#resolved) throw this.runsNoContainers();
        return this.#resolved;
    }

    /** How the dynamic providers (KeptStep, PodmanFacts) reach this host: the docker provider's SSH, or locally. */
    private get connection(): HostConnection {
        return isSsh(this.#settings)
            ? {
                  sshArgs: [
                      ...sshOptions(this.#settings),
                      "-p",
                      String(this.#settings.port),
                      `${this.#settings.user}@${this.#settings.address}`,
                  ],
              }
            : {};
    }

    /**
     * A step on this host. The create script travels on stdin (so secrets never show on a command
     * line); the delete script is inlined and must carry none.
     */
    step(name: string, step: HostStep, opts: StepOptions): command.remote.Command | command.local.Command {
        const placed = this.command(name, step, { ...opts, dependsOn: [...(opts.dependsOn ?? []), this.preflight] });
        if (step.check !== undefined) {
            new KeptStep(
                `${name}-kept`,
                {
                    connection: this.connection,
                    privateKey: this.#sshPrivateKey,
                    check: step.check,
                    repair: step.create,
                },
                { parent: opts.parent, dependsOn: [placed] },
            );
        }
        return placed;
    }

    private command(
        name: string,
        step: HostStep,
        opts: pulumi.CustomResourceOptions,
    ): command.remote.Command | command.local.Command {
        const common = {
            create: asRoot,
            update: asRoot,
            stdin: step.create,
            delete: asRootInline(step.delete),
            // Triggers only for steps whose delete does nothing: a replacement runs the old delete after the new create.
            triggers: step.rerunWhen,
            logging: "stdoutAndStderr" as const,
        };
        if (!isSsh(this.#settings)) {
            return new command.local.Command(name, { ...common, interpreter: ["/bin/sh", "-c"] }, opts);
        }
        return new command.remote.Command(
            name,
            {
                ...common,
                connection: {
                    host: this.#settings.address,
                    port: this.#settings.port,
                    user: this.#settings.user,
                    hostKey: this.#settings.hostKey,
                    privateKey: this.#sshPrivateKey,
                },
            },
            opts,
        );
    }
}
