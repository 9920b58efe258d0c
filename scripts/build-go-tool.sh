#!/usr/bin/env bash
# Builds one server binary from its Go module with a plain `go install <module>/<cmd>@<version>` (no
# wrapper module, no replace directives), once per version, into a cache outside this repository, and
# prints the binary's path. scripts/build-ci-images.sh puts them into the local images; the chaos tests
# run Toxiproxy from here too.
#
#   bash scripts/build-go-tool.sh nats-server        # the version Pulumi.dev.yaml pins (nats:<version>-alpine)
#   bash scripts/build-go-tool.sh toxiproxy-server   # github.com/Shopify/toxiproxy/v2 v2.5.0
#   bash scripts/build-go-tool.sh cadvisor           # tools/cadvisor: our main over github.com/google/cadvisor
#                                                    # v0.61.1 (the module with upstream's main is not served)
#   bash scripts/build-go-tool.sh toxiproxy-cli      # its CLI (the link proxy's container health check)
#   bash scripts/build-go-tool.sh prometheus         # prometheus and promtool at the version Pulumi.dev.yaml
#                                                    # pins (prom/prometheus:v2.X.Y is module v0.X.Y)
#   bash scripts/build-go-tool.sh --version nats-server   # prints the version only
#
# Cached: well under a second. Cold, on 2 cores with an empty module cache: about a minute for
# nats-server, 20 s for Toxiproxy (the time is printed on stderr).
#
# GOTOOLCHAIN=local: nats-server v2.15.3's go.mod says `go 1.26.0` and `toolchain go1.26.11`; the local Go
# (1.26.8) satisfies the `go` line, and without `local` the go command would fetch go1.26.11 only because
# of the toolchain line.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-go-tool.sh: $*" >&2; exit 1; }

print_version=0
if [[ "${1:-}" == "--version" ]]; then
  print_version=1
  shift
fi
tool="${1:-}"

# The NATS version is the one users get: the tag of proving-ground:natsImage in Pulumi.dev.yaml.
dev_nats_version() {
  local image
  image=$(awk '$1 == "proving-ground:natsImage:" { print $2 }' Pulumi.dev.yaml)
  [[ "$image" =~ ^nats:([0-9]+\.[0-9]+\.[0-9]+)-alpine$ ]] ||
    die "Pulumi.dev.yaml: proving-ground:natsImage should be nats:<major.minor.patch>-alpine, got '$image'"
  echo "v${BASH_REMATCH[1]}"
}

# The Prometheus version is the one users get: prom/prometheus:v2.X.Y in Pulumi.dev.yaml is the module
# github.com/prometheus/prometheus v0.X.Y (Prometheus tags its Go module v0.<minor>.<patch>).
dev_prometheus_module_version() {
  local image
  image=$(awk '$1 == "proving-ground:prometheusImage:" { print $2 }' Pulumi.dev.yaml)
  [[ "$image" =~ ^prom/prometheus:v2\.([0-9]+)\.([0-9]+)$ ]] ||
    die "Pulumi.dev.yaml: proving-ground:prometheusImage should be prom/prometheus:v2.<minor>.<patch>, got '$image'"
  echo "v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
}

