#!/usr/bin/env bash
# Usage: tests/e2e/run.sh [TEST_FILE...]   (default: every tests/e2e/*.test.mjs)
#
# Runs the end-to-end tests against the built app (ECA_E2E_APP, default target/debug/eca-admin,
# an embedded-UI build: `npx --prefix ui tauri build --debug --no-bundle`) one test file at a
# time, each on its own private X display, D-Bus session and unlocked keyring: a file starts from
# an empty keyring as it starts from an empty data folder (the app keeps the sync API key in the
# keyring), and a second app instance can only hand itself over to its own file's app.
# Screenshots go to artifacts/e2e/. ECA_UPDATE_SCREENSHOT=1 also refreshes docs/screenshot.png.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
hint='npx --prefix ui tauri build --debug --no-bundle'

app=${ECA_E2E_APP:-${ECA_E2E_BIN:-${CARGO_TARGET_DIR:-$repo/target}/debug/eca-admin}}
[[ -x $app ]] || { echo "run.sh: no app binary at $app: build it from $repo with: $hint" >&2; exit 2; }
app=$(cd "$(dirname "$app")" && pwd)/$(basename "$app")
[[ -d $here/node_modules/webdriverio ]] || { echo "run.sh: run npm ci --prefix tests/e2e first" >&2; exit 2; }
[[ -d $repo/tests/oidc/node_modules/oidc-provider ]] || { echo "run.sh: run npm ci --prefix tests/oidc first" >&2; exit 2; }
for tool in xvfb-run WebKitWebDriver; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing: run make deps" >&2; exit 2; }
done

files=("$@")
((${#files[@]})) || files=("$here"/*.test.mjs)
export ECA_E2E_APP=$app
mkdir -p "$repo/artifacts/e2e"
status=0
for file in "${files[@]}"; do
  xvfb-run -a --server-args='-screen 0 1280x800x24' \
    "$repo/scripts/with-keyring.sh" node --test --test-concurrency=1 "$file" || status=1
done
exit "$status"
