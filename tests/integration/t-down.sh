# t-down: `tess down` stops every QEMU, gmmd and hub of the cluster, keeps
# logs and state.db, and is idempotent.
. "$(dirname "$0")/lib.sh"

tess up >/dev/null || fail "tess up"
[ "$(pgrep -f "qemu-system-x86_64.*$STATE/" | wc -l)" -eq 3 ] || fail "expected 3 QEMU processes"
# The pool window p1 and m1 share (docs/pool.md): named on both command lines.
pools=$(pgrep -af "qemu-system-x86_64.*$STATE/" | grep -o 'mem-path=[^,]*' | sort -u | sed 's/^mem-path=//')
[ "$(printf '%s\n' "$pools" | grep -c .)" -eq 1 ] && [ -f "$pools" ] || fail "expected one pool window file, got '$pools'"
ok "one pool window: $pools"
tess down || fail "tess down"
[ ! -e "$pools" ] || fail "pool window $pools left after tess down"
left=$(pgrep -af "$STATE" | grep -E 'qemu-system-x86_64|gmmd|tess-hub')
[ -z "$left" ] || fail "processes left after tess down: $left"
ok "no qemu, gmmd or tess-hub process mentions $STATE"
[ -z "$(ls "$STATE"/fabric/*.sock "$STATE"/gmmd.sock "$STATE"/nodes/*.gdb 2>/dev/null)" ] ||
	fail "sockets left: $(ls "$STATE"/fabric "$STATE"/nodes)"
[ -s "$STATE/nodes/n1.log" ] && [ -s "$STATE/state.db" ] && [ -f "$STATE/gmmd.log" ] ||
	fail "logs or state.db were not kept"
ok "sockets removed, logs and state.db kept"
expect_rc 0 tess down
ok "second down: $OUT"
expect_err 1 "no cluster is up" tess status
# The logs stay readable after down.
tess logs s1 | grep -q . || fail "tess logs s1 after down"
ok "logs readable after down"
