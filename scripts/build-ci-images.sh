#!/usr/bin/env bash
# Builds the images the `ci` stack runs, without any registry (nothing can be pulled here):
#   proving-ground/base:bookworm           debootstrap (minbase + wget, ca-certificates) from the machine's
#                                          Debian mirror, plus the host's `node`, imported with `docker import`
#   proving-ground/nats:ci                 nats-server at the version Pulumi.dev.yaml pins, built from its Go
#                                          module (scripts/build-go-tool.sh, cached by version)
#   proving-ground/prometheus:ci           prometheus, promtool at the version Pulumi.dev.yaml pins, from the
#                                          Go module (scripts/build-go-tool.sh; Debian's lacks Kubernetes SD)
#   proving-ground/alertmanager:ci         alertmanager, amtool   } binaries from the host's Debian packages,
#                                                                 } staged into a build context with
#   proving-ground/blackbox-exporter:ci    blackbox_exporter      } images/<name>/Dockerfile (FROM the base)
#   proving-ground/cadvisor:ci             cAdvisor v0.61.1 from its Go modules with our main (tools/cadvisor)
#   proving-ground/toxiproxy:ci            Toxiproxy server and CLI v2.5.0 from their Go module (the link proxy)
#   proving-ground/gateway:ci              the reference services from services/*/Dockerfile on the base, for
#   proving-ground/router:ci               the kubernetes target on scripts/kube-local.sh (needs `npm run
#                                          build` first: the images copy dist/*.js); the Docker stacks build
#                                          their own with docker.Image
#
#
# The same images are also tagged with the names Pulumi.dev.yaml pins (nats:<version>-alpine,
# prom/prometheus:v2.53.2, ...) and the base as node:20-slim (the Dockerfiles' default BASE_IMAGE), so
# the real engine deploys the unmodified `dev` configuration here and pulls nothing: an image that exists
# locally under the pinned name is used as it is. Only the tag is the pinned one: Prometheus, Alertmanager
# and the blackbox exporter are Debian's builds (versions printed below), cAdvisor is v0.61.1 with our
# main, NATS is the pinned version itself.
# A name that already holds an image not built here (a developer's real public image) is left alone.
# Each image carries a `proving-ground.inputs-hash` label; an image whose label matches the hash of its
# current inputs is reused, so repeat runs take a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

HASH_LABEL=proving-ground.inputs-hash
BASE=proving-ground/base:bookworm
script_start=$(date +%s%N)
# Bump when the way an image is assembled changes without its inputs changing.
RECIPE_VERSION=1

