#!/bin/sh
# Flags only (first argument starts with "-") run nats-server with them; anything else runs as given.
set -e
case "${1:-}" in
  -*) set -- nats-server "$@" ;;
esac
exec "$@"
