#!/usr/bin/env bash
# Usage: receive-link.sh APP SCHEME
#
# Run by install-test.sh under xvfb-run and scripts/with-keyring.sh (a private X display, D-Bus
# session and keyring, HOME in a temporary folder). Starts APP (the installed binary), waits for
# its window, then opens a callback URL through the desktop (`gio open`, which starts the
# handler the MIME database names: a second instance, which hands the URL over D-Bus to the
# first and exits). Passes when the first instance logged the URL's arrival (refused: no test
# login waits for its state), no second process or window stayed, and the log holds no part of
# the URL's query.
set -euo pipefail

app=${1:?usage: $0 APP SCHEME} scheme=${2:?usage: $0 APP SCHEME}
code=install-test-code-$RANDOM$RANDOM
url="$scheme:/oauth/callback?code=$code&state=install-test-state"
work=$(mktemp -d)
log=$work/app.log

fail() {
  echo "receive-link: FAILED: $*" >&2
  echo "--- the app's log:" >&2
  cat "$log" >&2 || true
  exit 1
}

RUST_LOG=info "$app" --data-dir "$work/data" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

windows() { xwininfo -root -tree | grep -c '"ECA Admin"' || true; }
# Processes of this binary (by executable: other builds of the app may run on the machine).
instances() {
  local n=0 p
  for p in $(pgrep -x eca-admin || true); do
    [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$app" ]] && n=$((n + 1))
  done
  echo "$n"
}
has_window() { (($(windows) >= 1)); }
received() { grep -q 'deep link refused' "$log"; }
settled() { (($(instances) == 1 && $(windows) == 1)); }

# Waits (up to 60 s, a deadline for a hang, not a measure of speed) until CHECK passes.
wait_for() {
  local what=$1 check=$2
  for _ in $(seq 600); do
    "$check" && return 0
    kill -0 "$pid" 2>/dev/null || fail "the app exited while waiting for $what"
    sleep 0.1
  done
  fail "$what did not happen within 60 s"
}

wait_for "the app's window" has_window
gio open "$url" || fail "gio open $scheme:… failed"
wait_for "the running app to receive the link" received
wait_for "the second instance to exit" settled
grep -q "$scheme:/oauth/callback" "$log" || fail "the log does not name the callback it refused"
if grep -q "$code" "$log"; then fail "the log holds the callback's code"; fi
echo "receive-link: the running app (pid $pid) received $scheme:/oauth/callback; $(instances) process, $(windows) window"
