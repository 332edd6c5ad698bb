#!/usr/bin/env bash
# Usage: tests/dist/install-test.sh PACKAGE.deb
#
# The installed app really receives links (issue "Installable on every desktop"): installs the
# .deb with dpkg, checks its desktop entry (desktop-file-validate) and that the desktop's MIME
# database names it as the handler of the app's URL scheme, starts the installed binary under
# Xvfb on a private D-Bus session, hands it a callback URL the way a desktop does (`gio open`),
# and checks that the running instance received it and that no second window or process stayed.
# Then it removes the package and checks that the handler is gone.
#
# Installs into the real system: run it as root on a throwaway machine (CI) or container. It
# refuses to run over an eca-admin package that was already installed, so it never removes
# something it did not install.
set -euo pipefail

deb=${1:?usage: $0 PACKAGE.deb}
[[ -f $deb ]] || { echo "install-test: no package at $deb" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
scheme=com.ecaadmin.desktop
package=$(dpkg-deb --field "$deb" Package)

fail() { echo "install-test: FAILED: $*" >&2; exit 1; }
pass() { echo "install-test: ok: $*"; }
((EUID == 0)) || fail "must run as root (it installs $package with dpkg)"
if dpkg-query --show --showformat='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
  fail "$package is installed already; remove it first (this test removes what it installs)"
fi

# 1. Install. The package's dependencies (WebKitGTK…) are the ones `make deps` installs.
dpkg --install "$deb" >/dev/null
trap 'dpkg --purge "$package" >/dev/null 2>&1 || true' EXIT
pass "dpkg installed $package"

# 2. The desktop entry, and the scheme's handler in the MIME database.
entry=$(dpkg --listfiles "$package" | grep -E '^/usr/share/applications/.*\.desktop$' | head -n 1)
[[ -n $entry ]] || fail "$package installs no desktop entry"
desktop-file-validate "$entry" || fail "desktop-file-validate refused $entry"
pass "desktop-file-validate accepts $entry"
grep -q "^MimeType=.*x-scheme-handler/$scheme;" "$entry" || fail "$entry declares no x-scheme-handler/$scheme"
grep -q '^Exec=.* %u$' "$entry" || fail "$entry's Exec does not take the URL (%u)"
# dpkg's trigger runs update-desktop-database; run it again in case the trigger is deferred.
update-desktop-database /usr/share/applications
handler=$(xdg-mime query default "x-scheme-handler/$scheme")
[[ $handler == "$(basename "$entry")" ]] || fail "xdg-mime names '$handler' as the handler, not $(basename "$entry")"
pass "xdg-mime query default x-scheme-handler/$scheme = $handler"

# 3–5. The installed app, a link delivered by the desktop, one instance and one window after it.
xvfb-run -a --server-args='-screen 0 1280x800x24' \
  "$repo/scripts/with-keyring.sh" "$here/receive-link.sh" "$(command -v eca-admin)" "$scheme"
pass "the running installed app received the link; no second window or process"

# 6. Uninstall: the handler goes with the package.
dpkg --purge "$package" >/dev/null
trap - EXIT
[[ ! -e $entry ]] || fail "$entry is still there after dpkg --purge"
handler=$(xdg-mime query default "x-scheme-handler/$scheme" || true)
[[ -z $handler ]] || fail "after removal, xdg-mime still names '$handler' for $scheme"
pass "removed; no handler for $scheme is left"
echo "install-test: all checks passed"
