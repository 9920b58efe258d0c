#!/usr/bin/env bash
# Starts nats-server, the router and the gateway on loopback in the foreground (no Docker, no Pulumi):
# the fallback for a machine without Docker. Builds the bundles first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nats-server >/dev/null || { echo "npm run dev needs nats-server (Debian: apt-get install nats-server)" >&2; exit 1; }
if [ ! -f dist/gateway.js ] || [ ! -f dist/router.js ]; then npm run build; fi
exec npx tsx loadtests/dev.ts "$@"
