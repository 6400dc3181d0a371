#!/bin/sh
# tools/bench/boot.sh - cluster boot time: `tess up` of 1 process, 1 memory and
# 1 storage node, 5 times; prints each time and the median.
# Target (issue 3): median under 3 s on a 2-core host under TCG.
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}

times=""
for i in $(seq 1 "$RUNS"); do
	tess down >/dev/null 2>&1 || true
	out=$(tess up) || { echo "boot: tess up failed: $out"; exit 1; }
	# "cluster up in 1.84 s: 3 nodes, ..."
	t=$(printf '%s\n' "$out" | sed -n 's/^cluster up in \([0-9.]*\) s.*/\1/p')
	echo "boot $i: $t s"
	times="$times $t"
	tess down >/dev/null
done
echo "boot median of $RUNS: $(printf '%s\n' $times | median) s (1P-1M-1S, accel $(jq -r .accel "$STATE/cluster.json"))"
