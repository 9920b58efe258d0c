#!/usr/bin/env bash
# `npm run up|preview|destroy`: deploys this project with the Pulumi CLI and a local file backend, so a
# fresh machine needs no Pulumi account or cloud credentials, only Node 20, Docker and the Pulumi CLI.
#
#   npm run up                 # deploy the `dev` stack onto this machine's Docker Engine
#   npm run preview            # show what would change (config file diffs included)
#   npm run destroy            # remove every container, network and volume of the stack
#   STACK=ci npm run up        # another stack (Pulumi.<stack>.yaml); `npm run up -- --stack ci` is the same
#   npm run up -- --yes        # extra arguments go to `pulumi`
#   npm run preview -- --summary preview.md
#                              # also write a markdown summary of the preview (counts, changed properties,
#                              # replacements, policy violations) from the engine's events, e.g. for a PR comment
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
  *) die "usage: scripts/pulumi.sh up|preview|destroy [--stack <name>] [--summary <file.md>] [pulumi args...]" ;;
esac

# Our own flags; every other argument goes to `pulumi` as it is.
stack="${STACK:-dev}"
summary=""
args=()
while (($#)); do
  case "$1" in
    --stack | -s)
      [[ $# -ge 2 && -n "$2" && "$2" != -* ]] || die "$1 needs a stack name: $1 <name>"
      stack="$2"
      shift 2
      ;;
    --stack=*) stack="${1#*=}" && shift ;;
    --summary)
      [[ $# -ge 2 && -n "$2" && "$2" != -* ]] || die "--summary needs a file: --summary <file.md>"
      summary="$2"
      shift 2
      ;;
    --summary=*) summary="${1#*=}" && shift ;;
    *) args+=("$1") && shift ;;
  esac
done
[[ -n "$stack" ]] || die "--stack needs a stack name"
if [[ -n "${summary}" ]]; then
  [[ "$action" == preview ]] || die "--summary is a preview flag: npm run preview -- --summary <file.md>"
  # A relative path is relative to where `npm run` (or this script) was started, not to the repository.
  [[ "$summary" == /* ]] || summary="${INIT_CWD:-$PWD}/$summary"
  [[ -d "$(dirname "$summary")" ]] || die "--summary $summary: no such directory $(dirname "$summary")"
fi
set -- ${args[@]+"${args[@]}"}

# The Pulumi CLI: the user's own install, or the shared toolchain where there is one (scripts/toolchain.sh).
toolchain_env=$(bash scripts/toolchain.sh) || exit 1
while IFS= read -r kv; do export "${kv?}"; done <<<"$toolchain_env"
command -v docker >/dev/null ||
  die "the docker CLI is not installed: install Docker Engine (Debian/Ubuntu: apt-get install docker.io) and start it"
docker info >/dev/null 2>&1 ||
  die "the Docker Engine is not reachable (is dockerd running, and may this user use /var/run/docker.sock?)"

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
  preview)
    if [[ -z "$summary" ]]; then
      pulumi preview --stack "$stack" --diff "$@"
    else
      # The engine's structured events go to a JSON-lines event log (`--event-log`, one of the CLI's debug
      # flags: registered only with PULUMI_DEBUG_COMMANDS set, as the Automation API does), and
      # scripts/preview-summary.ts renders them; the human diff still goes to the terminal.
      PULUMI_DEBUG_COMMANDS=true pulumi preview --help 2>/dev/null | grep -q -- "--event-log" ||
        die "this Pulumi CLI ($(pulumi version)) has no 'preview --event-log', which --summary needs: use Pulumi CLI >= 3.0"
      events=$(mktemp "${TMPDIR:-/tmp}/pulumi-preview-events.XXXXXX")
      trap 'rm -f "$events"' EXIT
      rc=0
      PULUMI_DEBUG_COMMANDS=true pulumi preview --stack "$stack" --diff --event-log "$events" "$@" || rc=$?
      # Written for a failed preview too (a mandatory policy violation, an error): the summary says why.
      node_modules/.bin/tsx scripts/preview-summary.ts --events "$events" --out "$summary" --exit-code "$rc" ||
        die "could not write the preview summary $summary"
      echo "pulumi.sh: preview summary written to $summary" >&2
      exit "$rc"
    fi
    ;;
  destroy)
    pulumi destroy --stack "$stack" "$@"
    echo "pulumi.sh: stack '${stack}' destroyed; remove its state with: pulumi stack rm ${stack}" >&2
    ;;
esac
