#!/bin/sh
# tools/bench/idle.sh - CPU use of an idle 3-node cluster: utime + stime of
# the QEMU processes (from /proc/PID/stat) over 20 s, as % of one core.
# Target (issue 3): under 5 % of one host core (idle nodes halt).
. "$(dirname "$0")/lib.sh"
SECS=${SECS:-20}

bench_up
sleep 2                                 # let boot-time work settle
hz=$(getconf CLK_TCK)
pids=$(cat "$STATE"/nodes/n*.pid)
gpid=$(cat "$STATE/gmmd.pid" 2>/dev/null || echo 0)
hpid=$(cat "$STATE/hub.pid" 2>/dev/null || echo 0)

# ticks PID...: sum of utime + stime (fields 14 and 15 of /proc/PID/stat).
ticks() {
	for p in "$@"; do
		# The command name may contain spaces: cut after the last ')'.
		sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}
q0=$(ticks $pids); g0=$(ticks "$gpid"); h0=$(ticks "$hpid")
sleep "$SECS"
q1=$(ticks $pids); g1=$(ticks "$gpid"); h1=$(ticks "$hpid")
pct() { awk -v d="$1" -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.2f", d * 100 / hz / s }'; }
n=$(echo $pids | wc -w)
echo "idle CPU over $SECS s: $n QEMU nodes $(pct $((q1 - q0)))% of one core; gmmd $(pct $((g1 - g0)))%, hub $(pct $((h1 - h0)))%"
