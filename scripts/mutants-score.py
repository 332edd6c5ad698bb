#!/usr/bin/env python3
"""The record and the score of `make mutants`.

The record (tests/mutants/record/PACKAGE.json, committed) holds, for each mutant cargo-mutants
measured, its latest outcome, the SHA-256 of the file it mutates as it was then, when, and which
tests ran against it. An outcome counts only while that file is unchanged: a mutant is known by
its line and column, which an edit can give to another mutant. Entries of a changed file are
dropped the next time the package is recorded, so the record holds only what was measured on
code still in the tree. A change to the tests alone keeps the record (`make mutants FRESH=1`
measures everything again).

Usage:
  mutants-score.py record PACKAGE RUN_DIR TESTS
      adds RUN_DIR's outcomes (RUN_DIR/mutants.out/outcomes.json, measured on the files of
      RUN_DIR/source.sha256, with the test selection TESTS) to PACKAGE's record
  mutants-score.py pending PACKAGE LIST_JSON MODULE...
      prints, one a line, a regex matching exactly each mutant of those modules of PACKAGE
      (from `cargo mutants --list --json`) that the record has no outcome for on today's code
  mutants-score.py survivors PACKAGE MODULE...
      the same for the recorded survivors not accepted as equivalent
  mutants-score.py score LIST_DIR [MODULE...]
      the per-module table (README shows it), from the record and LIST_DIR/PACKAGE.json, the
      mutants each package has today; exits 1 when a module scores under 90%, has a mutant
      not measured on today's code, or a survivor neither caught nor accepted
"""
import hashlib
import json
import re
import sys
from pathlib import Path

TARGET = 90.0
MODULES = Path("tests/mutants/modules.txt")
ACCEPTED = Path("tests/mutants/accepted.txt")
RECORD = Path("tests/mutants/record")


def modules(only=()):
    """(name, package, files) of each module of MODULES, or of those named in `only`."""
    for line in MODULES.read_text().splitlines():
        line = line.split("#", 1)[0].split()
        if line and (not only or line[0] in only):
            # After the files, `--lib` / `--test=NAME` name the tests that run (mutants.sh).
            yield line[0], line[1], [f for f in line[2:] if not f.startswith("--")]


def module_files(package, only):
    return {f for _, p, fs in modules(only) if p == package for f in fs}


def accepted():
    """The accepted survivors: `(FILE: MUTATION, the mutated line's text)` of each entry."""
    keys = set()
    for line in ACCEPTED.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            mutant, source = line.split("  -- ", 1)[0].split("  @ ", 1)
            keys.add((mutant.strip(), source.strip()))
    return keys


def key(name):
    """An accepted survivor's key for the mutant `FILE:LINE:COL: MUTATION`: the name without
    the line and column, so an entry survives edits elsewhere in the file, and the text of the
    line it mutates today, so it accepts that mutation there only (a new `&&` elsewhere in the
    same function is another mutant, to review)."""
    m = re.match(r"^([^:]+):(\d+):\d+: (.*)$", name)
    if not m:
        return (name, "")
    try:
        lines = Path(m[1]).read_text().splitlines()
        source = lines[int(m[2]) - 1].strip()
    except (FileNotFoundError, IndexError):
        source = ""
    return (f"{m[1]}: {m[3]}", source)


def digest(path):
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def read_record(package):
    """{mutant name: entry} of PACKAGE's record, only the entries measured on today's code."""
    path = RECORD / f"{package}.json"
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())["mutants"]
    today = {}
    for e in entries:
        today.setdefault(e["file"], digest(e["file"]))
    return {e["name"]: e for e in entries if e["source_sha256"] == today[e["file"]]}


def write_record(package, entries):
    RECORD.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(e, sort_keys=True) for e in sorted(entries.values(), key=order)]
    (RECORD / f"{package}.json").write_text(
        '{"mutants": [\n' + ",\n".join(lines) + "\n]}\n")


def order(entry):
    """By file, then line and column, then the mutation: the record's diff stays readable."""
    m = re.match(r"^[^:]+:(\d+):(\d+): (.*)$", entry["name"])
    return (entry["file"], int(m[1]), int(m[2]), m[3]) if m else (entry["file"], 0, 0, entry["name"])


