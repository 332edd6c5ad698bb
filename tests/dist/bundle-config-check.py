#!/usr/bin/python3
"""Usage: tests/dist/bundle-config-check.py

The bundle configuration, checked as far as Linux allows (issue "Installable on every
desktop", part 1), before `make dist-test` builds and installs the .deb:

1. tauri.conf.json validates against the JSON Schema of the Tauri CLI that builds the bundles
   (ui/node_modules/@tauri-apps/cli/config.schema.json), so a misspelt key or a bad bundle
   target fails here, not on a release machine.
2. The URL scheme is one, everywhere: the deep-link plugin's `desktop.schemes` (which the
   bundler turns into the packages' scheme registrations) is exactly the app's identifier
   (RFC 8252 §7.1: a reversed domain name the app controls), and the Linux desktop entry
   declares it as `x-scheme-handler/<scheme>` and passes the URL (`%u`).
3. Windows (NSIS): the installer template compiled into that same Tauri CLI registers each
   deep-link scheme under `Software\\Classes\\<scheme>` with "URL Protocol" and an open
   command passing "%1", and its uninstaller removes it. The script renders that block for
   our schemes as the bundler does and checks the result.

Not checkable here, and why: the Linux build of the Tauri CLI carries no macOS bundler (which
writes `CFBundleURLTypes` into Info.plist from the same `desktop.schemes`) and no WiX bundler
(MSI; its registry entries come from the same list). docs/platforms.md says what is verified
where.

Uses Debian's python3-jsonschema (scripts/install-deps.sh installs it), hence /usr/bin/python3.
"""

import json
import pathlib
import re
import sys

import jsonschema

REPO = pathlib.Path(__file__).resolve().parents[2]
CLI = REPO / "ui/node_modules/@tauri-apps"
NSIS_REGISTER = "; Register deep links"
NSIS_DELETE = "; Delete deep links"
EACH = "{{#each deep_link_protocols as |protocol| ~}}"


def fail(message: str) -> None:
    print(f"bundle-config-check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def ok(message: str) -> None:
    print(f"bundle-config-check: ok: {message}")


def check_schema(conf: dict) -> None:
    schema_file = CLI / "cli/config.schema.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(conf), key=lambda e: list(e.absolute_path))
    if errors:
        where = lambda e: " > ".join(map(str, e.absolute_path)) or "(top level)"  # noqa: E731
        fail(
            "tauri.conf.json does not match the Tauri CLI's schema:\n"
            + "\n".join(f"  {where(e)}: {e.message[:300]}" for e in errors)
        )
    ok(f"tauri.conf.json validates against {schema.get('$id', schema_file.name)}")


def schemes_of(conf: dict) -> list:
    desktop = conf.get("plugins", {}).get("deep-link", {}).get("desktop")
    # The CLI reads `desktop` as one protocol or a list of them (its DesktopDeepLinks).
    protocols = desktop if isinstance(desktop, list) else [desktop] if desktop else []
    schemes = [s for p in protocols for s in p.get("schemes", [])]
    if schemes != [conf["identifier"]]:
        fail(
            f"plugins > deep-link > desktop declares the schemes {schemes}; the app's links use "
            f"exactly its identifier, {conf['identifier']!r} (RFC 8252 §7.1)"
        )
    return schemes


def check_desktop_entry(conf: dict, schemes: list) -> None:
    wanted = [f"x-scheme-handler/{s}" for s in schemes]
    for package in ("deb", "rpm"):
        template = conf["bundle"]["linux"][package]["desktopTemplate"]
        text = (REPO / template).read_text()
        mime = re.search(r"^MimeType=(.*)$", text, re.M)
        declared = [m for m in (mime.group(1).split(";") if mime else []) if m]
        if declared != wanted:
            fail(f"{template} ({package}) declares MimeType {declared}, not {wanted}")
        if not re.search(r"^Exec=.* %u$", text, re.M):
            fail(f"{template} ({package}): Exec must end in %u, or links arrive without the URL")
    ok(f"the .deb and .rpm desktop entries handle {', '.join(wanted)} and pass the URL")


def nsis_template() -> str:
    """The NSIS installer script template inside the Tauri CLI's native binary."""
    binaries = sorted(CLI.glob("cli-*/cli.*.node"))
    if not binaries:
        fail(f"no Tauri CLI binary under {CLI} (run `make deps`)")
    data = binaries[0].read_bytes()
    start = data.find(b"; Register deep links")
    if start < 0:
        fail(f"{binaries[0].name} has no NSIS deep-link registration: the bundler changed")
    # The template is one UTF-8 string; take a generous window around both blocks.
    return data[max(0, start - 200) : start + 20000].decode("utf-8", "replace")


def render_each(template: str, heading: str, schemes: list) -> str:
    """Renders the `{{#each deep_link_protocols}}` block after `heading` as Handlebars would:
    once per scheme, `\\\\{{protocol}}` giving a backslash and then the scheme."""
    at = template.find(heading)
    if at < 0 or template.find(EACH, at) < 0:
        fail(f"the NSIS template has no '{heading}' block over deep_link_protocols")
    body_start = template.find(EACH, at) + len(EACH)
    body = template[body_start : template.find("{{/each}}", body_start)]
    out = "".join(
        body.replace("\\\\{{protocol}}", "\\" + s).replace("{{protocol}}", s) for s in schemes
    )
    if "{{" in out:
        fail(f"the NSIS '{heading}' block uses more than the scheme: {out.strip()[:300]}")
    return out


def check_nsis(schemes: list) -> None:
    template = nsis_template()
    register = render_each(template, NSIS_REGISTER, schemes)
    delete = render_each(template, NSIS_DELETE, schemes)
    for s in schemes:
        key = f'"Software\\Classes\\{s}"'
        needed = [
            f'WriteRegStr SHCTX {key} "URL Protocol" ""',
            f'WriteRegStr SHCTX "Software\\Classes\\{s}\\shell\\open\\command" ""',
        ]
        for line in needed:
            if line not in register:
                fail(f"the NSIS installer would not write {line!r}; it writes:\n{register}")
        if '$\\"%1$\\"' not in register:
            fail(f"the NSIS open command for {s} does not pass the URL (%1):\n{register}")
        if f"DeleteRegKey SHCTX {key}" not in delete:
            fail(f"the NSIS uninstaller would leave {key} behind:\n{delete}")
    ok(f"the NSIS installer registers {', '.join(schemes)} (URL Protocol, open with %1) and its "
       "uninstaller removes it")


def main() -> None:
    conf = json.loads((REPO / "tauri.conf.json").read_text())
    check_schema(conf)
    schemes = schemes_of(conf)
    check_desktop_entry(conf, schemes)
    check_nsis(schemes)


if __name__ == "__main__":
    main()
