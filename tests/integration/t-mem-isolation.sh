# t-mem-isolation: a memory node refuses page and region requests for an
# address space from anyone but the node (id and MAC) that created it, keeps
# the owner's data intact through them, counts and logs the refusals, and
# keeps serving. The requests come from build/mem-probe on the fabric.
. "$(dirname "$0")/lib.sh"

PROBE=$ROOT/build/mem-probe
[ -x "$PROBE" ] || fail "build/mem-probe missing (run make)"
tess up --mnodes 2 >/dev/null || fail "tess up"

# Nodes: p1 = 1, m1 = 2, m2 = 3, s1 = 4.
for m in 2 3; do
	out=$("$PROBE" --state "$STATE" --node "$m" --id 4001 --other 4002 2>&1) ||
		fail "mem-probe against node $m: $out"
	printf '%s\n' "$out" | sed 's/^/    /'
	ok "node $m: owner round trip, every forged request refused"
done

# The same identities again: a second space on node 2, and refusals still counted.
"$PROBE" --state "$STATE" --node 2 --id 4003 --other 4001 >/dev/null 2>&1 ||
	fail "second mem-probe run against node 2"
ok "node 2: a second owner and a former owner's node id as the intruder"

# The refusals appear in the memory node's log (rate-limited, with the count).
logged() { tess logs m1 | grep -Eq "memory: refused [a-z-]+ of as 0x[0-9a-f]+ from node 400[23] .*: not the owner"; }
wait_until 10 logged || fail "no refusal line in m1's log: $(tess logs m1 | tail -5)"
ok "m1 logged: $(tess logs m1 | grep 'memory: refused' | tail -1 | sed 's/^\[[^]]*\] //')"

# Summary line within the next period.
summary() { tess logs m1 | grep -q "memory: 0 spaces, 0/[0-9]* pages .* refused 28,"; }
wait_until 12 summary || fail "no summary line with 28 refusals in m1's log: $(tess logs m1 | tail -3)"
ok "m1 summary: $(tess logs m1 | grep 'memory: [0-9]* spaces' | tail -1 | sed 's/^\[[^]]*\] //')"

ping_ok 2 -c 2
ping_ok 3 -c 2
[ "$(up_count)" -eq 4 ] || fail "not every node is still up"
ok "all nodes up"
