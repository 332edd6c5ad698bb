#!/usr/bin/env bash
# Usage: [FRESH=1] [UNIT=1] [RERUN=1] [ONLY=REGEX] scripts/mutants.sh [MODULE...]
#        (make mutants [MODULES="id-token callback"] [FRESH=1] [UNIT=1] [RERUN=1] [ONLY=REGEX])
#
# Mutation testing with cargo-mutants over the modules of tests/mutants/modules.txt: each
# mutant is a small deliberate bug, "caught" when some test of its package fails. One
# cargo-mutants run per package (one copy of the tree, one baseline build), under the private
# keyring the tests need, in artifacts/mutants/PACKAGE. Each outcome goes to the committed
# record, tests/mutants/record/PACKAGE.json, with the SHA-256 of the file it mutated: it counts
# while that file is unchanged (scripts/mutants-score.py). Then the per-module table, which
# fails under 90%, on a mutant with no outcome on today's code, or on a survivor not listed in
# tests/mutants/accepted.txt. Slow (minutes per module on 2 cores): not in `make test`.
#
# Which mutants run:
# - by default, those the record has no outcome for on today's code (a new or changed file, or
#   a run cut short): a clean checkout whose record is complete measures nothing and scores;
# - FRESH=1: every mutant of the modules again (after tests changed, say);
# - RERUN=1: only the recorded survivors (after new tests);
# - ONLY=REGEX: only the mutants whose names match (cargo-mutants' --re), recorded or not.
# UNIT=1 runs only the package's unit tests (`cargo test --lib`) against each mutant: about a
# tenth of the time where integration tests start real providers, and a lower bound on the
# score (a mutant only an integration test catches counts as missed). The record names the
# tests each outcome was measured with.
# Build nothing else in the same CARGO_TARGET_DIR meanwhile: cargo knows workspace crates by
# their path inside the workspace, the same in cargo-mutants' copy, so the two builds would
# take each other's outputs.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
version=27.1.0
if [[ $(cargo mutants --version 2>/dev/null) != "cargo-mutants $version" ]]; then
  cargo install cargo-mutants --locked --version "$version"
fi

list=tests/mutants/modules.txt
wanted=("$@")
selected() { ((${#wanted[@]} == 0)) || [[ " ${wanted[*]} " == *" $1 "* ]]; }

# Files to mutate, by package, in the order the modules list them; and the test targets a
# module names (`--lib`, `--test=NAME`), by package: none named runs all of the package's tests.
# all_files: every module's files, by package, whatever is selected: the list of today's
# mutants the score checks the record against covers the whole package.
declare -A files=() tests=() all_files=()
packages=()
while read -r name package rest; do
  [[ -z $name || $name == \#* ]] && continue
  for word in ${rest%%#*}; do
    [[ $word == --* ]] || all_files[$package]+=" $word"
  done
  selected "$name" || continue
  [[ -v "files[$package]" ]] || packages+=("$package")
  for word in ${rest%%#*}; do
    if [[ $word == --* ]]; then
      [[ " ${tests[$package]:-} " == *" $word "* ]] || tests[$package]+=" $word"
    else
      files[$package]+=" $word"
    fi
  done
done <"$list"
((${#packages[@]})) || { echo "mutants: no module named ${wanted[*]} in $list" >&2; exit 2; }

score=(python3 scripts/mutants-score.py)
lists=artifacts/mutants/list
mkdir -p "$lists"
for package in "${packages[@]}"; do
  listed=()
  for f in ${all_files[$package]}; do listed+=(--file "$f"); done
  # Today's mutants of the package's modules, without building anything: what the score
  # expects.
  cargo mutants --list --json --package "$package" "${listed[@]}" >"$lists/$package.json"
  args=()
  for f in ${files[$package]}; do args+=(--file "$f"); done
  # As cargo arguments (not only test arguments), so each mutant's build also builds only the
  # targets that test it: linking every test binary of a package costs more than running them.
  if [[ ${UNIT:-} == 1 ]]; then
    selection=--lib
  else
    selection=${tests[$package]:- all}
    selection=${selection# }
  fi
  [[ $selection == all ]] || for t in $selection; do args+=("--cargo-arg=$t"); done
  if [[ -n ${ONLY:-} ]]; then
    args+=(--re "$ONLY")
  elif [[ ${FRESH:-} != 1 ]]; then
    if [[ ${RERUN:-} == 1 ]]; then
      mapfile -t names < <("${score[@]}" survivors "$package" "${wanted[@]}")
      why="no survivor to re-test"
    else
      mapfile -t names < <("${score[@]}" pending "$package" "$lists/$package.json" "${wanted[@]}")
      why="every mutant has an outcome on today's code (FRESH=1 measures them again)"
    fi
    if ((${#names[@]} == 0)); then
      echo "mutants: $package: $why"
      continue
    fi
    for name in "${names[@]}"; do args+=(--re "$name"); done
  fi
  out=artifacts/mutants/$package/$(date -u +%Y%m%dT%H%M%S)
  mkdir -p "$out"
  # What this run measures: its outcomes count only while these files are unchanged.
  # shellcheck disable=SC2086  # the file list splits on purpose
  sha256sum ${files[$package]} >"$out/source.sha256"
  echo "mutants: $package:${files[$package]} (tests: $selection)"
  # Exit 2 means survivors and 3 timeouts, which the score reports; anything else is a failed
  # run, whose outcomes so far (cargo-mutants writes them as it goes) are recorded before it
  # fails, so the next run measures only the rest. A minimum test timeout, as a loaded machine
  # can make a slow test look like a hung mutant.
  status=0
  scripts/with-keyring.sh cargo mutants --package "$package" "${args[@]}" --output "$out" \
    --no-shuffle --timeout-multiplier 3 --minimum-test-timeout 60 || status=$?
  if [[ -f $out/mutants.out/outcomes.json ]]; then
    "${score[@]}" record "$package" "$out" "$selection"
  fi
  [[ $status == 0 || $status == 2 || $status == 3 ]] || exit "$status"
done
exec "${score[@]}" score "$lists" "${wanted[@]}"
