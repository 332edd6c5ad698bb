#!/usr/bin/env bash
# Usage: scripts/schemathesis.sh SPEC [SPEC...]
#
# An independent client checks the reference backend against its OpenAPI contracts: for each
# SPEC (e.g. docs/sync-api.yaml), a fresh eca-backend on a free loopback port with a fresh data
# folder, then a short schemathesis run with every check (5xx, response schemas and headers,
# schema-valid requests accepted, schema-invalid ones refused...) and every phase, the stateful
# one included (it follows the spec's `links`). Exits non-zero on any failure.
#
# schemathesis (pinned below) lives in a venv under $CARGO_TARGET_DIR, installed with pip's
# configured index only when missing. The run is reproducible: a fixed seed, a bounded number
# of examples per operation (SCHEMATHESIS_MAX_EXAMPLES, default 40). Settings that are not
# command-line flags are in tests/schemathesis/schemathesis.toml, each with its reason.
set -euo pipefail

(($#)) || { echo "usage: $0 SPEC [SPEC...]" >&2; exit 2; }
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-40}
SEED=${SCHEMATHESIS_SEED:-20261130}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
VENV=$TARGET/schemathesis-venv
BACKEND=$TARGET/debug/eca-backend
CONFIG=$PWD/tests/schemathesis/schemathesis.toml

say() { printf '[schemathesis] %s\n' "$*"; }
die() { printf '[schemathesis] ERROR: %s\n' "$*" >&2; exit 1; }

for spec in "$@"; do [[ -f "$spec" ]] || die "no such spec: $spec"; done

# ---- schemathesis, pinned, in its own venv ------------------------------------------------------
installed_version() { "$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}'; }
if [[ "$(installed_version)" != "$SCHEMATHESIS_VERSION" ]]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed: run scripts/install-deps.sh (python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# ---- the reference backend ----------------------------------------------------------------------
cargo build --quiet -p eca-backend

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eca-schemathesis.XXXXXX")
backend_pid=
stop_backend() {
  [[ -n "$backend_pid" ]] || return 0
  kill "$backend_pid" 2>/dev/null || true
  wait "$backend_pid" 2>/dev/null || true
  backend_pid=
}
# shellcheck disable=SC2317  # called by the trap
cleanup() { stop_backend; rm -rf "$tmp"; }
trap cleanup EXIT

# Starts a backend on a fresh data folder; sets URL and API_KEY from its banner.
start_backend() {
  local run=$1 banner=
  mkdir -p "$run/data"
  "$BACKEND" --listen 127.0.0.1:0 --data-dir "$run/data" >"$run/stdout" 2>"$run/backend.log" &
  backend_pid=$!
  for _ in $(seq 100); do
    banner=$(grep -m1 '^ECA backend listening on ' "$run/stdout" || true)
    [[ -n "$banner" ]] && break
    kill -0 "$backend_pid" 2>/dev/null || die "eca-backend exited: $(cat "$run/backend.log")"
    sleep 0.1
  done
  [[ -n "$banner" ]] || die "eca-backend printed no banner within 10 s"
  URL=$(sed -E 's/^ECA backend listening on ([^ ]+) .*/\1/' <<<"$banner")
  API_KEY=$(sed -E 's/.* api_key=([^ ]+).*/\1/' <<<"$banner")
}

# ---- one run per spec ---------------------------------------------------------------------------
status=0
n=0
for spec in "$@"; do
  n=$((n + 1))
  run=$tmp/run-$n
  start_backend "$run"
  say "$spec against $URL (seed $SEED, at most $MAX_EXAMPLES examples per operation)"
  # The hooks (tests/schemathesis/hooks.py) set up what a rule needs through the API itself.
  if ! ECA_SCHEMATHESIS_URL=$URL ECA_SCHEMATHESIS_API_KEY=$API_KEY "$VENV/bin/schemathesis" --config-file "$CONFIG" run "$spec" \
      --url "$URL" \
      --header "Authorization: Bearer $API_KEY" \
      --checks all \
      --phases examples,coverage,fuzzing,stateful \
      --max-examples "$MAX_EXAMPLES" \
      --seed "$SEED" \
      --workers 1 \
      --no-color; then
    status=1
    say "FAILED: $spec (backend log: kept below)"
    tail -n 20 "$run/backend.log" >&2
  fi
  stop_backend
done
exit "$status"
