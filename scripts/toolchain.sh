#!/usr/bin/env bash
# Installs and builds every real program the artifact and live tests run:
#   Debian: podman with netavark + aardvark-dns (container names resolve on Podman networks;
#           netavark sets up its firewall rules with iptables),
#           runc, nftables, openssl, prometheus (promtool + server), prometheus-node-exporter, openssh-server,
#           systemd (its systemd-analyze checks the rendered units; no systemd runs here)
#   Go:     the collector (a builder-made distribution of exactly the components the program
#           configures), Jaeger v2 and telemetrygen, at the versions pinned in versions.json
#   Pulumi: the CLI, the Node.js language host and the provider plugins, built by the shared
#           engine script ($PULUMI_ENGINE_BUILD, default ../shared/pulumi-engine/build.sh)
#   Podman: local images tagged with the program's pinned image names, built from those binaries
#   Hosts:  a Debian 13 root (Podman 5, systemd, firewalld) that the engine tests boot as hosts
#           (scripts/host-root.sh), and an archive of those images for them to load
# Builds are cached by version under $IVATAR_OTEL_CACHE (default ~/.cache/ivatar-otel), so a
# second run only checks what is there. Two runs at once take turns (a lock on the cache), and
# every build goes to a private temporary directory and is renamed into place when complete.
# Prints the tools' paths as shell assignments at the end (also written to
# $IVATAR_OTEL_CACHE/tools.env, which the tests read).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${IVATAR_OTEL_CACHE:-$HOME/.cache/ivatar-otel}
mkdir -p "$cache/bin"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0 GOFLAGS=-trimpath

