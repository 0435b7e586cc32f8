// The host preflight: before anything is placed on a host, check what the program relies on
// there and fail with one message that names every missing piece and how to fix it. Pure:
// requirements in, POSIX sh out (run as root, like every step).
import { restartPolicy } from "../container";
import { PrometheusReads, prometheusReadsCheck } from "../prometheus/preflight";
import { preamble, shQuote } from "./scripts";

/** The oldest Podman the program is tested on (Debian 12's); 5.1+ also updates containers in place. */
export const minimumPodman = "4.3.0";

export interface HostTool {
    /** Command that must be on root's PATH. */
    command: string;
    /** What needs it, for the message. */
    neededFor: string;
}

export interface HostRequirements {
    /** Containers run here: Podman, a name-resolving network backend, restart after reboot. */
    podman: boolean;
    /** The docker provider reaches Podman over SSH: `docker system dial-stdio` (podman-docker). */
    dockerDialStdio: boolean;
    /** Commands the steps on this host run. */
    tools: HostTool[];
    /** Commands used when present; their absence is reported as a warning only. */
    optionalTools: HostTool[];
    /** Podman volumes that may take this many bytes on disk together: the disk under Podman's volumes must have room. */
    volumeRoom?: { volumes: string[]; bytes: number; setBy: string[] };
    /** Host names this host must resolve (the other collector hosts, which its front sends to). */
    resolves?: string[];
    /** Directories that must exist here (another program's, which the steps write into but do not make). */
    directories?: { path: string; neededFor: string }[];
    /** HTTP endpoints this host must resolve and reach (Prometheus's scrape targets, once the collectors run). */
    reaches?: { host: string; url: string; neededFor: string }[];
    /** The Prometheus running here must read these files (its rule_files and scrape_config_files). */
    prometheusReads?: PrometheusReads;
}

/**
 * Free space where Podman keeps volumes, plus what the volumes already hold (an update reuses
 * them), must reach what they may take: otherwise the disk fills first.
 */
