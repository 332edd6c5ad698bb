#!/usr/bin/env bash
# Usage: [UNIT=1] [RERUN=1] [ONLY=REGEX] scripts/mutants.sh [MODULE...]
#        (make mutants [MODULES="id-token callback"] [UNIT=1] [RERUN=1] [ONLY=REGEX])
#
# Mutation testing with cargo-mutants over the modules of tests/mutants/modules.txt: each
# mutant is a small deliberate bug, "caught" when some test of its package fails. One
# cargo-mutants run per package (one copy of the tree, one baseline build), under the private
# keyring the tests need; results in artifacts/mutants/PACKAGE/mutants.out. Then
# scripts/mutants-score.py prints the per-module table and fails under 90% or on a survivor not
# listed in tests/mutants/accepted.txt. Slow (minutes per module on 2 cores): not in `make test`.
#
# UNIT=1 runs only the package's unit tests (`cargo test --lib`) against each mutant: about a
# tenth of the time where integration tests start real providers, and a lower bound on the
# score (a mutant only an integration test catches counts as missed).
# ONLY=REGEX tests only the mutants whose names match (cargo-mutants' --re), e.g. the
# functions of a module a run cut short did not reach: the score counts what was measured.
# RERUN=1 re-tests only the survivors of the earlier runs (after new tests, say), in
# artifacts/mutants/PACKAGE/rerun-N; the score takes each mutant's latest outcome. Each run
# records the SHA-256 of the files it mutates (source.sha256): outcomes of a file changed since
# are left out of the score (a mutant is known by its line and column), so after a product
# change run the module in full again.
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
declare -A files=() tests=()
packages=()
while read -r name package rest; do
  [[ -z $name || $name == \#* ]] && continue
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
for package in "${packages[@]}"; do
  args=()
  for f in ${files[$package]}; do args+=(--file "$f"); done
  # As cargo arguments (not only test arguments), so each mutant's build also builds only the
  # targets that test it: linking every test binary of a package costs more than running them.
  if [[ ${UNIT:-} == 1 ]]; then
    args+=(--cargo-arg=--lib)
  else
    for t in ${tests[$package]:-}; do args+=("--cargo-arg=$t"); done
  fi
  [[ -z ${ONLY:-} ]] || args+=(--re "$ONLY")
  out=artifacts/mutants/$package
  if [[ ${RERUN:-} == 1 ]]; then
    mapfile -t names < <("${score[@]}" --survivors "$list" tests/mutants/accepted.txt \
      artifacts/mutants "$package" "${wanted[@]}")
    if ((${#names[@]} == 0)); then
      echo "mutants: $package: no survivor to re-test"
      continue
    fi
    for name in "${names[@]}"; do args+=(--re "$name"); done
    n=1
    while [[ -e $out/rerun-$n ]]; do n=$((n + 1)); done
    out=$out/rerun-$n
  fi
  mkdir -p "$out"
  # What this run measures: the score counts its outcomes only while these files are unchanged.
  # shellcheck disable=SC2086  # the file list splits on purpose
  sha256sum ${files[$package]} >"$out/source.sha256"
  echo "mutants: $package:${files[$package]}"
  # Exit 2 means survivors and 3 timeouts, which the score reports; anything else is a failed
  # run. A minimum test timeout, as a loaded machine can make a slow test look like a hung
  # mutant.
  scripts/with-keyring.sh cargo mutants --package "$package" "${args[@]}" --output "$out" \
    --no-shuffle --timeout-multiplier 3 --minimum-test-timeout 60 || {
    status=$?
    [[ $status == 2 || $status == 3 ]]
  }
done
exec "${score[@]}" "$list" tests/mutants/accepted.txt artifacts/mutants "${wanted[@]}"
