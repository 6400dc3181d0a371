#!/bin/sh
# tools/bench/excache.sh - the ExCache benchmark (issue 5): miss latency and
# the run time of a memory-bound static program (tools/bench/workloads/
# membound.c, musl-gcc -static) at ExCache sizes of 100%, 50%, 25% and 12.5%
# of its working set, for both ways a miss can reach the memory node: the
# shared pool window (the default: the page is copied out of the window,
# cxl/pool.h) and the fabric alone (tess up --pool off: a request and a
# 4 KiB reply through the hub). Prints figures; never fails on a slow result.
#
#   sh tools/bench/excache.sh [WORKING_SET_MIB] [OPS]     (RUNS=3: runs per size, median)
. "$(dirname "$0")/lib.sh"
WS=${1:-32}
OPS=${2:-20000}
RUNS=${RUNS:-3}
BIN=$ROOT/build/bench/membound

mkdir -p "$ROOT/build/bench"
musl-gcc -static -O2 -o "$BIN" "$ROOT/tools/bench/workloads/membound.c" || { echo "bench: musl-gcc failed"; exit 1; }

# The program's code, stack and heap bookkeeping add a little over WS MiB.
full=$((WS + 4))

# table MODE TESS-UP-ARGS...: one row per ExCache size, then the 25 % run's latency histogram.
table() {
	mode=$1
	shift
	bench_up --mem-mb 384 "$@"
	tess fs put "$BIN" /bin/membound >/dev/null || { echo "bench: fs put failed"; exit 1; }
	echo "membound: $WS MiB working set, $OPS random read-modify-writes, 1 process node, 1 memory node;" \
		"misses through the $mode"
	printf '%-10s %-10s %10s %10s %10s %10s %12s %14s\n' "excache" "of WS" "seconds" "misses" "evictions" \
		"writebacks" "mean fetch" "vs 100%"
	base=""
	hist=""
	for pct in 100 50 25 12.5; do
		if [ "$pct" = 100 ]; then size=$full; else size=$(awk -v w="$WS" -v p="$pct" 'BEGIN { printf "%d", w * p / 100 }'); fi
		# Median of RUNS runs (other work on the machine makes single runs noisy).
		times=""
		for r in $(seq 1 "$RUNS"); do
			out=$(tess run --excache "${size}M" --stats -- /bin/membound "$WS" "$OPS" 2>&1)
			t=$(printf '%s\n' "$out" | sed -n 's/^membound: .* ops, \([0-9.]*\) s, checksum ok$/\1/p')
			[ -n "$t" ] || break
			times="$times $t"
		done
		secs=$(printf '%s\n' $times | median)
		if [ -z "$t" ]; then
			echo "bench: run at ${size}M failed:"; printf '%s\n' "$out" | tail -5
			continue
		fi
		misses=$(printf '%s\n' "$out" | sed -n 's/^excache: \([0-9]*\) misses, .*/\1/p')
		evict=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) evictions, .*/\1/p')
		wb=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) writebacks$/\1/p')
		mean=$(printf '%s\n' "$out" | sed -n 's/.*mean fetch latency \([0-9.]*\) us.*/\1/p')
		[ -n "$base" ] || base=$secs
		ratio=$(awk -v a="$secs" -v b="$base" 'BEGIN { printf "%.1fx", a / b }')
		printf '%-10s %-10s %10s %10s %10s %10s %9s us %14s\n' "${size}M" "$pct%" "$secs" "${misses:-0}" \
			"${evict:-0}" "${wb:-0}" "${mean:--}" "$ratio"
		if [ "$pct" = 25 ]; then
			hist=$(printf '%s\n' "$out" | grep '^  fetch latency \[')
			pool=$(printf '%s\n' "$out" | grep '^excache: pool window')
		fi
	done
	if [ -n "$hist" ]; then
		echo "at 25%: ${pool#excache: }"
		echo "fetch latency histogram at 25% (bucket bounds in us):"
		printf '%s\n' "$hist"
		printf '%s\n' "$hist" | awk '
			{ gsub(/[\[\),]/, " "); lo[NR] = $3; hi[NR] = $4; n[NR] = $6; tot += $6 }
			END { c = 0; for (i = 1; i <= NR; i++) { c += n[i];
				if (!m && c >= tot * 0.5) { m = 1; printf "miss latency median in [%s, %s) us", lo[i], hi[i] }
				if (!q && c >= tot * 0.99) { q = 1; printf ", p99 in [%s, %s) us\n", lo[i], hi[i] } } }'
	fi
	echo
}

table "pool window (cxl)"
table "fabric (--pool off)" --pool off
tess down >/dev/null 2>&1 || true
