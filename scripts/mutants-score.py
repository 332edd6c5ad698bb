#!/usr/bin/env python3
"""Scores a `make mutants` run: per module of tests/mutants/modules.txt, the viable mutants
cargo-mutants made and how many a test caught, from each package's outcomes.json.

Usage: mutants-score.py MODULES_FILE ACCEPTED_FILE OUT_DIR [MODULE...]
       mutants-score.py --survivors MODULES_FILE ACCEPTED_FILE OUT_DIR PACKAGE [MODULE...]

A survivor listed in ACCEPTED_FILE (an equivalent mutant, with its reason) is left out of the
module's viable mutants. Exits 1 when a module scores under the target or a survivor is
neither caught nor listed; prints the table README shows either way.

A package's runs are every outcomes.json under OUT_DIR/PACKAGE: the full run and the re-runs
of its survivors (`make mutants RERUN=1`); for each mutant the latest run's outcome counts.
Only outcomes measured on the code as it is now count: each run records the SHA-256 of the
files it mutated (source.sha256 beside its mutants.out), and a mutant whose file has changed
since (or a run that recorded nothing) is left out and said so, as its line and column may
now name another mutant.
`--survivors` prints, one a line, a regex matching exactly each survivor of PACKAGE's modules
(for cargo-mutants' --re), so a re-run tests only those.
"""
import hashlib
import json
import re
import sys
from pathlib import Path

TARGET = 90.0


def modules(path, only):
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].split()
        if line and (not only or line[0] in only):
            # After the files, `--lib` / `--test=NAME` name the tests that run (mutants.sh).
            yield line[0], line[1], [f for f in line[2:] if not f.startswith("--")]


def accepted(path):
    keys = set()
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keys.add(line.split("  -- ", 1)[0].strip())
    return keys


def key(name):
    """`FILE:LINE:COL: MUTATION` without the line and column."""
    return re.sub(r"^([^:]+):\d+:\d+: ", r"\1: ", name)


def recorded_sources(run_dir):
    """{file: sha256} a run recorded of the files it mutated; empty when it recorded none."""
    path = run_dir / "source.sha256"
    if not path.exists():
        return {}
    pairs = (line.split(None, 1) for line in path.read_text().splitlines() if line.strip())
    return {name.strip(): digest for digest, name in pairs}


def current_digest(path):
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def outcomes(out_dir, package):
    """Each mutant of PACKAGE with its latest outcome, over the runs made on today's code."""
    runs = []
    for path in (Path(out_dir) / package).glob("**/mutants.out/outcomes.json"):
        run = json.loads(path.read_text())
        runs.append((run["start_time"], run["outcomes"], recorded_sources(path.parent.parent)))
    if not runs:
        sys.exit(f"mutants-score: no outcomes under {Path(out_dir) / package}: did cargo-mutants "
                 f"run for {package}?")
    latest = {}
    stale = set()
    for _, run, sources in sorted(runs, key=lambda r: r[0]):
        for o in run:
            mutant = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
            if not mutant:
                continue
            if sources.get(mutant["file"]) != current_digest(mutant["file"]):
                stale.add(mutant["file"])
                continue
            latest[mutant["name"]] = (mutant, o["summary"])
    for name in sorted(stale):
        print(f"mutants-score: {package}: outcomes for {name} were measured on other code (it "
              "changed since, or the run recorded no source.sha256); left out: run "
              "`make mutants` again for it", file=sys.stderr)
    return latest.values()


def print_survivors(modules_file, accepted_file, out_dir, package, only):
    equivalent = accepted(accepted_file)
    files = {f for _, p, fs in modules(modules_file, set(only)) if p == package for f in fs}
    for mutant, summary in outcomes(out_dir, package):
        if (mutant["file"] in files and summary == "MissedMutant"
                and key(mutant["name"]) not in equivalent):
            print("^" + rust_regex_escape(mutant["name"]) + "$")


def rust_regex_escape(text):
    """`text` as a Rust regex matching it literally (Python's re.escape also escapes spaces,
    which the regex crate refuses)."""
    return "".join("\\" + c if c in r"\.+*?()|[]{}^$" else c for c in text)


def main():
    if sys.argv[1] == "--survivors":
        print_survivors(*sys.argv[2:6], sys.argv[6:])
        return 0
    modules_file, accepted_file, out_dir, *only = sys.argv[1:]
    equivalent = accepted(accepted_file)
    failed = False
    rows = []
    for name, package, files in modules(modules_file, set(only)):
        caught = missed = timeouts = unviable = skipped = 0
        survivors = []
        for mutant, summary in outcomes(out_dir, package):
            if mutant["file"] not in files:
                continue
            if summary == "CaughtMutant":
                caught += 1
            elif summary == "Timeout":
                timeouts += 1
            elif summary == "Unviable":
                unviable += 1
            elif key(mutant["name"]) in equivalent:
                skipped += 1
            else:
                missed += 1
                survivors.append(mutant["name"])
        viable = caught + timeouts + missed
        if viable + skipped + unviable == 0:
            # Nothing measured on today's code: not a pass.
            print(f"NOT MEASURED  {name}")
            rows.append((name, 0, 0, 0, 0, None))
            failed = True
            continue
        score = 100.0 * (caught + timeouts) / viable if viable else 100.0
        rows.append((name, caught + timeouts, viable, skipped, unviable, score))
        if score < TARGET or survivors:
            failed = True
        for s in survivors:
            print(f"SURVIVED  {s}")
    print()
    print("| Module | Caught / viable | Score | Equivalent (accepted) | Unviable |")
    print("|---|---|---|---|---|")
    for name, caught, viable, skipped, unviable, score in rows:
        if score is None:
            print(f"| {name} | not measured on this code | | | |")
        else:
            print(f"| {name} | {caught} / {viable} | {score:.0f}% | {skipped} | {unviable} |")
    if failed:
        print(f"\nmutants: a module is under {TARGET:.0f}%, was not measured on this code, or a "
              "survivor is neither caught nor listed in tests/mutants/accepted.txt (see SURVIVED "
              "and NOT MEASURED above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
