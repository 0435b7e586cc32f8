#!/bin/sh
# Runs its arguments holding a machine-wide lock. The live and engine tests use this machine's
# fixed ports, network namespaces, container names and Podman socket, so two runs at once (two
# CI jobs on one machine) take turns instead of breaking each other.
set -eu
lock="${IVATAR_OTEL_CACHE:-$HOME/.cache/ivatar-otel}/tests.lock"
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
if ! flock -n 9; then
    echo "tests: another run holds $lock; waiting for it to finish" >&2
    flock 9
fi
exec "$@"
