// A container as the renderers describe it: plain data, shared by the Pulumi components
// (turned into docker.Container arguments here) and the live tests (turned into podman flags).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HostStep, StepOptions } from "./host/podmanHost";
import { preamble, shQuote } from "./host/scripts";

/** GOMEMLIMIT at 80 % of a Go program's container limit, so its GC works hard before the kernel kills. */
export function goMemLimitMiB(memoryMb: number): number {
    return Math.floor((memoryMb * 80) / 100);
}

export function goMemLimit(memoryMb: number): string {
    return `${goMemLimitMiB(memoryMb)}MiB`;
}

/** The content of a file a spec copies into its container ("" if it has none at that path). */
export function fileIn<Content>(spec: ContainerSpec<Content>, path: string): Content | "" {
    return spec.files.find((f) => f.path === path)?.content ?? "";
}

/**
 * What brings a container back after a reboot: Podman's podman-restart.service starts only the
 * containers whose policy is `always` (Podman 5.4: `--filter restart-policy=always`), so one with
 * `unless-stopped` stays exited. The docker provider stays the containers' one owner.
 */
export const restartPolicy = "always";

/** How long a container may take to stop when the provider replaces or removes it. */
export const stopGraceSeconds = 30;

/** The restart policy of the versions before the stop grace (they placed containers with `unless-stopped`). */
const policyWithoutGrace = "unless-stopped";

/**
 * Stops the named container with the stop grace if a version before the grace placed it. The
 * provider stops a container it replaces with the grace its *old* state records, and those
 * versions' state records none: it would kill the container at once, losing what a collector
 * holds undecided (and what Jaeger has taken in but not written). Such a container is
 * recognised by its restart policy: every later version places `always`. A container this
 * version placed, or none at all, is left as it is. It runs just before the replacement, so the
 * ports close for the stop and the replacement only; if the `up` fails after it, the container
 * stays stopped until the next `up` replaces it (its queue is on its volume).
 */
export function handoverScript(containerName: string): string {
    const name = shQuote(containerName);
    return (
        preamble +
        [
            `name=${name}`,
            `if [ "$(podman container inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.State.Running}}' "$name" 2>/dev/null)" = '${policyWithoutGrace} true' ]; then`,
            `  echo "stopping $name with a ${stopGraceSeconds} s grace before its replacement (placed by a version without one)" >&2`,
            `  podman stop --time ${stopGraceSeconds} "$name" >/dev/null`,
            "fi",
        ].join("\n") +
        "\n"
    );
}

/** The user the official collector and Jaeger images run as; their named volumes belong to it. */
export const imageUser = "10001:10001";

export interface PublishedPort {
    /** Port inside the container. */
    internal: number;
    /** Port on the host, on every host address. */
    external: number;
}

export type Mount =
    /** A named Podman volume, created owned by the container's user. */
    | { volume: string; containerPath: string }
    /** A host directory, read-only, relabelled for containers where SELinux is on (the `z` option). */
    | { hostPath: string; containerPath: string };

/** A bind mount's options: read-only, and labelled container_file_t (shared) by Podman on SELinux hosts. */
export const bindOptions = { readOnly: true, selinuxRelabel: "z" } as const;

/** Content is a plain string in renderers and tests, and may be a Pulumi output in components. */
export interface ContainerFile<Content = string> {
    /** Absolute path inside the container. */
    path: string;
    /** File content; `secret` files are marked secret in Pulumi state and never logged. */
    content: Content;
    secret?: boolean;
}

export interface ContainerSpec<Content = string> {
    name: string;
    image: string;
    /** Arguments after the image's entrypoint. */
    args: string[];
    /** "uid:gid" the process runs as. */
    user: string;
    /** CPU limit in CPUs. */
    cpus: number;
    /** Memory limit in MB (no extra swap). */
    memoryMb?: number;
    env: Record<string, string>;
    ports: PublishedPort[];
    mounts: Mount[];
    /** Files copied into the container before it starts. */
    files: ContainerFile<Content>[];
    /** Podman network the container joins, with its name as DNS alias. */
    network: string;
    /** More DNS names it answers to on that network. */
    aliases?: string[];
    /**
     * Other hosts' names it connects to. Containers made through Podman's Docker-compatible API do
     * not read the host's /etc/hosts, so these are given the addresses their host resolves them to.
     */
    reaches?: string[];
    restart: typeof restartPolicy;
    labels: Record<string, string>;
}