say() { printf '[toolchain %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# One run at a time per cache: a second run waits here, then finds the builds done.
exec 8>"$cache/.lock"
if ! flock -n 8; then
    say "another toolchain run holds $cache/.lock; waiting for it"
    flock 8
fi
# Private scratch space for this run, removed however the run ends.
scratch=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
pin() { node -p "require('$repo/versions.json').$1"; }
# Runs a slow command, printing a line every 30 s so a person knows it is alive.
slow() {
    local what=$1; shift
    local start=$SECONDS
    local log="$scratch/build.log"
    "$@" >"$log" 2>&1 &
    local pid=$! next=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
        sleep 2
        if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
            say "  still $what ($((SECONDS - start)) s)"
            next=$((SECONDS + 30))
        fi
    done
    if ! wait "$pid"; then
        say "FAILED: $what; last lines of its log:"
        tail -n 30 "$log" >&2
        exit 1
    fi
    say "  done $what in $((SECONDS - start)) s"
}

# --- Debian packages ---------------------------------------------------------------------
# rsync: gitlab-ci-local copies the checkout with it (tests/real/gitlab.test.ts).
# debootstrap: makes the test hosts' Debian 13 root (scripts/host-root.sh).
# prometheus-node-exporter: reads the certificate expiry the TLS step writes (tls.expiryMetricsDir).
packages=(podman podman-docker netavark aardvark-dns iptables runc nftables openssl prometheus prometheus-node-exporter openssh-server openssh-client iproute2 uidmap curl systemd rsync debootstrap)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's prometheus packages start their servers through init scripts on install; the tests
# start their own, so stop any that came up with the packages.
pkill -x prometheus 2>/dev/null || true
pkill -x prometheus-node-exporter 2>/dev/null || true

# --- Podman defaults these machines need (see README, "Podman hosts") -------------------
"$repo/scripts/podman-setup.sh"

# go_install <module>@<version> <binary name> <destination>: installs once, into the cache.
go_install() {
    local target=$1 name=$2 dest=$3
    [[ -x $dest ]] && return
    say "building $target"
    local tmp
    tmp=$(mktemp -d "$scratch/go.XXXXXX")
    slow "go install $name" env GOBIN="$tmp" go install "$target"
    mv "$tmp/$name" "$dest"
}

# --- Collector -----------------------------------------------------------------------------
release=$(pin collector.release)
builder_bin="$cache/bin/builder-v$release"
go_install "$(pin collector.builder)@v$release" builder "$builder_bin"
manifest=$(cd "$repo" && node_modules/.bin/ts-node --transpile-only scripts/collector-manifest.ts "@OUT@")
# The cache key covers the component list and versions, not the manifest's comments.
manifest_key=$(printf '%s' "$manifest" | grep -v '^#' | sha256sum | cut -c1-12)
collector_dir="$cache/collector-$release-$manifest_key"
collector_bin="$collector_dir/otelcol-contrib"
if [[ ! -x $collector_bin ]]; then
    say "building the collector v$release (components per components/collector/distribution.ts; cold: a few minutes)"
    work=$(mktemp -d "$scratch/collector.XXXXXX")
    printf '%s\n' "${manifest//@OUT@/$work/dist}" >"$work/manifest.yaml"
    slow "building the collector" "$builder_bin" --config "$work/manifest.yaml"
    mkdir -p "$work/done"
    mv "$work/dist/otelcol-contrib" "$work/manifest.yaml" "$work/done/"
    rm -rf "$collector_dir"
    mv "$work/done" "$collector_dir"
fi

# --- Jaeger ---------------------------------------------------------------------------------
jaeger_release=$(pin jaeger.release)
jaeger_mod=$(pin jaeger.goModule)
jaeger_modver=$(pin jaeger.goModuleVersion)
# Jaeger's go.mod carries a replace directive, which `go install mod@ver` refuses: its commands
# are built through a throwaway module that requires Jaeger and repeats the replace.
build_jaeger_command() {
    local command=$1 out=$2 what=$3
    [[ -x $out ]] && return
    say "building $what (Go module $jaeger_mod v$jaeger_modver; cold: a few minutes)"
    local src
    src=$(mktemp -d "$scratch/$command.XXXXXX")
    (
        cd "$src"
        go mod init "ivatar-otel/$command-build" >/dev/null 2>&1
        go mod edit -replace "$(pin jaeger.goReplace | sed 's/ => /=/; s/ v/@v/')"
    )
    slow "resolving the modules of $what" bash -c "cd '$src' && go get '$jaeger_mod/cmd/$command@v$jaeger_modver'"
    slow "building $what" bash -c "cd '$src' && go build -o '$src/$command' '$jaeger_mod/cmd/$command'"
    mv "$src/$command" "$out"
}
jaeger_bin="$cache/bin/jaeger-$jaeger_release"
build_jaeger_command jaeger "$jaeger_bin" "Jaeger $jaeger_release"
# The index cleaner: the retention on a search cluster.
cleaner_bin="$cache/bin/es-index-cleaner-$jaeger_modver"
build_jaeger_command es-index-cleaner "$cleaner_bin" "Jaeger's index cleaner"

# --- telemetrygen --------------------------------------------------------------------------
tg_version=$(pin telemetrygen.version)
telemetrygen_bin="$cache/bin/telemetrygen-$tg_version"
go_install "$(pin telemetrygen.module)@v$tg_version" telemetrygen "$telemetrygen_bin"

# --- Local images under the pinned names --------------------------------------------------
# Same binary path, default config path and user id as the official images, so the program's
# container specs run unchanged on them. Rebuilt only when the binary changes.
build_image() {
    local image=$1 binary=$2 target=$3
    shift 3
    local sum
    sum=$(sha256sum "$binary" | cut -c1-16)
    if [[ $(podman image inspect --format '{{index .Labels "ivatar-otel.binary"}}' "$image" 2>/dev/null) == "$sum" ]]; then
        return
    fi
    say "building local image $image"
    local ctx
    ctx=$(mktemp -d "$scratch/image.XXXXXX")
    # Stage the binary at its path with world-readable directories (mktemp's are private).
    install -D -m 0755 "$binary" "$ctx/rootfs$target"
    find "$ctx/rootfs" -type d -exec chmod 0755 {} +
    {
        echo "FROM scratch"
        echo "COPY rootfs/ /"
        echo "LABEL ivatar-otel.binary=$sum"
        echo "USER 10001:10001"
        echo "ENTRYPOINT [\"$target\"]"
        [[ $# -gt 0 ]] && echo "CMD $*"
    } >"$ctx/Containerfile"
    podman build -q -t "$image" "$ctx" >/dev/null
}
build_image "$(pin collector.image)" "$collector_bin" /otelcol-contrib '["--config", "/etc/otelcol-contrib/config.yaml"]'
build_image "$(pin jaeger.image)" "$jaeger_bin" /cmd/jaeger/jaeger-linux
build_image "$(pin jaeger.indexCleanerImage)" "$cleaner_bin" /go/bin/es-index-cleaner-linux

# --- Test hosts -----------------------------------------------------------------------------
# The root the engine tests boot as Podman 5 hosts, and the images above in one archive that each
# host loads (no registry is reachable from them either).
host_root=$("$repo/scripts/host-root.sh" "$cache")
host_image_names=("$(pin collector.image)" "$(pin jaeger.image)" "$(pin jaeger.indexCleanerImage)")
images_key=$(podman image inspect --format '{{.Id}}' "${host_image_names[@]}" | sha256sum | cut -c1-12)
host_images="$cache/host-images-$images_key.tar"
if [[ ! -f $host_images ]]; then
    say "saving the images for the test hosts"
    podman save -q --multi-image-archive -o "$scratch/images.tar" "${host_image_names[@]}"
    rm -f "$cache"/host-images-*.tar
    mv "$scratch/images.tar" "$host_images"
fi

# --- Pulumi engine ----------------------------------------------------------------------------
engine_build=${PULUMI_ENGINE_BUILD:-$repo/../shared/pulumi-engine/build.sh}
if [[ ! -x $engine_build ]]; then
    say "FAILED: no Pulumi engine build script at $engine_build (set PULUMI_ENGINE_BUILD)"
    exit 1
fi
say "Pulumi engine (cold: 8-20 min)"
pulumi_bin_dir=$("$engine_build" | tail -n 1)
engine_binaries=(pulumi pulumi-language-nodejs pulumi-resource-command pulumi-resource-random pulumi-resource-docker)
for binary in "${engine_binaries[@]}"; do
    [[ -x $pulumi_bin_dir/$binary ]] || { say "FAILED: the engine build gave no $binary in $pulumi_bin_dir"; exit 1; }
done
# The CLI's own distribution also carries the plugin that hosts dynamic providers (KeptStep
# uses one): a launcher of the Node.js SDK's provider entry point, run from the project
# directory. The engine build lacks it, so the tests' bin directory has the engine's binaries
# and this launcher.
pulumi_bin="$cache/pulumi-bin-$(basename "$(dirname "$pulumi_bin_dir")")"
if [[ ! -x $pulumi_bin/pulumi-resource-pulumi-nodejs ]]; then
    mkdir -p "$scratch/pulumi-bin"
    for binary in "${engine_binaries[@]}"; do ln -s "$pulumi_bin_dir/$binary" "$scratch/pulumi-bin/$binary"; done
    cat >"$scratch/pulumi-bin/pulumi-resource-pulumi-nodejs" <<'LAUNCHER'
#!/bin/sh
# Hosts Pulumi dynamic providers: the Node.js SDK's entry point, from the project's node_modules.
exec node ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"
LAUNCHER
    chmod 0755 "$scratch/pulumi-bin/pulumi-resource-pulumi-nodejs"
    rm -rf "$pulumi_bin"
    mv "$scratch/pulumi-bin" "$pulumi_bin"
fi

promtool_bin=$(command -v promtool)
prometheus_bin=$(command -v prometheus)
node_exporter_bin=$(command -v prometheus-node-exporter)
{
    echo "IVATAR_OTEL_COLLECTOR=$collector_bin"
    echo "IVATAR_OTEL_JAEGER=$jaeger_bin"
    echo "IVATAR_OTEL_TELEMETRYGEN=$telemetrygen_bin"
    echo "IVATAR_OTEL_PROMTOOL=$promtool_bin"
    echo "IVATAR_OTEL_PROMETHEUS=$prometheus_bin"
    echo "IVATAR_OTEL_NODE_EXPORTER=$node_exporter_bin"
    echo "IVATAR_OTEL_PULUMI_BIN=$pulumi_bin"
    echo "IVATAR_OTEL_HOST_ROOT=$host_root"
    echo "IVATAR_OTEL_HOST_IMAGES=$host_images"
} >"$scratch/tools.env"
mv "$scratch/tools.env" "$cache/tools.env"
cat "$cache/tools.env"
say "toolchain ready"
