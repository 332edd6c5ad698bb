#!/usr/bin/env bash
# Installs what building, running and testing ECA Admin needs, and only what is missing, so that
# `make run` / `make test` stay fast on a machine that already has it all.
#
#   - Debian/Ubuntu packages (WebKitGTK, Xvfb, D-Bus, gnome-keyring...): `apt-get update` and
#     `apt-get install` run only when one is missing; sudo is used only when not root.
#   - npm packages: `npm ci` in ui/, tests/oidc/ and tests/e2e/ (those with a package-lock.json)
#     only when node_modules is missing or older than the lock file.
#   - tauri-driver (WebDriver bridge for the end-to-end tests): `cargo install` when missing.
#
# The Rust toolchain (rustup), Node.js >= 20.19 and python3 come with the machine; this only
# checks them (and installs python3-venv when python3 cannot make a venv, for schemathesis).
# Set ECA_SKIP_APT=1 to skip the system packages (e.g. on a machine you manage yourself).
set -euo pipefail

cd "$(dirname "$0")/.."

say() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- Toolchains that must already be there ------------------------------------------------------
command -v cargo >/dev/null 2>&1 ||
  die "cargo not found. Install Rust with rustup (stable >= 1.88), then open a new shell."
for component in fmt clippy; do
  cargo "$component" --version >/dev/null 2>&1 ||
    die "cargo $component not found. Run: rustup component add ${component/fmt/rustfmt}"
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  die "node/npm not found. Install Node.js >= 20.19 (Vite 8 needs it) with npm."
fi
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit(maj > 20 || (maj === 20 && min >= 19) ? 0 : 1);' ||
  die "Node.js $(node --version) is too old: Vite 8 needs >= 20.19 (or >= 22.12)."

command -v python3 >/dev/null 2>&1 ||
  die "python3 not found. Install Python >= 3.9 (scripts/schemathesis.sh runs schemathesis in a venv)."

# ---- System packages ----------------------------------------------------------------------------
APT_PACKAGES=(
  # build
  libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config libdbus-1-dev
  # run and test headless (Xvfb, WebDriver, a private D-Bus with a Secret Service, screenshots)
  xvfb xauth webkit2gtk-driver xdg-utils desktop-file-utils x11-utils dbus-x11 dbus-bin at-spi2-core
  fonts-dejavu-core gnome-keyring imagemagick
  # tests/e2e writes a client secret straight into the test keyring (Secret Service over D-Bus)
  python3-gi
  # `make icons` (rasterises icons/source.svg)
  librsvg2-bin
  # the install test of the .deb (tests/dist): `gio open` delivers a link as a desktop does
  libglib2.0-bin procps
  # tests/dist/bundle-config-check.py validates tauri.conf.json against the Tauri CLI's schema
  python3-jsonschema
  # the second real OpenID provider of the login tests and its harness (tests/glewlwyd/up.sh)
  glewlwyd sqlite3 openssl jq
)

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

if [[ "${ECA_SKIP_APT:-}" == 1 ]]; then
  say "ECA_SKIP_APT=1: not checking system packages"
elif ! command -v dpkg >/dev/null 2>&1; then
  say "not a Debian/Ubuntu system: install the equivalents of these yourself: ${APT_PACKAGES[*]}"
else
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do installed "$pkg" || missing+=("$pkg"); done
  if ((${#missing[@]})); then
    sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
      command -v sudo >/dev/null 2>&1 || die "missing packages and no sudo: ${missing[*]}"
      sudo=(sudo)
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "system packages: all ${#APT_PACKAGES[@]} present"
  fi
  # Debian's python3 needs python3-venv for `python3 -m venv` (a pyenv or python.org one has it).
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null && ! installed python3-venv; then
    say "installing python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    sudo=(); [[ "$(id -u)" -ne 0 ]] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
fi

# ---- npm packages -------------------------------------------------------------------------------
npm_install() {
  local dir=$1
  [[ -f "$dir/package.json" ]] || return 0
  if [[ ! -f "$dir/package-lock.json" ]]; then
    say "$dir has no package-lock.json: running npm install (commit the lock file it writes)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    return
  fi
  # Up to date when node_modules was installed from this very lock file (its SHA-256, stamped
  # after the install): a checkout or a git worktree makes the lock file newer without changing
  # it, and an install then is not needed.
  local stamp="$dir/node_modules/.eca-lock.sha256" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    say "$dir/node_modules is up to date"
    return
  fi
  # A linked node_modules (a worktree sharing another tree's) is not reinstalled through the
  # link: npm ci would empty the other tree's packages first.
  if [[ -L "$dir/node_modules" ]]; then
    die "$dir/node_modules is a link to another tree, installed from another lock file: run npm ci there yourself (or remove the link)"
  fi
  say "npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}
npm_install ui
npm_install tests/oidc
npm_install tests/e2e

# ---- tauri-driver (for the end-to-end tests) ----------------------------------------------------
if command -v tauri-driver >/dev/null 2>&1 || [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]]
then
  say "tauri-driver present"
else
  say "installing tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi
