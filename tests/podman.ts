// Runs a ContainerSpec on this machine's Podman the way the docker provider places it: create
// the container, copy its files in, start it. Used by the artifact and live tests.
import * as fs from "fs";
import * as path from "path";
import { bindOptions, ContainerSpec, volumeOwnerOptions } from "../components/container";
import { run, runOk, tempDir } from "./tools";

/** What a test adds to a spec: names resolved to given addresses (standing in for other hosts' DNS). */
export interface StartOptions {
    addHosts?: Record<string, string>;
}

/** `podman create` arguments for a spec (images are local: never pull). */
export function podmanCreateArgs(spec: ContainerSpec, options: StartOptions = {}): string[] {
    const args = ["create", "--pull=never", "--name", spec.name, "--user", spec.user, "--cpus", String(spec.cpus)];
    for (const [name, address] of Object.entries(options.addHosts ?? {})) args.push("--add-host", `${name}:${address}`);
    if (spec.memoryMb) args.push("--memory", `${spec.memoryMb}m`, "--memory-swap", `${spec.memoryMb}m`);
    for (const [key, value] of Object.entries(spec.env)) args.push("--env", `${key}=${value}`);
    for (const p of spec.ports) args.push("--publish", `${p.external}:${p.internal}`);
    for (const m of spec.mounts) {
        args.push(
            "--volume",
            "volume" in m
                ? `${m.volume}:${m.containerPath}`
                : `${m.hostPath}:${m.containerPath}:ro,${bindOptions.selinuxRelabel}`,
        );
    }
    args.push(
        "--network",
        spec.network,
        ...[spec.name, ...(spec.aliases ?? [])].flatMap((a) => ["--network-alias", a]),
        "--restart",
        spec.restart,
    );
    for (const [label, value] of Object.entries(spec.labels)) args.push("--label", `${label}=${value}`);
    args.push(spec.image, ...spec.args);
    return args;
}

/** Creates the network and volumes a spec needs, if missing. */
export function ensureDependencies(spec: ContainerSpec): void {
    if (run("podman", ["network", "exists", spec.network]).status !== 0)
        runOk("podman", ["network", "create", spec.network]);
    for (const m of spec.mounts) {
        if (!("volume" in m) || run("podman", ["volume", "exists", m.volume]).status === 0) continue;
        const { o } = volumeOwnerOptions(spec.user);
        runOk("podman", ["volume", "create", "--opt", `o=${o}`, m.volume]);
    }
}

/** Creates, fills and starts the container; returns its name. */
export function startContainer(spec: ContainerSpec, options: StartOptions = {}): string {
    removeContainer(spec.name);
    ensureDependencies(spec);
    runOk("podman", podmanCreateArgs(spec, options));
    // Like the provider's uploads: a tar of the files at their full paths, unpacked at "/".
    const staging = tempDir("files");
    try {
        for (const file of spec.files) {
            const target = path.join(staging, file.path);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, file.content, { mode: 0o644 });
        }
        // Top-level entries only: a "." entry would impose the staging directory's mode on "/".
        runOk("tar", ["-C", staging, "--owner=0", "--group=0", "-cf", `${staging}.tar`, ...fs.readdirSync(staging)]);
        // `podman cp -` unpacks a tar stream from stdin.
        runOk("podman", ["cp", "-", `${spec.name}:/`], { input: fs.readFileSync(`${staging}.tar`) });
    } finally {
        fs.rmSync(staging, { recursive: true, force: true });
        fs.rmSync(`${staging}.tar`, { force: true });
    }
    runOk("podman", ["start", spec.name]);
    return spec.name;
}

export function removeContainer(name: string): void {
    run("podman", ["rm", "--force", "--time", "2", name]);
}

export function removeVolume(name: string): void {
    run("podman", ["volume", "rm", "--force", name]);
}

/** Removes each spec's container and the named volumes it mounts. */
export function removeContainersAndVolumes(specs: ContainerSpec[]): void {
    for (const spec of specs) {
        removeContainer(spec.name);
        for (const m of spec.mounts) if ("volume" in m) removeVolume(m.volume);
    }
}

/** The container's address on its Podman network (reachable from this host as root). */
export function containerAddress(name: string): string {
    const address = runOk("podman", [
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        name,
    ])
        .trim()
        .split(" ")[0];
    if (!address) throw new Error(`container ${name} has no address`);
    return address;
}

export function containerLogs(name: string): string {
    const logs = run("podman", ["logs", "--tail", "40", name]);
    return `${logs.stdout}${logs.stderr}`;
}
