#!/usr/bin/env python3
"""`make bench`: ECA Admin's start-up, memory and package size against a bare Tauri 2 app
(benches/bare-app: the same plugins and rusqlite, the same release profile), in the same run.

- Start-up: from exec until the app's first screen is painted and interactive: ECA Admin's list
  of 1,000 IdPs (the UI calls `list_shown` after the paint that shows the rows), the bare app's
  "hello" page (the same two frames, then `hello_shown`). Both write a fixed line on stderr.
- Memory: total RSS and PSS (/proc/PID/smaps_rollup) of the app and its children (WebKit's web
  and network processes) once it has settled after the mark.
- Size: the .deb of each, and what makes up ECA Admin's (binary sections, UI bundle).

Each is a median of RUNS runs (the apps alternate, after one warm-up run each), printed with its
ratio against the bare app and the target. Nothing is asserted: the numbers are for reading.

Run it in an X display with a private D-Bus session and HOME (make bench: xvfb-run +
scripts/with-keyring.sh). `startup.py profile-config` prints the root Cargo.toml's release profile
as cargo `--config` arguments, so the bare app is built with exactly the app's profile.
"""

import argparse
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The words both apps' start-up lines share (src-tauri/app/commands/startup.rs,
# benches/bare-app/src/main.rs).
MARK = "painted and interactive"
IDPS = 1_000
TARGETS = {"start-up": 1.20, "memory RSS": 1.15, "memory PSS": 1.15, ".deb": 1.30}
MARK_TIMEOUT_S = 60.0
# Settled: the total PSS moved less than this between two samples SAMPLE_S apart.
SETTLED_FRACTION = 0.01
SAMPLE_S = 0.5
SETTLE_MAX_S = 15.0


def profile_config() -> list[str]:
    """The root manifest's [profile.release] as `--config profile.release.KEY=VALUE` arguments."""
    manifest = tomllib.loads((REPO / "Cargo.toml").read_text())
    profile = manifest.get("profile", {}).get("release", {})
    args = []
    for key, value in profile.items():
        if isinstance(value, dict):
            sys.exit(f"startup.py: [profile.release.{key}] tables are not passed on; extend profile_config")
        args += ["--config", f"profile.release.{key}={json.dumps(value)}"]
    return args


def export_document() -> dict:
    """`eca idp import`'s format with IDPS public OpenID Connect IdPs (as tests/e2e/big-list)."""
    idps = []
    for n in range(1, IDPS + 1):
        origin = f"https://idp{n}.example"
        idps.append({
            "id": str(uuid.uuid4()), "name": f"Bulk IdP {n:05}", "protocol": "oidc",
            "issuer": origin, "authorization_endpoint": f"{origin}/auth",
            "token_endpoint": f"{origin}/token", "userinfo_endpoint": None,
            "jwks_uri": f"{origin}/jwks", "client_id": f"client-{n}", "client_auth_method": "none",
            "scopes": ["openid"], "extra_params": [], "redirect_uris": [],
            "customer_id_claim": "sub", "enabled": True, "notes": "", "test_redirect": "deep_link",
            "claim_mapping": [], "channel_binding": False, "loopback_port": None,
            "id_token_signing_algs": [], "had_secret": False,
        })
    return {"format": "eca-admin/idps", "version": 1,
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "idps": idps}


def seed(cli: Path, root: Path) -> Path:
    data_dir = root / "data"
    doc = root / "idps.json"
    doc.write_text(json.dumps(export_document()))
    subprocess.run([cli, "--data-dir", data_dir, "idp", "import", doc], check=True,
                   stdout=subprocess.DEVNULL)
    return data_dir


