#!/bin/bash
# Usage: bench-compare.sh BASE OUTDIR [COUNT] [BENCH]
#
# Runs shopd's benchmarks of commit BASE and of the work tree in turns
# (BASE, work tree, BASE, ...) COUNT times, so that both meet the same load
# on a shared machine, and writes OUTDIR/before.txt, OUTDIR/after.txt and
# OUTDIR/load.txt (the load average at each run's start). BASE is built with
# the work tree's benchmark files, so both are measured by the same harness.
# Compare with: benchstat OUTDIR/before.txt OUTDIR/after.txt
# PKG names another package than shopd's (PKG=sync for the desk's), and
# BENCHTIME a -benchtime such as 1x for benchmarks that run for minutes,
# TESTFILES which test files of the work tree BASE is built with (a glob in
# PKG; by default all of them, which fails when BASE lacks what a new test
# tests).
set -euo pipefail
base=$1 out=$2 count=${3:-5} bench=${4:-Stores}
pkg=${PKG:-cmd/shopd/shop}
benchtime=${BENCHTIME:-1s}
testfiles=${TESTFILES:-*_test.go}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$root" archive "$base" | tar -x -C "$tmp"
cp "$root"/$pkg/$testfiles "$tmp/$pkg/"
(cd "$tmp" && go test -c -o "$tmp/before.test" ./$pkg)
(cd "$root" && go test -c -o "$tmp/after.test" ./$pkg)
mkdir -p "$out"
: >"$out/before.txt"
: >"$out/after.txt"
: >"$out/load.txt"
for i in $(seq "$count"); do
	for v in before after; do
		echo "$(date -u +%FT%TZ) run $i $v load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
		(cd "$root/$pkg" && "$tmp/$v.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.benchtime "$benchtime" -test.count 1 -test.timeout 30m) >>"$out/$v.txt"
	done
done
