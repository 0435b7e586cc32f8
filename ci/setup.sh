#!/bin/sh
# Every job's setup: the project's npm packages (unless already installed) and the Pulumi CLI at
# the version versions.json pins (unless that one is on PATH already).
set -eu
if [ ! -d node_modules ]; then
    npm ci --cache .npm --prefer-offline --no-audit --no-fund
fi
want=$(node -p "require('./versions.json').pulumi.cli")
have=$(pulumi version 2>/dev/null || true)
if [ "$have" != "v$want" ]; then
    # Into $PULUMI_HOME/bin, which the job puts first on PATH (and the cache keeps).
    echo "ci: installing the Pulumi CLI $want into $PULUMI_HOME (found: ${have:-none})" >&2
    curl -fsSL https://get.pulumi.com | sh -s -- --version "$want" --install-root "$PULUMI_HOME" --no-edit-path >&2
fi
pulumi version >&2
