# t-dead: kill -9 one node's QEMU; gmmd marks it dead within 10 s and records
# the event; the other nodes stay up.
. "$(dirname "$0")/lib.sh"

tess up >/dev/null || fail "tess up"
pid=$(cat "$STATE/nodes/n2.pid") || fail "no pid file for node 2"
kill -9 "$pid" || fail "kill -9 $pid"
ok "killed node 2 (pid $pid)"
start=$(date +%s)
is_dead() { [ "$(node_field 2 .state)" = dead ]; }
wait_until 10 is_dead || fail "node 2 not dead within 10 s (state: $(node_field 2 .state))"
ok "node 2 dead after about $(($(date +%s) - start)) s"

tess sql "SELECT kind FROM events WHERE node_id=2" | grep -qx dead ||
	fail "events has no 'dead' row for node 2: $(tess sql "SELECT seq, kind FROM events WHERE node_id=2")"
ok "events records node 2 as dead"
[ "$(tess sql "SELECT state FROM nodes WHERE id=2" | sed 1d)" = dead ] || fail "nodes row of 2 is not dead"

[ "$(node_field 1 .state)" = up ] && [ "$(node_field 3 .state)" = up ] || fail "nodes 1 and 3 should stay up"
ping_ok 1 -c 2
ping_ok 3 -c 2
expect_rc 1 tess ping 2 -c 1
ok "ping to the dead node fails: $ERR"
