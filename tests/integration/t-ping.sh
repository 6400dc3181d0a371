# t-ping: fabric round trips from gmmd to every node, and node to node with a
# page-sized payload.
. "$(dirname "$0")/lib.sh"

tess up >/dev/null || fail "tess up"
for n in 1 2 3; do
	ping_ok "$n" -c 5
done
ping_ok m1 -c 2
ping_ok 2 --from 1 -c 5 -s 4096
ping_ok 3 --from 2 -c 5 -s 0

# Each reply line shows one RTT.
[ "$(tess ping 1 -c 3 | grep -c '^rtt ')" -eq 3 ] || fail "ping -c 3 did not print 3 RTTs"
ok "ping -c 3 prints 3 RTT lines"