def record(package, run_dir, tests):
    run_dir = Path(run_dir)
    sources = {}
    for line in (run_dir / "source.sha256").read_text().splitlines():
        if line.strip():
            sha, name = line.split(None, 1)
            sources[name.strip()] = sha
    run = json.loads((run_dir / "mutants.out" / "outcomes.json").read_text())
    entries = read_record(package)
    added = 0
    for o in run["outcomes"]:
        mutant = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
        if not mutant or mutant["file"] not in sources:
            continue
        entries[mutant["name"]] = {
            "name": mutant["name"],
            "file": mutant["file"],
            "source_sha256": sources[mutant["file"]],
            "outcome": o["summary"],
            "measured_at": run["start_time"][:10],
            "tests": tests,
        }
        added += 1
    write_record(package, entries)
    print(f"mutants: {package}: {added} outcomes recorded in {RECORD / package}.json")


def listed(list_json, files):
    """The names of today's mutants of `files`, from `cargo mutants --list --json`."""
    return [m["name"] for m in json.loads(Path(list_json).read_text()) if m["file"] in files]


def rust_regex(name):
    """`name` as a Rust regex matching it exactly (Python's re.escape also escapes spaces,
    which the regex crate refuses)."""
    return "^" + "".join("\\" + c if c in r"\.+*?()|[]{}^$" else c for c in name) + "$"


def pending(package, list_json, only):
    measured = read_record(package)
    for name in listed(list_json, module_files(package, only)):
        if name not in measured:
            print(rust_regex(name))


def survivors(package, only):
    files, equivalent = module_files(package, only), accepted()
    for e in read_record(package).values():
        if e["file"] in files and e["outcome"] == "MissedMutant" and key(e["name"]) not in equivalent:
            print(rust_regex(e["name"]))


def score(list_dir, only):
    equivalent = accepted()
    failed = False
    rows = []
    for name, package, files in modules(set(only)):
        measured = read_record(package)
        today = listed(Path(list_dir) / f"{package}.json", set(files))
        counts = dict.fromkeys(["caught", "missed", "timeout", "unviable", "equivalent"], 0)
        tests = set()
        unmeasured = 0
        for mutant in today:
            e = measured.get(mutant)
            if e is None:
                unmeasured += 1
                continue
            tests.add(e["tests"])
            outcome = {"CaughtMutant": "caught", "Timeout": "timeout",
                       "Unviable": "unviable"}.get(e["outcome"], "missed")
            if outcome == "missed" and key(mutant) in equivalent:
                outcome = "equivalent"
            counts[outcome] += 1
            if outcome == "missed":
                print(f"SURVIVED  {mutant}")
        caught = counts["caught"] + counts["timeout"]
        viable = caught + counts["missed"]
        pct = 100.0 * caught / viable if viable else 100.0
        if not today:
            print(f"NOT MEASURED  {name}: {Path(list_dir) / package}.json lists none of its "
                  f"mutants (run make mutants for {package})")
        elif unmeasured:
            print(f"NOT MEASURED  {name}: {unmeasured} of its {len(today)} mutants have no outcome "
                  "on today's code")
        failed |= pct < TARGET or counts["missed"] > 0 or unmeasured > 0 or not today
        rows.append((name, caught, viable, pct if today else None, counts, unmeasured,
                     " + ".join(sorted(tests))))
    print()
    print("| Module | Caught / viable | Score | Equivalent (accepted) | Unviable | Not measured "
          "| Tests run |")
    print("|---|---|---|---|---|---|---|")
    for name, caught, viable, pct, counts, unmeasured, tests in rows:
        shown = "not listed" if pct is None else f"{pct:.0f}%" if viable else "-"
        print(f"| {name} | {caught} / {viable} | {shown} | {counts['equivalent']} | "
              f"{counts['unviable']} | {unmeasured} | {tests or '-'} |")
    if failed:
        print(f"\nmutants: a module is under {TARGET:.0f}%, has mutants not measured on today's "
              "code, or a survivor is neither caught nor listed in tests/mutants/accepted.txt "
              "(see SURVIVED and NOT MEASURED above)", file=sys.stderr)
    return 1 if failed else 0


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "record":
        record(*args)
    elif command == "pending":
        pending(args[0], args[1], args[2:])
    elif command == "survivors":
        survivors(args[0], args[1:])
    elif command == "score":
        return score(args[0], args[1:])
    else:
        sys.exit(f"mutants-score: unknown command {command!r} (record, pending, survivors, score)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
