#!/usr/bin/env bash
# Stops the glewlwyd that tests/glewlwyd/up.sh started in DIR, by its pid (SIGTERM, then SIGKILL
# after 5 s), and removes DIR unless --keep is given.   Usage: down.sh DIR [--keep]
set -euo pipefail
DIR=${1:?usage: down.sh DIR [--keep]}
if [[ -f $DIR/glewlwyd.pid ]]; then
  PID=$(cat "$DIR/glewlwyd.pid")
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 1 25); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
fi
[[ ${2:-} == --keep ]] || rm -rf "$DIR"
