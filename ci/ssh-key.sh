#!/bin/sh
# Loads $STACK's SSH key (its secret config sshPrivateKey) into the job's ssh-agent, started by
# the job before this runs: the docker provider's ssh authenticates only through an agent or
# ~/.ssh, never with sshPrivateKey itself (README, "Deploying with Pulumi"). Prints no key.
set -eu
: "${STACK:?set by the job}" "${SSH_AUTH_SOCK:?start ssh-agent first}"
if ! key=$(pulumi config get ivatar-otel:sshPrivateKey --stack "$STACK" 2>/dev/null); then
    echo "ci: $STACK has no sshPrivateKey; the agent stays empty" >&2
    exit 0
fi
printf '%s\n' "$key" | ssh-add -q -
