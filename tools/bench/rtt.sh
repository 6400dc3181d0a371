#!/bin/sh
# tools/bench/rtt.sh - fabric round trips: 200 pings from gmmd to each node,
# and node 1 to node 2 with empty and 4 KiB payloads; prints min and median.
# Targets (issue 3): node-to-node median under 200 us, 4 KiB under 400 us.
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-200}

bench_up
summary() {
	# "min/median/max = a/b/c us" -> "min a us, median b us"
	sed -n 's|^min/median/max = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\) us|min \1 us, median \2 us, max \3 us|p'
}
for n in 1 2 3; do
	name=$(tess status --json | jq -r --argjson id "$n" '.nodes[] | select(.id == $id) | .name')
	echo "rtt gmmd -> $n ($name), 56 B: $(tess ping "$n" -c "$COUNT" | summary)"
done
echo "rtt gmmd -> 2, 4096 B: $(tess ping 2 -c "$COUNT" -s 4096 | summary)"
echo "rtt node 1 -> node 2, 0 B: $(tess ping 2 --from 1 -c "$COUNT" -s 0 | summary)"
echo "rtt node 1 -> node 2, 4096 B: $(tess ping 2 --from 1 -c "$COUNT" -s 4096 | summary)"
