#!/usr/bin/env bash
# Makes rootful Podman usable on the test machines (Debian 12, cgroup v1, no CAP_SYS_RESOURCE):
# runc instead of crun, and container ulimits within the host's hard limits. Idempotent.
# Real hosts do not need this; see README, "Podman hosts".
set -euo pipefail
conf=/etc/containers/containers.conf.d/99-ivatar-otel-tests.conf
hard_nofile=$(ulimit -Hn)
[[ $hard_nofile == unlimited ]] && hard_nofile=1048576
nofile=$(( hard_nofile < 65536 ? hard_nofile : 65536 ))
want=$(cat <<CONF
# Written by ivatar-otel scripts/podman-setup.sh for the test machines.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
)
if [[ ! -f $conf || $(cat "$conf") != "$want" ]]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$want" >"$conf"
    echo "[podman-setup] wrote $conf" >&2
fi
