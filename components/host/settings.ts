// How the program reaches a Podman host: PodmanHost's own contract (stack/plan.ts checks at
// compile time that the config schema's hosts fit it).

/** A host reached over SSH that must present exactly this host key. */
export interface SshHost {
    /** DNS name or IP address the SSH client connects to. */
    address: string;
    port: number;
    /** Login user: root, or one with passwordless sudo (rootful Podman). */
    user: string;
    /** The host's public key as `ssh-keyscan` prints it after the host name. */
    hostKey: string;
}

/** This machine's own Podman, through its API socket, with local commands. */
export interface LocalHost {
    local: true;
    podmanSocket: string;
}

export type HostSettings = SshHost | LocalHost;

export function isSsh(host: HostSettings): host is SshHost {
    return "address" in host;
}

/** The name or address the host is known by: its SSH address, or localhost for this machine. */
export function hostAddress(host: HostSettings): string {
    return isSsh(host) ? host.address : "localhost";
}
