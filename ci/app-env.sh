#!/bin/sh
# Example for the apps' deploy: `pulumi stack output` of $STACK (secrets included) turned into
# <dir>/ivatar-otel.env, one <dir>/ivatar-otel-<instance>.env per app instance the stack names
# (apps.instances, for a gradual rollout) and, with a self-issued CA, <dir>/otel-ca.pem. All are 0600; nothing
# secret reaches the job log (only file and variable names are printed).
set -eu
: "${STACK:?set by the job}"
dir=${1:?usage: ci/app-env.sh <dir>}
umask 077
mkdir -p "$dir"
outputs=$(mktemp)
trap 'rm -f "$outputs"' EXIT
pulumi stack output --json --show-secrets --stack "$STACK" --non-interactive >"$outputs"
node_modules/.bin/ts-node --transpile-only scripts/app-env.ts "$outputs" "$dir"
