#!/bin/sh
# tools/bench/run-all.sh - `make bench`: every benchmark, one cluster at a time.
# Prints figures; never fails on a slow result.
set -u
here=$(dirname "$0")
echo "== boot =="
sh "$here/boot.sh"
echo "== rtt =="
sh "$here/rtt.sh"
echo "== idle =="
sh "$here/idle.sh"
echo "== fs =="
sh "$here/fs.sh"
echo "== excache =="
sh "$here/excache.sh"
[ -n "${BENCH_SKIP_LINUX:-}" ] || { echo "== linux swap baseline (optional, slow: boots Debian Linux 6.1 under TCG, installs linux-image-amd64 if missing; BENCH_SKIP_LINUX=1 skips) =="; sh "$here/linux-swap.sh"; }
