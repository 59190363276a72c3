#!/usr/bin/env bash
# The project's test command (README): unit tests under Bun and Deno, integration tests
# (tests/, real peers on loopback) under Bun, then one closing line "N passed, N failed".
# Usage: scripts/test.sh [all|unit|integration] [path-filter]
#
# Honesty: every runner's exit status is recorded beside the JUnit file it must write
# ($out/runners.tsv: name, exit status, expected file). scripts/junit_summary.mjs counts a
# runner that exited non-zero without a failed case, or left no file, as a failure named in the
# closing lines, so a runner that dies can never end the run green (tests/meta/test_sh_test.ts).
set -u
cd "$(dirname "$0")/.."
mode=${1:-all}
filter=${2:-}
out=${EDGEPROBE_TEST_OUT:-.test-out}
rm -rf "$out" && mkdir -p "$out"
export PATH="$PWD/node_modules/.bin:$PATH"
: > "$out/runners.tsv"

unit_files=$(find . -name '*_test.ts' -not -path './node_modules/*' -not -path './tests/*' -not -path './.cache/*' -not -path './dist/*' | sort | grep -- "$filter")
integ_files=$(find ./tests -name '*_test.ts' 2>/dev/null | sort | grep -- "$filter")

# record NAME STATUS XML: one line per runner for the summary.
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$out/runners.tsv"; }

if [ "$mode" = all ] || [ "$mode" = unit ]; then
  if [ -n "$unit_files" ]; then
    echo "== unit tests under bun"
    bun test --timeout 30000 --reporter=junit --reporter-outfile="$out/bun-unit.xml" $unit_files 2>&1 | tee "$out/bun-unit.log" | grep -Ev '^\(pass\)'
    record bun-unit "${PIPESTATUS[0]}" "$out/bun-unit.xml"
    echo "== unit tests under deno"
    deno test -A --no-check --reporter=junit --junit-path="$out/deno-unit.xml" $unit_files > "$out/deno-unit.log" 2>&1
    record deno-unit "$?" "$out/deno-unit.xml"
    # With the JUnit reporter deno prints the XML; the per-runtime counts and every failed test's
    # name come from scripts/junit_summary.mjs below (full output in $out/deno-unit.log).
  fi
fi
if [ "$mode" = all ] || [ "$mode" = integration ]; then
  if [ -n "$integ_files" ]; then
    echo "== integration tests (real peers on loopback) under bun"
    bun test --timeout 180000 --reporter=junit --reporter-outfile="$out/bun-integration.xml" $integ_files 2>&1 | tee "$out/bun-integration.log" | grep -Ev '^\(pass\)'
    record bun-integration "${PIPESTATUS[0]}" "$out/bun-integration.xml"
  fi
fi
node scripts/junit_summary.mjs --runners "$out/runners.tsv"
