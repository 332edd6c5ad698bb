#!/usr/bin/env bash
# Usage: scripts/with-keyring.sh CMD [ARGS...]
#
# Runs CMD in a private D-Bus session with its own unlocked gnome-keyring (a real Secret Service,
# what the `keyring` crate talks to on Linux), HOME and XDG_* in a fresh temporary folder, which
# is removed afterwards. Nothing leaks in from the user's own keyring or session, and no stray
# dbus-daemon outlives the run. Exits with CMD's status.
set -euo pipefail

(($#)) || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool missing: run make deps" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eca-keyring.XXXXXX")
# gnome-keyring-daemon may still be writing its files for a moment after the bus has gone.
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  for _ in 1 2 3 4 5; do
    rm -rf "$tmp" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$0: could not remove $tmp" >&2
}
trap cleanup EXIT
mkdir -p "$tmp"/{home,data,config,cache,runtime,tmp}
chmod 700 "$tmp/runtime"

# Toolchains find their homes through HOME: pin them before HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"

export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config"
export XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime" TMPDIR="$tmp/tmp"
# A throwaway password for a throwaway keyring (the login keyring is created unlocked with it).
ECA_KEYRING_PW="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export ECA_KEYRING_PW

# The daemon runs in the foreground, as a child we can stop: a daemonised one outlives the bus when
# CMD ends before it has connected. CMD starts once the Secret Service is on the bus. Not `exec`:
# the folder must be removed when CMD ends. The inner script expands its own variables.
status=0
# shellcheck disable=SC2016
dbus-run-session -- sh -c '
  printf %s "$ECA_KEYRING_PW" |
    gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  keyring=$!
  unset ECA_KEYRING_PW
  tries=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
          org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
        grep -q "boolean true"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 200 ]; then echo "with-keyring: gnome-keyring did not start" >&2; break; fi
    sleep 0.05
  done
  status=0
  "$@" || status=$?
  kill "$keyring" 2>/dev/null
  wait "$keyring" 2>/dev/null
  exit "$status"' with-keyring "$@" || status=$?
exit "$status"
