# t-multi: a 2-process, 2-memory, 1-storage cluster boots; every node answers.
. "$(dirname "$0")/lib.sh"

tess up --pnodes 2 --mnodes 2 --snodes 1 || fail "tess up --pnodes 2 --mnodes 2 --snodes 1"
[ "$(up_count)" -eq 5 ] || fail "$(up_count) nodes up, wanted 5"
out=$(tess sql "SELECT id, name, role FROM nodes ORDER BY id" | sed 1d)
[ "$out" = "1 | p1 | process
2 | p2 | process
3 | m1 | memory
4 | m2 | memory
5 | s1 | storage" ] || fail "unexpected nodes table: $out"
ok "5 nodes up with ids 1-5 and names p1 p2 m1 m2 s1"
for n in p1 p2 m1 m2 s1; do
	ping_ok "$n" -c 3
done
ping_ok m2 --from p2 -c 3 -s 4096

# Pool windows (docs/pool.md): one per memory/process pair, and each node maps
# only its own: p1 never sees the window m1 and m2 share with p2.
for id in 1 2 3 4 5; do
	qp=$(cat "$STATE/nodes/n$id.pid") || fail "no pid file for node $id"
	paths=$(tr '\0' '\n' <"/proc/$qp/cmdline" | grep -o 'mem-path=[^,]*' | sed 's/.*-\(m[0-9]*-p[0-9]*\)\.pool$/\1/' | sort | tr '\n' ' ')
	case $id in
	1) want="m3-p1 m4-p1 " ;;
	2) want="m3-p2 m4-p2 " ;;
	3) want="m3-p1 m3-p2 " ;;
	4) want="m4-p1 m4-p2 " ;;
	5) want="" ;;
	esac
	[ "$paths" = "$want" ] || fail "node $id maps pool windows '$paths', wanted '$want'"
done
ok "pool windows: each process node maps one per memory node, and only its own"
for id in 1 2 3 4; do
	grep -q "cxl: pool window" "$STATE/nodes/n$id.log" || fail "node $id did not find its pool windows: $(grep cxl "$STATE/nodes/n$id.log")"
done
ok "every process and memory node found its windows"