/** The user and group a named volume must belong to, as Podman's local driver takes it. */
export function volumeOwnerOptions(user: string): Record<string, string> {
    const [uid, gid] = user.split(":");
    return { o: `uid=${uid},gid=${gid ?? uid}` };
}

/**
 * A named volume owned by the container's user, kept when the stack is destroyed (it holds queued
 * spans or stored traces). Podman reports the owner options back in its own form (UID, GID keys
 * beside `o`), which would read as a change on every run: they are fixed at creation anyway.
 */
export function ownedVolume(
    name: string,
    volumeName: string,
    user: string,
    opts: pulumi.CustomResourceOptions,
): docker.Volume {
    return new docker.Volume(
        name,
        { name: volumeName, driverOpts: volumeOwnerOptions(user) },
        { ...opts, retainOnDelete: true, ignoreChanges: ["driverOpts"] },
    );
}

/**
 * CPUs as the docker provider reads them back from the container (nano-CPUs as a decimal: 1 ->
 * "1.0", 1.5 -> "1.5", 20 -> "20."), so that an unchanged limit reads as unchanged. Any other
 * spelling ("1") makes every `pulumi up` replace the container.
 */
export function providerCpus(cpus: number): string {
    const nanos = Math.round(cpus * 1e9);
    if (nanos === 0) return "0";
    const whole = Math.floor(nanos / 1e9);
    const nine = `${whole}.${String(nanos % 1e9).padStart(9, "0")}`;
    if ((nine.match(/0/g) ?? []).length === 9) return `${whole}.${String(Math.round((nanos % 1e9) / 1e8))}`;
    return nine.replace(/0+$/, "");
}

/**
 * The host address of a port published on every address, in the form the host's Podman reports
 * it back: "0.0.0.0" from Podman 5, empty from Podman 4. (Sending 0.0.0.0 to Podman 4.3's netavark
 * makes it a literal destination, which its DNAT rules never match.)
 */
export function everyAddress(podmanVersion: string): string {
    return Number(podmanVersion.split(".")[0]) >= 5 ? "0.0.0.0" : "";
}

/** docker.Container arguments for a spec, on the given network resource, as its host's facts require. */
export function dockerContainerArgs(
    spec: ContainerSpec<pulumi.Input<string>>,
    networkName: pulumi.Input<string>,
    imageId: pulumi.Input<string>,
    volumes: Record<string, pulumi.Input<string>>,
    host: Pick<ContainerHost, "publishAddress" | "addresses">,
): docker.ContainerArgs {
    const reaches = spec.reaches ?? [];
    return {
        name: spec.name,
        image: imageId,
        command: spec.args,
        user: spec.user,
        // The docker provider takes CPUs as a string and memory in MB.
        cpus: providerCpus(spec.cpus),
        memory: spec.memoryMb,
        memorySwap: spec.memoryMb,
        envs: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
        ports: spec.ports.map((p) => ({
            internal: p.internal,
            external: p.external,
            protocol: "tcp",
            ip: host.publishAddress,
        })),
        ...(reaches.length
            ? {
                  hosts: pulumi.output(host.addresses).apply((addresses) =>
                      reaches.map((name) => {
                          const ip = addresses[name];
                          if (!ip) throw new Error(`${spec.name}: the host resolved no address for ${name}`);
                          return { host: name, ip };
                      }),
                  ),
              }
            : {}),
        // As binds (`volumes`), not `mounts`: Podman 5 reports mounts back as binds only, so the
        // provider would read `mounts` as empty on refresh and replace the container.
        volumes: spec.mounts.map((m) =>
            "volume" in m
                ? { volumeName: volumes[m.volume], containerPath: m.containerPath }
                : { hostPath: m.hostPath, containerPath: m.containerPath, ...bindOptions },
        ),
        uploads: spec.files.map((f) => ({
            file: f.path,
            content: f.secret ? pulumi.secret(f.content) : f.content,
        })),
        networksAdvanced: [{ name: networkName, aliases: [spec.name, ...(spec.aliases ?? [])] }],
        restart: spec.restart,
        labels: Object.entries(spec.labels).map(([label, value]) => ({ label, value })),
        // `pulumi up` fails if the container does not stay up.
        mustRun: true,
        // A replaced or removed container is stopped, not killed: a collector then decides the traces
        // it holds and writes what it has not sent to its disk queue (the provider's default kills at once).
        destroyGraceSeconds: stopGraceSeconds,
    };
}