case "$tool" in
  nats-server)
    version="${NATS_SERVER_VERSION:-$(dev_nats_version)}"
    pkg="github.com/nats-io/nats-server/v2"
    built_name=nats-server
    ;;
  toxiproxy-server)
    version="${TOXIPROXY_VERSION:-v2.5.0}"
    pkg="github.com/Shopify/toxiproxy/v2/cmd/server"
    built_name=server
    ;;
  toxiproxy-cli)
    version="${TOXIPROXY_VERSION:-v2.5.0}"
    pkg="github.com/Shopify/toxiproxy/v2/cmd/cli"
    built_name=cli
    ;;
  cadvisor)
    # The version is the cadvisor modules' in tools/cadvisor/go.mod plus a hash of our main (it is ours).
    version="$(awk '$1 == "github.com/google/cadvisor" { print $2 }' tools/cadvisor/go.mod)-$(cat tools/cadvisor/go.mod tools/cadvisor/go.sum tools/cadvisor/main.go | sha256sum | cut -c1-8)"
    pkg=""
    built_name=cadvisor
    ;;
  prometheus)
    # Its go.mod has replace directives, so `go install pkg@version` is refused: a wrapper module (below)
    # copies them. Debian's prometheus (2.42) cannot stand in on the kubernetes target: Debian builds it
    # without the kubernetes service discovery ("field kubernetes_sd_configs not found").
    version="${PROMETHEUS_MODULE_VERSION:-$(dev_prometheus_module_version)}"
    pkg=""
    built_name=prometheus
    ;;
  *) die "usage: build-go-tool.sh [--version] nats-server|toxiproxy-server|toxiproxy-cli|cadvisor|prometheus (got '${tool}')" ;;
esac

if [[ "$print_version" == 1 ]]; then
  echo "$version"
  exit 0
fi

cache="${PULUMI_TOOLCHAIN_EXTRA_DIR:-$HOME/.cache/pulumi-toolchain-extra}"
dest="$cache/$tool-$version"
bin="$dest/$tool"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "no Go toolchain on PATH (Go >= 1.26 builds $tool $version)"

start=$(date +%s)
mkdir -p "$cache"
partial=$(mktemp -d "$cache/.build-$tool-$version.XXXXXX")
trap 'rm -rf "$partial"' EXIT
if [[ "$tool" == prometheus ]]; then
  # A wrapper module requiring github.com/prometheus/prometheus with the replace and exclude blocks of that
  # module's own go.mod (read from the module cache, not written down here), so the build resolves the
  # dependencies exactly as upstream's does; the version variables as upstream's promu sets them (no
  # revision: the proxy does not give the commit). No `builtinassets` tag: the web UI's assets are
  # generated by an npm build that is not in the module, so /graph is not served; the API and /metrics are.
  mod=github.com/prometheus/prometheus
  gomod=$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$mod@$version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [[ -f "$gomod" ]] || die "go mod download $mod@$version gave no go.mod"
  mkdir -p "$partial/wrapper"
  {
    printf 'module proving-ground/prometheus-build\n\ngo 1.26\n\n'
    awk '/^(replace|exclude) \($/ { block = 1 } block { print } block && /^\)$/ { block = 0; print "" }
      /^(replace|exclude) [^(]/ { print; print "" }' "$gomod"
  } >"$partial/wrapper/go.mod"
  version_pkg=github.com/prometheus/common/version
  ldflags="-s -w -X $version_pkg.Version=2.${version#v0.} -X $version_pkg.Branch=HEAD -X $version_pkg.BuildUser=proving-ground"
  (
    cd "$partial/wrapper" &&
      GOTOOLCHAIN=local go get -tool "$mod/cmd/prometheus@$version" "$mod/cmd/promtool@$version" &&
      GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$partial/prometheus" "$mod/cmd/prometheus" &&
      GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$partial/promtool" "$mod/cmd/promtool"
  ) >&2 || die "go build of $mod $version (cmd/prometheus, cmd/promtool) failed"
  rm -rf "$partial/wrapper"
elif [[ -n "$pkg" ]]; then
  GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$partial" go install -trimpath -ldflags "-s -w" "$pkg@$version" >&2 ||
    die "go install $pkg@$version failed"
else
  (cd "tools/$tool" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$partial/$built_name" .) >&2 ||
    die "go build of tools/$tool failed"
fi
mv "$partial/$built_name" "$partial/$tool.tmp" && mv "$partial/$tool.tmp" "$partial/$tool"
rm -rf "$dest"
mv "$partial" "$dest"
trap - EXIT
echo "build-go-tool.sh: built $tool $version from ${pkg:-tools/$tool} in $(($(date +%s) - start))s into $dest" >&2
echo "$bin"
