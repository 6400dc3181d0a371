#!/bin/sh
# tools/bench/boot.sh - cluster boot time: `tess up` of 1 process, 1 memory and
# 1 storage node, 5 times in a fresh state directory, then 3 times reusing one
# (state.db of the previous cluster present); prints each time and the medians.
# Target (issue 3): median under 3 s on a 2-core host under TCG.
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}

# boot_once: tess up, print the "cluster up in X s" figure, tess down.
boot_once() {
	out=$(tess up) || { echo "boot: tess up failed: $out" >&2; exit 1; }
	printf '%s\n' "$out" | sed -n 's/^cluster up in \([0-9.]*\) s.*/\1/p'
	tess down >/dev/null
}

times=""
for i in $(seq 1 "$RUNS"); do
	tess down >/dev/null 2>&1 || true
	rm -rf "$STATE"
	t=$(boot_once) || exit 1
	echo "boot $i (fresh state dir): $t s"
	times="$times $t"
done
echo "boot median of $RUNS, fresh state dir: $(printf '%s\n' $times | median) s (1P-1M-1S, accel $(jq -r .accel "$STATE/cluster.json"))"

times=""
for i in 1 2 3; do
	t=$(boot_once) || exit 1
	echo "boot $i (state dir reused): $t s"
	times="$times $t"
done
echo "boot median of 3, state dir reused: $(printf '%s\n' $times | median) s"
