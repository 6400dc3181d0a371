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
