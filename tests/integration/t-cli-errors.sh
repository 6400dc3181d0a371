# t-cli-errors: every error is one clear line and a non-zero exit
# (2 for usage errors): no cluster, unknown node, state dir in use,
# writes through sql, bad arguments, missing QEMU.
. "$(dirname "$0")/lib.sh"

# No cluster yet.
expect_err 1 "no cluster is up in $STATE" tess status
expect_err 1 "no cluster is up" tess ping 1
expect_err 1 "no cluster is up" tess sql "SELECT 1"
expect_rc 0 tess down
ok "down without a cluster: $OUT"

# Usage errors: exit 2, before anything starts.
expect_err 2 "pnodes" tess up --pnodes x
expect_err 2 "at least one node" tess up --pnodes 0 --mnodes 0 --snodes 0
expect_err 2 "accel" tess up --accel xen
expect_err 2 "unknown command" tess frobnicate
expect_err 2 "unknown" tess status --bogus
expect_err 2 "which node" tess ping
expect_err 2 "-c" tess ping 1 -c 0
expect_err 2 "-s" tess ping 1 -s 100000
expect_err 2 "give a query" tess sql
expect_err 2 "too long" "$TESS_BIN" --state "/tmp/$(printf '%0100d' 0)" up
expect_err 1 "qemu-system-x86_64 not found" env PATH=/nonexistent "$TESS_BIN" --state "$STATE" up

# Nodes that never join: up says which one and where its console log is.
expect_err 1 "node 1 (p1) will not join: .*fabric.*console log: $STATE/nodes/n1.log" \
	tess up --pnodes 1 --mnodes 0 --snodes 0 --append "fabric=bogus"
tess down >/dev/null || fail "tess down"
expect_err 1 "node 1 (p1) did not join within 2 s; console log: $STATE/nodes/n1.log" \
	tess up --pnodes 1 --mnodes 0 --snodes 0 --timeout 2 --append "gmm=02:00:00:00:00:99"
tess down >/dev/null || fail "tess down"

tess up >/dev/null || fail "tess up"
expect_err 1 "unknown node" tess ping 99
expect_err 1 "unknown node" tess ping q7
expect_err 1 "unknown node" tess logs 42
expect_err 1 "unknown node" tess ping 1 --from 77
expect_err 2 "bad node" tess ping 'p1;x'
expect_err 1 "in use" tess up
expect_err 1 "read-only" tess sql "DELETE FROM nodes"
expect_err 1 "read-only" tess sql "UPDATE nodes SET state='dead'"
expect_err 1 "." tess sql "SELECT nonsense FROM"
[ "$(up_count)" -eq 3 ] || fail "refused commands changed the cluster"
ok "cluster untouched: 3 nodes up"
