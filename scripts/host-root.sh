#!/usr/bin/env bash
# Builds the root file system of the test hosts that stand in for ivatar's Podman hosts: Debian 13
# (Podman 5, netavark, crun, systemd as PID 1, firewalld, nftables, OpenSSH, Prometheus), made by
# debootstrap from Debian's packages. The tests boot it in privileged Podman containers
# (tests/hosts.ts), each with its own address, its own copy of the root (an overlay) and its own
# container storage.
#
# Usage: host-root.sh <cache dir>. Prints the root's path. Cached by the package list and this
# script's own content: a second run only finds it. The caller holds the cache's lock.
#
# Set up as an operator of such a host would have it before the first `pulumi up` (README,
# "Podman hosts"): sshd, podman.socket, podman-restart.service and firewalld enabled. Prometheus is
# installed but not enabled: the tests make one host the Prometheus host. Every host makes its own
# SSH host keys at first boot.
set -euo pipefail
cache=$1
suite=trixie
mirror=${IVATAR_OTEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(podman podman-docker netavark aardvark-dns crun passt catatonit conmon systemd systemd-sysv dbus libpam-systemd
    polkitd firewalld nftables openssh-server prometheus iproute2 iputils-ping curl openssl sudo ca-certificates procps kmod)

key=$( { printf '%s\n' "$suite" "${packages[@]}"; cat "$0"; } | sha256sum | cut -c1-12)
root="$cache/host-root-$suite-$key"
if [[ -x $root/usr/bin/podman ]]; then
    echo "$root"
    exit 0
fi
say() { printf '[host-root %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
say "building the test hosts' root (Debian $suite, ${#packages[@]} packages; cold: about 2 minutes)"
work=$(mktemp -d "$cache/host-root.XXXXXX")
trap 'rm -rf "$work"' EXIT
log="$work/debootstrap.log"
include=$(IFS=,; echo "${packages[*]}")
if ! debootstrap --variant=minbase --include="$include" "$suite" "$work/root" "$mirror" >"$log" 2>&1; then
    say "FAILED: debootstrap; last lines of its log:"
    tail -n 30 "$log" >&2
    exit 1
fi
r="$work/root"
# The units an operator enables; sshd makes its host keys when it first starts.
chroot "$r" systemctl enable ssh.service podman.socket podman-restart.service firewalld.service >/dev/null 2>&1
chroot "$r" systemctl disable prometheus.service >/dev/null 2>&1
# Loads no kernel modules in a container (they are the machine's): fails, and would mark the host degraded.
chroot "$r" systemctl mask systemd-modules-load.service >/dev/null 2>&1
rm -f "$r"/etc/ssh/ssh_host_*
mkdir -p "$r/etc/systemd/system/ssh.service.d"
cat >"$r/etc/systemd/system/ssh.service.d/host-keys.conf" <<'UNIT'
# Each test host makes its own host keys at first boot (before sshd's own check, which needs them).
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT
install -d -m 0700 "$r/root/.ssh"
# These machines run cgroup v1, which Podman 5 warns about on every command.
echo 'PODMAN_IGNORE_CGROUPSV1_WARNING=1' >>"$r/etc/environment"
# A deviation from ivatar's hosts, for this test bed only: with systemd managing the containers'
# cgroups, a systemd nested in a container on cgroup v1 sometimes finds a new container's scope
# empty and stops it as it starts (SIGKILL, seen as Jaeger exiting 137 during a rolling change;
# measured with 12 replacements in a row on one booted host: 5 killed or restarting with systemd,
# none with cgroupfs). Fedora's hosts run cgroup v2 with systemd as the real PID 1 (README,
# "What is still unproven").
mkdir -p "$r/etc/containers/containers.conf.d"
cat >"$r/etc/containers/containers.conf.d/50-test-host-cgroups.conf" <<'CONF'
# Test host only (scripts/host-root.sh): nested systemd on cgroup v1.
[engine]
cgroup_manager = "cgroupfs"
CONF
rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
mv "$r" "$work/done"
# Roots of older package lists or scripts are no longer used (about 600 MB each).
find "$cache" -maxdepth 1 -name "host-root-$suite-*" ! -name "host-root-$suite-$key" -exec rm -rf {} +
mv "$work/done" "$root"
say "done: $root ($(du -sh "$root" | cut -f1))"
echo "$root"