def children(pid: int) -> list[int]:
    """Every live descendant of pid."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
            parents.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def memory(pid: int) -> dict[str, tuple[int, int]]:
    """(RSS, PSS) in KiB per process name, for pid and its descendants."""
    per_name: dict[str, tuple[int, int]] = {}
    for p in [pid, *children(pid)]:
        try:
            name = Path(f"/proc/{p}/comm").read_text().strip()
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue
        rss, pss = (int(fields[k].split()[0]) for k in ("Rss", "Pss"))
        old = per_name.get(name, (0, 0))
        per_name[name] = (old[0] + rss, old[1] + pss)
    return per_name


def total(per_name: dict[str, tuple[int, int]]) -> tuple[int, int]:
    return sum(v[0] for v in per_name.values()), sum(v[1] for v in per_name.values())


def one_run(argv: list, env: dict) -> tuple[float, dict[str, tuple[int, int]]]:
    """Starts the app, waits for its mark, lets it settle, measures, stops it and its children."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    marked = None
    try:
        while marked is None:
            left = MARK_TIMEOUT_S - (time.monotonic() - started)
            if left <= 0 or not select.select([proc.stderr], [], [], left)[0]:
                raise SystemExit(f"startup.py: {argv[0]} printed no start-up mark in {MARK_TIMEOUT_S:.0f} s:\n{seen.decode(errors='replace')}")
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                raise SystemExit(f"startup.py: {argv[0]} exited ({proc.wait()}) before its start-up mark:\n{seen.decode(errors='replace')}")
            seen += chunk
            if MARK.encode() in seen:
                marked = time.monotonic() - started
        # Settling: sample until the total PSS stops moving (the stderr pipe is not read from
        # here on; the apps log a line or two at most).
        before = total(memory(proc.pid))[1]
        waited = 0.0
        while True:
            time.sleep(SAMPLE_S)
            waited += SAMPLE_S
            now = memory(proc.pid)
            if abs(total(now)[1] - before) <= SETTLED_FRACTION * before or waited >= SETTLE_MAX_S:
                return marked, now
            before = total(now)[1]
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Ends the app and waits until its WebKit children are gone too (the next run's single-
    instance check must not find it)."""
    family = children(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for pid in family:
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    proc.stderr.close()


def mib(kib: float) -> str:
    return f"{kib / 1024:7.1f} MiB"


def ratio_line(label: str, ours: float, floor: float, unit) -> str:
    r = ours / floor
    target = TARGETS[label]
    verdict = "met" if r <= target else "MISSED"
    return f"  {label:<12} ECA Admin {unit(ours)}   bare app {unit(floor)}   ratio {r:.2f}x (target <= {target:.2f}x: {verdict})"


def section_sizes(binary: Path) -> str:
    out = subprocess.run(["size", "-A", binary], capture_output=True, text=True)
    if out.returncode != 0:
        return "    (size -A failed)"
    rows = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            rows[parts[0]] = int(parts[1])
    keep = [".text", ".rodata", ".eh_frame", ".gcc_except_table", ".data.rel.ro", ".eh_frame_hdr"]
    return "    " + ", ".join(f"{k} {rows[k] / 1e6:.1f} MB" for k in keep if k in rows)


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    if sys.argv[1:] == ["profile-config"]:
        print(" ".join(profile_config()))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", type=Path, required=True, help="ECA Admin's release binary")
    ap.add_argument("--bare", type=Path, required=True, help="the bare app's release binary")
    ap.add_argument("--app-deb", type=Path, required=True)
    ap.add_argument("--bare-deb", type=Path, required=True)
    ap.add_argument("--cli", type=Path, required=True, help="`eca`, to import the 1,000 IdPs")
    ap.add_argument("--ui-dist", type=Path, default=REPO / "ui/dist")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "5")))
    args = ap.parse_args()
    for path in (args.app, args.bare, args.app_deb, args.bare_deb, args.cli):
        if not path.is_file():
            sys.exit(f"startup.py: {path} is missing: make bench builds it")
    if "DISPLAY" not in os.environ or "DBUS_SESSION_BUS_ADDRESS" not in os.environ:
        sys.exit("startup.py: needs an X display and a private D-Bus session (make bench runs it in xvfb-run + scripts/with-keyring.sh)")

    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    with tempfile.TemporaryDirectory(prefix="eca-startup.") as root:
        data_dir = seed(args.cli, Path(root))
        apps = {"ECA Admin": [args.app, "--data-dir", data_dir], "bare app": [args.bare]}
        times = {name: [] for name in apps}
        mems = {name: [] for name in apps}
        for name, argv in apps.items():  # warm-up: page cache, WebKit's caches
            one_run(argv, env)
        for _ in range(args.runs):
            for name, argv in apps.items():
                took, per_name = one_run(argv, env)
                times[name].append(took)
                mems[name].append(per_name)

    med = {name: statistics.median(v) for name, v in times.items()}
    rss = {name: statistics.median(total(m)[0] for m in v) for name, v in mems.items()}
    pss = {name: statistics.median(total(m)[1] for m in v) for name, v in mems.items()}
    deb = {"ECA Admin": args.app_deb.stat().st_size, "bare app": args.bare_deb.stat().st_size}

    print(f"Start-up, memory and size against a bare Tauri 2 app (medians of {args.runs} runs each, {IDPS:,} IdPs in the list)")
    print(ratio_line("start-up", med["ECA Admin"], med["bare app"], lambda s: f"{s * 1000:7.0f} ms"))
    print(ratio_line("memory RSS", rss["ECA Admin"], rss["bare app"], mib))
    print(ratio_line("memory PSS", pss["ECA Admin"], pss["bare app"], mib))
    print(ratio_line(".deb", deb["ECA Admin"], deb["bare app"], lambda b: f"{b / 2**20:7.2f} MiB"))
    for name in apps:
        print(f"  {name} start-up runs: " + ", ".join(f"{t * 1000:.0f}" for t in times[name]) + " ms")
    print("  What costs what:")
    for name in apps:
        last = mems[name][-1]
        parts = ", ".join(f"{p} {r / 1024:.0f}/{s / 1024:.0f}" for p, (r, s) in sorted(last.items()))
        print(f"    {name} RSS/PSS MiB per process (last run): {parts}")
    for name, binary in (("ECA Admin", args.app), ("bare app", args.bare)):
        print(f"    {name} binary {binary.stat().st_size / 1e6:.1f} MB:")
        print(section_sizes(binary))
    if args.ui_dist.is_dir():
        print(f"    ECA Admin UI bundle ({args.ui_dist.relative_to(REPO)}): {tree_size(args.ui_dist) / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
