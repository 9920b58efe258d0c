#!/usr/bin/env bash
# `npm run up|preview|destroy`: deploys this project with the Pulumi CLI and a local file backend, so a
# fresh machine needs no Pulumi account or cloud credentials, only Node 20, Docker and the Pulumi CLI.
#
#   npm run up                 # deploy the `dev` stack onto this machine's Docker Engine
#   npm run preview            # show what would change (config file diffs included)
#   npm run destroy            # remove every container, network and volume of the stack
#   STACK=ci npm run up        # another stack (Pulumi.<stack>.yaml)
#   npm run up -- --yes        # extra arguments go to `pulumi`
#
# Environment: STACK (default dev), PULUMI_BACKEND_URL (default file://$PWD/.pulumi-state),
# PULUMI_CONFIG_PASSPHRASE (encrypts secrets in the local state; a fixed default is used with a warning).
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "pulumi.sh: $*" >&2
  exit 1
}

action="${1:-}"
case "$action" in
  up | preview | destroy) shift ;;
  *) die "usage: scripts/pulumi.sh up|preview|destroy [pulumi args...]" ;;
esac

# The Pulumi CLI: the user's own install, or the shared toolchain where there is one (scripts/toolchain.sh).
toolchain_env=$(bash scripts/toolchain.sh) || exit 1
while IFS= read -r kv; do export "${kv?}"; done <<<"$toolchain_env"
command -v docker >/dev/null ||
  die "the docker CLI is not installed: install Docker Engine (Debian/Ubuntu: apt-get install docker.io) and start it"
docker info >/dev/null 2>&1 ||
  die "the Docker Engine is not reachable (is dockerd running, and may this user use /var/run/docker.sock?)"

stack="${STACK:-dev}"
[[ -f "Pulumi.${stack}.yaml" ]] || die "no Pulumi.${stack}.yaml: STACK must name a stack file in $(pwd)"

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  # The local backend encrypts secrets (the NATS password) with this passphrase. A fixed default keeps
  # `npm run up` one command on a laptop; anything shared should set its own.
  export PULUMI_CONFIG_PASSPHRASE="proving-ground-local"
  echo "pulumi.sh: WARNING: PULUMI_CONFIG_PASSPHRASE is not set; using the built-in local default." >&2
  echo "pulumi.sh:          Set your own for any state you share or keep." >&2
fi

# The gateway and router Dockerfiles copy dist/: bundle the services first.
if [[ "$action" != destroy ]]; then
  npm run --silent build
fi

pulumi stack select --create "$stack" --non-interactive >/dev/null

echo "pulumi.sh: ${action} stack '${stack}' (backend ${PULUMI_BACKEND_URL})" >&2
case "$action" in
  up) pulumi up --stack "$stack" --diff "$@" ;;
  preview) pulumi preview --stack "$stack" --diff "$@" ;;
  destroy)
    pulumi destroy --stack "$stack" "$@"
    echo "pulumi.sh: stack '${stack}' destroyed; remove its state with: pulumi stack rm ${stack}" >&2
    ;;
esac
