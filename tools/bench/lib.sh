# tools/bench/lib.sh - shared by the benchmark scripts: a private state
# directory, `tess down` on exit, and a median helper. Benchmarks print
# figures; they never fail on a slow result.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TESS_BIN=$ROOT/build/tess
# Private to this run: other people's clusters on the machine are left alone.
STATE=${BENCH_STATE:-/tmp/tess-bench.$$}

tess() {
	"$TESS_BIN" --state "$STATE" "$@"
}
trap '"$TESS_BIN" --state "$STATE" down >/dev/null 2>&1 || true; [ -n "${BENCH_STATE:-}" ] || rm -rf "$STATE"' EXIT
trap 'exit 130' INT TERM

# median: numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_up() {
	tess down >/dev/null 2>&1 || true
	tess up "$@" >/dev/null || { echo "bench: tess up failed (see $STATE)"; exit 1; }
}
