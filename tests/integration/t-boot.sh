# t-boot: the default cluster (1 process, 1 memory, 1 storage) boots, joins
# gmmd and shows up in the SQL tables and in `tess status --json`.
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
tess up || fail "tess up"
secs=$(($(date +%s) - start))
[ "$secs" -le 30 ] || fail "tess up took $secs s (acceptance: under 30 s)"
ok "tess up in about $secs s"

out=$(tess sql "SELECT role, state FROM nodes ORDER BY id") || fail "tess sql"
echo "$out"
[ "$(printf '%s\n' "$out" | head -n 1)" = "role | state" ] || fail "sql header is not 'role | state'"
[ "$(printf '%s\n' "$out" | sed 1d)" = "process | up
memory | up
storage | up" ] || fail "nodes table is not process/memory/storage, all up"
ok "nodes table lists process, memory and storage as up"

json=$(tess status --json) || fail "tess status --json"
printf '%s\n' "$json" | jq -e . >/dev/null || fail "status --json is not JSON"
[ "$(printf '%s\n' "$json" | jq '[.nodes[] | select(.state == "up")] | length')" -eq 3 ] ||
	fail "status --json does not list 3 up nodes"
[ "$(printf '%s\n' "$json" | jq -r '[.nodes[] | .name] | join(",")')" = "p1,m1,s1" ] ||
	fail "node names are not p1,m1,s1"
[ "$(printf '%s\n' "$json" | jq -r '[.nodes[] | .mac] | join(",")')" = \
  "52:54:00:fa:00:01,52:54:00:fa:00:02,52:54:00:fa:00:03" ] || fail "MACs are not fab_mac_for_node(id)"
ok "status --json: 3 nodes up, names p1 m1 s1"

tess status || fail "tess status"
[ "$(tess status | grep -c ' up ')" -eq 3 ] || fail "status table does not show 3 up nodes"
tess logs p1 | grep -q . || fail "tess logs p1 is empty"
tess logs gmmd >/dev/null || fail "tess logs gmmd"
ok "status table and logs"

# gdb attaches to a node's stub with the image's symbols (and detaches again).
out=$(printf 'bt\n' | timeout 30 "$TESS_BIN" --state "$STATE" gdb p1 2>&1) || fail "tess gdb p1: $out"
printf '%s\n' "$out" | grep -q 'Remote debugging using' || fail "tess gdb p1 did not connect: $out"
printf '%s\n' "$out" | grep -q 'kmain' || fail "tess gdb p1: no kmain in the backtrace: $out"
ok "tess gdb p1 shows a backtrace through kmain"
all_up() { [ "$(up_count)" -eq 3 ]; }
wait_until 10 all_up || fail "nodes not all up after the gdb session"