log() {
  local ms=$((($(date +%s%N) - script_start) / 1000000))
  printf '[ci-images %4d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}
die() { echo "build-ci-images: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker CLI not found (install the docker.io package)"
docker info >/dev/null 2>&1 || die "dockerd is not reachable (start it: dockerd &)"

# Host binaries and the Debian package that provides each one (the error names the package to install).
declare -A PKG_OF=(
  [/usr/bin/prometheus]=prometheus
  [/usr/bin/promtool]=prometheus
  [/usr/bin/prometheus-alertmanager]=prometheus-alertmanager
  [/usr/bin/amtool]=prometheus-alertmanager
  [/usr/bin/prometheus-blackbox-exporter]=prometheus-blackbox-exporter
  [/usr/sbin/debootstrap]=debootstrap
)
missing=()
for bin in "${!PKG_OF[@]}"; do
  [ -x "$bin" ] || missing+=("${PKG_OF[$bin]} (for $bin)")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "missing Debian packages: ${missing[*]} — install with: apt-get install -y docker.io prometheus prometheus-alertmanager prometheus-blackbox-exporter debootstrap"
fi
NODE_BIN=$(command -v node) || die "node not found on PATH (the base image copies the host's node binary)"

# Every staged binary must run on the base's libc alone: the host is Debian 12, as is the base, and the
# Go binaries link only libc. Anything else would need its libraries copied too, so fail loudly instead.
check_libs() {
  local bin=$1 extra
  extra=$(ldd "$bin" 2>/dev/null | awk '{print $1}' |
    grep -vE '^(linux-vdso\.so|/lib64/ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|libstdc\+\+\.so|libgcc_s\.so)' || true)
  [ -z "$extra" ] || die "$bin needs libraries the base image lacks: $extra"
}

# The mirror apt on this machine uses for bookworm (deb822 .sources first, then sources.list).
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '
      /^[[:space:]]*$/ { if (uris != "" && suite) { print uris; exit } uris = ""; suite = 0; next }
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
      END { if (uris != "" && suite) print uris }' "$f" | head -1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  if [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
    [ -n "$uri" ] && { echo "$uri"; return; }
  fi
  die "no Debian bookworm mirror configured in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
}

image_hash() { docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true; }

# ---- base image ---------------------------------------------------------------------------------------
MIRROR=$(debian_mirror)
check_libs "$NODE_BIN"
base_hash=$(
  {
    echo "recipe=$RECIPE_VERSION mirror=$MIRROR suite=bookworm variant=minbase include=wget,ca-certificates"
    sha256sum "$NODE_BIN" | cut -d' ' -f1
  } | sha256sum | cut -c1-16
)
if [ "$(image_hash "$BASE")" = "$base_hash" ]; then
  log "$BASE up to date (inputs $base_hash)"
else
  log "$BASE: debootstrap bookworm from $MIRROR"
  rootfs=$(mktemp -d /tmp/pg-base-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  if ! debootstrap --variant=minbase --include=wget,ca-certificates bookworm "$rootfs" "$MIRROR" \
    >/tmp/pg-debootstrap.log 2>&1; then
    tail -30 /tmp/pg-debootstrap.log >&2
    die "debootstrap failed (full log: /tmp/pg-debootstrap.log)"
  fi
  install -m 0755 "$NODE_BIN" "$rootfs/usr/local/bin/node"
  # Package caches are not needed at runtime and would only grow the image.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  log "$BASE: docker import"
  tar -C "$rootfs" -c . | docker import \
    --change "LABEL $HASH_LABEL=$base_hash" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  docker run --rm "$BASE" node -e 'process.exit(0)' || die "$BASE: node does not run inside the image"
  log "$BASE built (inputs $base_hash)"
fi
base_id=$(docker image inspect --format '{{.Id}}' "$BASE")
built=0

# ---- images from host binaries ------------------------------------------------------------------------
# build_image <name> <dest-in-context>=<host-file-or-dir>...: stages images/<name>/* plus the host files
# (binaries, or a package's data directory) into a temporary context and builds proving-ground/<name>:ci
# unless its inputs hash label already matches.
build_image() {
  local name=$1 tag="proving-ground/$1:ci" ctx h spec src
  shift
  for spec in "$@"; do
    src=${spec#*=}
    [ -e "$src" ] || die "$src not found (needed for $tag)"
    [ -f "$src" ] && check_libs "$src"
  done
  h=$(
    {
      echo "recipe=$RECIPE_VERSION base=$base_id"
      (cd "images/$name" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
      for spec in "$@"; do
        echo "${spec%%=*}"
        find "${spec#*=}" -type f -print0 | sort -z | xargs -0 sha256sum
      done
    } | sha256sum | cut -c1-16
  )
  if [ "$(image_hash "$tag")" = "$h" ]; then
    log "$tag up to date (inputs $h)"
    return
  fi
  ctx=$(mktemp -d /tmp/pg-ctx-"$name".XXXXXX)
  cp -a "images/$name/." "$ctx/"
  for spec in "$@"; do cp -a "${spec#*=}" "$ctx/${spec%%=*}"; done
  # The legacy builder is enough for these Dockerfiles and needs no buildx plugin.
  if ! DOCKER_BUILDKIT=0 docker build -q --label "$HASH_LABEL=$h" -t "$tag" "$ctx" >/tmp/pg-build-"$name".log 2>&1; then
    cat /tmp/pg-build-"$name".log >&2
    rm -rf "$ctx"
    die "docker build of $tag failed"
  fi
  rm -rf "$ctx"
  built=1
  log "$tag built (inputs $h)"
}

nats_server=$(bash scripts/build-go-tool.sh nats-server) || die "could not build nats-server from its Go module"
build_image nats nats-server="$nats_server"
prometheus=$(bash scripts/build-go-tool.sh prometheus) || die "could not build Prometheus from its Go module"
build_image prometheus prometheus="$prometheus" promtool="$(dirname "$prometheus")/promtool"
# Alertmanager reads its default notification templates from the package data directory.
build_image alertmanager alertmanager=/usr/bin/prometheus-alertmanager amtool=/usr/bin/amtool \
  share=/usr/share/prometheus/alertmanager
build_image blackbox-exporter blackbox_exporter=/usr/bin/prometheus-blackbox-exporter
toxiproxy_server=$(bash scripts/build-go-tool.sh toxiproxy-server) || die "could not build toxiproxy-server from its Go module"
toxiproxy_cli=$(bash scripts/build-go-tool.sh toxiproxy-cli) || die "could not build toxiproxy-cli from its Go module"
build_image toxiproxy toxiproxy-server="$toxiproxy_server" toxiproxy-cli="$toxiproxy_cli"
cadvisor=$(bash scripts/build-go-tool.sh cadvisor) || die "could not build cAdvisor (tools/cadvisor)"
build_image cadvisor cadvisor="$cadvisor"

# ---- the reference services (the kubernetes target's images; Docker stacks build their own) ------------
# build_service <gateway|router>: services/<name>/Dockerfile with the repository as context and the base as
# BASE_IMAGE, unless the hash of the Dockerfile, the files it copies and the base matches.
build_service() {
  local name=$1 tag="proving-ground/$1:ci" h
  [ -f "dist/$name.js" ] || die "dist/$name.js not found: run npm run build first (needed for $tag)"
  h=$(
    {
      echo "recipe=$RECIPE_VERSION base=$base_id"
      local inputs=("services/$name/Dockerfile" "dist/$name.js" "dist/$name.js.map")
      [ -d "services/$name/policies" ] && inputs+=("services/$name/policies")
      find "${inputs[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
  )
  if [ "$(image_hash "$tag")" = "$h" ]; then
    log "$tag up to date (inputs $h)"
    return
  fi
  if ! DOCKER_BUILDKIT=0 docker build -q --label "$HASH_LABEL=$h" --build-arg "BASE_IMAGE=$BASE" \
    -f "services/$name/Dockerfile" -t "$tag" . >/tmp/pg-build-"$name".log 2>&1; then
    cat /tmp/pg-build-"$name".log >&2
    die "docker build of $tag failed"
  fi
  built=1
  log "$tag built (inputs $h)"
}
build_service gateway
build_service router

# Smoke check after a rebuild: each binary starts inside its image (catches a missing library or a wrong
# path here rather than in the deploy).
if [ "$built" = 1 ]; then
  docker run --rm --entrypoint /usr/local/bin/nats-server proving-ground/nats:ci --version >/dev/null
  docker run --rm --entrypoint /bin/prometheus proving-ground/prometheus:ci --version >/dev/null 2>&1
  docker run --rm --entrypoint /bin/alertmanager proving-ground/alertmanager:ci --version >/dev/null 2>&1
  docker run --rm --entrypoint /bin/blackbox_exporter proving-ground/blackbox-exporter:ci --version >/dev/null 2>&1
  docker run --rm --entrypoint /toxiproxy proving-ground/toxiproxy:ci -version >/dev/null
  docker run --rm --entrypoint /toxiproxy-cli proving-ground/toxiproxy:ci --version >/dev/null
  docker run --rm proving-ground/cadvisor:ci --help >/dev/null 2>&1
fi
# ---- the names Pulumi.dev.yaml pins ---------------------------------------------------------------------
# dev_image <config key>: the image reference the `dev` stack pins for that key.
dev_image() {
  local ref
  ref=$(awk -v k="proving-ground:$1:" '$1 == k { print $2 }' Pulumi.dev.yaml)
  [ -n "$ref" ] || die "Pulumi.dev.yaml has no proving-ground:$1"
  echo "$ref"
}
# tag_as <local image> <pinned name>: unless the name holds an image without our label (not built here).
tag_as() {
  if docker image inspect "$2" >/dev/null 2>&1 && [ -z "$(image_hash "$2")" ]; then
    log "$2 exists and was not built here: left as it is"
    return
  fi
  docker tag "$1" "$2"
  log "$2 = $1"
}
for pair in natsImage=proving-ground/nats:ci prometheusImage=proving-ground/prometheus:ci \
  alertmanagerImage=proving-ground/alertmanager:ci blackboxImage=proving-ground/blackbox-exporter:ci \
  cadvisorImage=proving-ground/cadvisor:ci; do
  tag_as "${pair#*=}" "$(dev_image "${pair%%=*}")"
done
base_default=$(awk -F= '/^ARG BASE_IMAGE=/ { print $2; exit }' services/gateway/Dockerfile)
[ -n "$base_default" ] || die "services/gateway/Dockerfile has no ARG BASE_IMAGE default"
tag_as "$BASE" "$base_default"
log "versions: $(docker run --rm --entrypoint /usr/local/bin/nats-server proving-ground/nats:ci --version 2>&1 | head -1)," \
  "$(docker run --rm --entrypoint /bin/prometheus proving-ground/prometheus:ci --version 2>&1 | head -1 | cut -d'(' -f1)"
log "all CI images ready"
