#!/usr/bin/env bash
# Finds the Pulumi CLI for `npm run up|preview|destroy`, CI and the tests, and prints what to put in the
# environment, one NAME=value per line:
#   1. a `pulumi` already on PATH (a user's normal install) is used as it is;
#   2. otherwise, where ../shared/toolchain/install.sh exists beside this repository (machines without
#      downloads: the CLI, its Node.js language host and the docker and random providers built from
#      source), it installs from there, once, into PULUMI_TOOLCHAIN_DIR (default ~/.cache/pulumi-toolchain)
#      and turns off the engine's update check and plugin downloads;
#   3. otherwise a toolchain an earlier run installed there is used;
#   4. otherwise it says how to install Pulumi and exits 1.
# With 2 and 3, the YAML language host goes on PATH as well once scripts/build-yaml-host.sh has built it.
#
#   while IFS= read -r kv; do export "$kv"; done < <(bash scripts/toolchain.sh)
#
# Nothing of the toolchain is ever written into this repository.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared_install="${PULUMI_SHARED_TOOLCHAIN:-$repo/../shared/toolchain/install.sh}"
toolchain_dir="${PULUMI_TOOLCHAIN_DIR:-$HOME/.cache/pulumi-toolchain}"

# The environment for a toolchain in folder $1: its CLI first on PATH; its plugins come from the shared
# archives, so a missing one must fail rather than try a download that hangs.
use_toolchain() {
  # The YAML language host, once scripts/build-yaml-host.sh has built it (examples/yaml-consumer/).
  local yaml
  yaml=$(bash "$repo/scripts/build-yaml-host.sh" --if-built)
  echo "PATH=$1${yaml:+:$yaml}:$PATH"
  echo "PULUMI_SKIP_UPDATE_CHECK=true"
  echo "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
}

# The kubernetes provider, once scripts/build-kube-local.sh has built it from its Go module (the version
# package-lock.json pins for @pulumi/kubernetes): into the plugin cache of $PULUMI_HOME, as install.sh puts
# the docker and random providers there. Installed again only when the cached binary changed.
install_kubernetes_provider() {
  local dir version plugins stamp sum
  dir=$(bash "$repo/scripts/build-kube-local.sh" --print-dir provider 2>/dev/null) || return 0
  [[ -n "$dir" && -x "$dir/pulumi-resource-kubernetes" ]] || return 0
  version=${dir##*pulumi-kubernetes-v}
  plugins="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
  stamp="$plugins/resource-kubernetes-v$version/.proving-ground-sha256"
  sum=$(sha256sum "$dir/pulumi-resource-kubernetes" | cut -d' ' -f1)
  [[ "$(cat "$stamp" 2>/dev/null)" == "$sum" ]] && return 0
  "$1/pulumi" plugin install resource kubernetes "$version" --reinstall \
    --file "$dir/pulumi-resource-kubernetes" >&2 || {
    echo "toolchain.sh: installing the kubernetes provider $version from $dir failed (see above)" >&2
    exit 1
  }
  echo "$sum" >"$stamp"
}

if command -v pulumi >/dev/null 2>&1; then
  echo "PULUMI_SKIP_UPDATE_CHECK=true"
  exit 0
fi

if [[ -f "$shared_install" ]]; then
  bin=$(bash "$shared_install" "$toolchain_dir") || {
    echo "toolchain.sh: $shared_install failed (see above)" >&2
    exit 1
  }
  [[ -x "$bin/pulumi" ]] || {
    echo "toolchain.sh: $shared_install printed '$bin', which holds no pulumi binary" >&2
    exit 1
  }
  install_kubernetes_provider "$bin"
  use_toolchain "$bin"
  exit 0
fi

# A toolchain installed from there by an earlier run (a clone elsewhere on the same machine).
if [[ -x "$toolchain_dir/pulumi/pulumi" ]] && "$toolchain_dir/pulumi/pulumi" version >/dev/null 2>&1; then
  use_toolchain "$toolchain_dir/pulumi"
  exit 0
fi

cat >&2 <<'MSG'
toolchain.sh: the Pulumi CLI is not installed. Install it the ordinary way, then re-run:
  curl -fsSL https://get.pulumi.com | sh        # or: brew install pulumi/tap/pulumi
  (https://www.pulumi.com/docs/install/; the engine fetches the docker and random providers on first use)
MSG
exit 1
