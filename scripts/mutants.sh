#!/usr/bin/env bash
# Usage: scripts/mutants.sh [MODULE...]   (make mutants [MODULES="id-token callback"])
#
# Mutation testing with cargo-mutants over the modules of tests/mutants/modules.txt: each
# mutant is a small deliberate bug, "caught" when some test of its package fails. One
# cargo-mutants run per package (one copy of the tree, one baseline build), under the private
# keyring the tests need; results in artifacts/mutants/PACKAGE/mutants.out. Then
# scripts/mutants-score.py prints the per-module table and fails under 90% or on a survivor not
# listed in tests/mutants/accepted.txt. Slow (minutes per module on 2 cores): not in `make test`.
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

# Files to mutate, by package, in the order the modules list them.
declare -A files=()
packages=()
while read -r name package rest; do
  [[ -z $name || $name == \#* ]] && continue
  selected "$name" || continue
  [[ -v "files[$package]" ]] || packages+=("$package")
  files[$package]+=" $rest"
done <"$list"
((${#packages[@]})) || { echo "mutants: no module named ${wanted[*]} in $list" >&2; exit 2; }

for package in "${packages[@]}"; do
  args=()
  for f in ${files[$package]}; do args+=(--file "$f"); done
  out=artifacts/mutants/$package
  mkdir -p "$out"
  echo "mutants: $package:${files[$package]}"
  # Exit 2 means survivors, which the score reports; anything else is a failed run.
  scripts/with-keyring.sh cargo mutants --package "$package" "${args[@]}" --output "$out" \
    --no-shuffle --timeout-multiplier 3 || [[ $? == 2 ]]
done
exec python3 scripts/mutants-score.py "$list" tests/mutants/accepted.txt artifacts/mutants "${wanted[@]}"
