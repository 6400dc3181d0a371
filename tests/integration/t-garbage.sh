# t-garbage: malformed frames injected on the fabric are counted and dropped;
# every node still answers ping afterwards.
. "$(dirname "$0")/lib.sh"

INJECT=$ROOT/build/fabric-inject
[ -x "$INJECT" ] || fail "build/fabric-inject missing (run make)"
tess up >/dev/null || fail "tess up"

for n in 1 2 3; do
	before=$(node_field "$n" .stats.rx_malformed)
	# 4 rounds of 5 kinds: random bytes, bad check, len > frame, unknown op, truncated.
	"$INJECT" --state "$STATE" --node "$n" --count 4 --seed "$n" || fail "fabric-inject to node $n"
	want=$((before + 20))
	counted() { [ "$(node_field "$n" .stats.rx_malformed)" -ge "$want" ]; }
	# The counters reach gmmd with the next heartbeats.
	wait_until 10 counted ||
		fail "node $n: rx_malformed $(node_field "$n" .stats.rx_malformed), wanted >= $want"
	ok "node $n counted $(($(node_field "$n" .stats.rx_malformed) - before)) malformed frames (20 injected)"
done

for n in 1 2 3; do
	ping_ok "$n" -c 3
done
ping_ok 2 --from 1 -c 3 -s 4096
[ "$(up_count)" -eq 3 ] || fail "not every node is still up"
ok "all nodes up and answering"
