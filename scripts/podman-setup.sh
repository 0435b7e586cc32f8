#!/usr/bin/env bash
# Makes rootful Podman usable on the test machines (Debian 12, cgroup v1, no CAP_SYS_RESOURCE):
# runc instead of crun, container ulimits within the host's hard limits, and the netavark
# network backend (Debian 12's default, CNI, does not resolve container names, so the collector
# could not reach Jaeger by name). Idempotent; fails if Podman still reports another backend.
# Real hosts need only a backend that resolves names; see README, "Podman hosts".
set -euo pipefail
conf=/etc/containers/containers.conf.d/99-ivatar-otel-tests.conf
hard_nofile=$(ulimit -Hn)
[[ $hard_nofile == unlimited ]] && hard_nofile=1048576
nofile=$(( hard_nofile < 65536 ? hard_nofile : 65536 ))
want=$(cat <<CONF
# Written by ivatar-otel scripts/podman-setup.sh for the test machines.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]

[network]
network_backend = "netavark"

[engine]
runtime = "runc"
CONF
)
if [[ ! -f $conf || $(cat "$conf") != "$want" ]]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$want" >"$conf"
    echo "[podman-setup] wrote $conf" >&2
fi
backend=$(podman info --format '{{.Host.NetworkBackend}}')
if [[ $backend != netavark ]]; then
    echo "[podman-setup] Podman uses the $backend network backend, not netavark; networks made" \
        "under the old backend must go first: podman network rm -f <name> (or podman system reset)" >&2
    exit 1
fi