/**
 * What a component resource was told to wait for, for its children: Pulumi does not pass a
 * component's own dependsOn down, so without this they would not wait.
 */
export function dependenciesOf(opts: pulumi.ResourceOptions | undefined): pulumi.Input<pulumi.Resource>[] {
    const d = opts?.dependsOn;
    if (d === undefined) return [];
    if (Array.isArray(d)) return d;
    if (pulumi.Resource.isInstance(d)) return [d];
    throw new Error("dependsOn of an ivatar-otel component must be a resource or a list of resources");
}

/** What placing a container needs of its host (a PodmanHost). */
export interface ContainerHost {
    /** The docker provider for the host's Podman. */
    readonly provider: docker.Provider;
    /** How the host's Podman writes "every address" (everyAddress of its version). */
    readonly publishAddress: pulumi.Input<string>;
    /** The addresses the host resolves other hosts' names to (for the spec's `reaches`). */
    readonly addresses: pulumi.Input<Record<string, string>>;
    /** Runs a step on the host as root. */
    step(name: string, step: HostStep, opts: StepOptions): pulumi.Resource;
}

export interface ContainerPlace {
    host: ContainerHost;
    network: docker.Network;
    /** Logical name of the spec's named volume, if it has one (kept when the stack is destroyed). */
    volumeResource: string;
    /** The component placing it: parent of the image, volume and container. */
    parent: pulumi.ComponentResource;
    /** What the container waits for besides its image, volume and network. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Places a spec: its pinned image (kept on the host), its named volume (if any) owned by the spec's user, the container. */
export function placeContainer(
    name: string,
    spec: ContainerSpec<pulumi.Input<string>>,
    place: ContainerPlace,
): docker.Container {
    const volumes = spec.mounts.flatMap((m) => ("volume" in m ? [m.volume] : []));
    if (volumes.length > 1)
        throw new pulumi.InputPropertyError({
            propertyPath: "spec.mounts",
            reason: `${spec.name}: expected at most one named volume, found ${volumes.length}`,
        });
    const { host, parent } = place;
    const provider = host.provider;
    const image = new docker.RemoteImage(
        `${name}-image`,
        { name: spec.image, keepLocally: true },
        { parent, provider },
    );
    const owned = volumes.map(
        (v) => [v, ownedVolume(place.volumeResource, v, spec.user, { parent, provider })] as const,
    );
    // Waits for what the container waits for, so it runs just before a replacement.
    const handover = host.step(
        `${name}-handover`,
        { create: handoverScript(spec.name), delete: "true" },
        { parent, dependsOn: [...place.dependsOn, image, place.network, ...owned.map(([, volume]) => volume)] },
    );
    const volumeNames = Object.fromEntries(owned.map(([v, volume]) => [v, volume.name]));
    return new docker.Container(
        `${name}-container`,
        dockerContainerArgs(spec, place.network.name, image.imageId, volumeNames, host),
        { parent, provider, dependsOn: [...place.dependsOn, handover], deleteBeforeReplace: true },
    );
}