function volumeRoomCheck(room: NonNullable<HostRequirements["volumeRoom"]>): string[] {
    const onDisk = room.bytes;
    const neededKiB = Math.ceil(onDisk / 1024);
    const gib = (onDisk / 2 ** 30).toFixed(1);
    const paths = room.volumes.map((v) => `"$volumes"/${shQuote(v)}`).join(" ");
    const sum = room.volumes.length === 1 ? "cut -f1" : "awk '{ s += $1 } END { print s }'";
    const list = (words: string[], last: string) =>
        words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} ${last} ${words[words.length - 1]}`;
    const what = `${room.volumes.length === 1 ? "volume" : "volumes"} ${list(room.volumes, "and")}`;
    return [
        `  volumes=$(podman info --format '{{.Store.VolumePath}}' 2>/dev/null || echo /var/lib/containers/storage/volumes)`,
        `  where=$volumes`,
        `  while [ ! -d "$where" ]; do where=$(dirname "$where"); done`,
        `  free_kib=$(df -Pk "$where" | awk 'NR == 2 { print $4 }')`,
        `  held_kib=$(du -sk ${paths} 2>/dev/null | ${sum})`,
        `  if [ $(( \${free_kib:-0} + \${held_kib:-0} )) -lt ${neededKiB} ]; then`,
        `    problem "$where has $(( \${free_kib:-0} / 1048576 )) GiB free, and ${what} may take ${gib} GiB on disk (${list(room.setBy, "and")}): free the space or lower ${list(room.setBy, "or")}"`,
        `  fi`,
    ];
}

/**
 * What brings the containers back after a reboot: podman-restart.service, enabled, starting every
 * container whose restart policy is the one the program sets (Podman's unit filters by policy).
 */
const rebootCheck = [
    `  systemctl is-enabled podman-restart.service >/dev/null 2>&1 || problem "podman-restart.service is not enabled, so the containers would stay stopped after a reboot: systemctl enable podman-restart.service"`,
    `  restart_cmd=$(systemctl show -p ExecStart --value podman-restart.service 2>/dev/null)`,
    `  case "$restart_cmd" in`,
    `    *"start --all"*) case "$restart_cmd" in *restart-policy=${restartPolicy}*) ;; *restart-policy=*) problem "podman-restart.service does not start containers with restart policy ${restartPolicy}, which the collector and Jaeger have: they would stay stopped after a reboot (it runs: $restart_cmd)" ;; esac ;;`,
    `    *) problem "podman-restart.service does not run podman start --all, so the containers would stay stopped after a reboot (it runs: \${restart_cmd:-nothing}): use the unit Podman ships" ;;`,
    `  esac`,
];

/** The docker provider's `docker system dial-stdio` connects to root's Podman API socket: listening now, and after a reboot. */
const socketCheck = [
    `  socket_state=$(systemctl is-active podman.socket 2>/dev/null)`,
    `  [ "$socket_state" = active ] || problem "podman.socket is \${socket_state:-unknown}, not active (the docker provider reaches Podman through it): systemctl enable --now podman.socket"`,
    `  systemctl is-enabled podman.socket >/dev/null 2>&1 || problem "podman.socket is not enabled, so it would be gone after a reboot: systemctl enable --now podman.socket"`,
];

/** SELinux's mode, in the summary: the TLS step labels bind-mounted files for containers where it is on. */
const selinuxReport = [
    `if command -v getenforce >/dev/null 2>&1; then selinux=$(getenforce 2>/dev/null); else selinux="not installed"; fi`,
    `summary="$summary, SELinux \${selinux:-unknown}"`,
    `case "$selinux" in Enforcing|Permissive) command -v semanage >/dev/null 2>&1 || warn "SELinux is $selinux and semanage is not installed (policycoreutils-python-utils): the TLS files are then labelled for containers by chcon, which a relabel of the file system undoes" ;; esac`,
];

/** The check script. Prints a one-line summary on stdout; problems go to stderr with exit 1. */
export function preflightScript(r: HostRequirements): string {
    const lines = [
        preamble.replace("set -eu", "set -u"),
        `problems=""`,
        `problem() { problems="$problems\n  - $1"; }`,
        `warn() { echo "preflight: warning: $1" >&2; }`,
        `summary=""`,
    ];
    if (r.podman) {
        lines.push(
            `if ! command -v podman >/dev/null 2>&1; then`,
            `  problem "podman is not installed: install Podman ${minimumPodman} or later"`,
            `else`,
            `  version=$(podman --version | sed 's/^podman version //')`,
            `  if [ "$(printf '%s\\n%s\\n' ${minimumPodman} "$version" | sort -V | head -n 1)" != ${minimumPodman} ]; then`,
            `    problem "Podman $version is older than ${minimumPodman}: upgrade Podman"`,
            `  fi`,
            `  backend=$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo unknown)`,
            `  if [ "$backend" != netavark ]; then`,
            `    problem "Podman's network backend is $backend, which does not resolve container names (the collector reaches Jaeger by name): install netavark and aardvark-dns, set network_backend = \\"netavark\\" under [network] in a file in /etc/containers/containers.conf.d/, and remove networks made before (podman network rm)"`,
            `  else`,
            `    dns=""`,
            `    for helper in /usr/libexec/podman/aardvark-dns /usr/lib/podman/aardvark-dns /usr/local/libexec/podman/aardvark-dns; do`,
            `      [ -x "$helper" ] && dns=yes`,
            `    done`,
            `    [ -n "$dns" ] || problem "aardvark-dns is not installed: netavark needs it to resolve container names; install aardvark-dns"`,
            `  fi`,
            `  summary="podman $version, $backend"`,
            ...(r.volumeRoom ? volumeRoomCheck(r.volumeRoom) : []),
            `fi`,
            // Without systemd (test machines) nothing restarts containers at boot anyway.
            `if [ -d /run/systemd/system ]; then`,
            ...rebootCheck,
            ...(r.dockerDialStdio ? socketCheck : []),
            `else`,
            `  warn "no systemd here: podman-restart.service and podman.socket were not checked"`,
            `fi`,
            ...selinuxReport,
        );
    }
    if (r.dockerDialStdio) {
        lines.push(
            `command -v docker >/dev/null 2>&1 || problem "docker is not installed: install podman-docker (the docker provider runs docker system dial-stdio over SSH)"`,
        );
    }
    for (const name of r.resolves ?? []) {
        lines.push(
            `getent hosts ${shQuote(name)} >/dev/null 2>&1 || problem ${shQuote(`${name} does not resolve here: this host's front collector sends to that host's sampler by this name (add it to DNS or /etc/hosts)`)}`,
        );
    }
    for (const t of r.tools) {
        lines.push(
            `command -v ${shQuote(t.command)} >/dev/null 2>&1 || problem ${shQuote(`${t.command} is not installed (needed for ${t.neededFor})`)}`,
        );
    }
    for (const t of r.optionalTools) {
        lines.push(
            `command -v ${shQuote(t.command)} >/dev/null 2>&1 || warn ${shQuote(`${t.command} is not installed: ${t.neededFor}`)}`,
        );
    }
    for (const d of r.directories ?? []) {
        lines.push(`[ -d ${shQuote(d.path)} ] || problem ${shQuote(`${d.path} does not exist (${d.neededFor})`)}`);
    }
    // Only with curl (a tool named above) can an endpoint be found unreachable.
    const endpointChecks: string[] = [];
    if (r.reaches?.length)
        endpointChecks.push(
            // Any HTTP answer will do: only a host that cannot be reached at all is a problem here.
            // A container placed moments ago may still be starting: it gets 30 s to answer.
            `answers() { tries=0; until curl -s -o /dev/null --max-time 5 "$1"; do tries=$((tries + 1)); [ "$tries" -lt 15 ] || return 1; sleep 2; done; }`,
        );
    for (const t of r.reaches ?? []) {
        endpointChecks.push(
            `if ! getent hosts ${shQuote(t.host)} >/dev/null 2>&1; then`,
            `  problem ${shQuote(`${t.host} does not resolve here (${t.neededFor}): add it to DNS or /etc/hosts`)}`,
            `elif ! answers ${shQuote(t.url)}; then`,
            `  problem ${shQuote(`${t.url} does not answer from here (${t.neededFor}): check that it runs and that the firewall's trustedNetworks.metrics admits this host`)}" (this host's addresses: $(hostname -I 2>/dev/null))"`,
            `fi`,
        );
    }
    if (r.prometheusReads) endpointChecks.push(...prometheusReadsCheck(r.prometheusReads));
    if (endpointChecks.length) lines.push(`if command -v curl >/dev/null 2>&1; then`, ...endpointChecks, `fi`);
    lines.push(
        `if [ -n "$problems" ]; then`,
        `  printf 'preflight on %s: nothing was placed; fix these first:%b\\n' "$(uname -n)" "$problems" >&2`,
        `  exit 1`,
        `fi`,
        `echo "preflight: ok\${summary:+ ($summary)}"`,
    );
    return lines.join("\n") + "\n";
}
