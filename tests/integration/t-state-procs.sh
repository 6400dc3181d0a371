# t-state-procs: gmmd's tables tell the truth about what runs: every process
# of a vNode (fork, exec, exit and kill, with its status, command, parent,
# address space and memory node), the regions of a live address space with
# the memory node that owns them (gone when the program exits), and the use
# of the memory node's pool while a program fills memory.
. "$(dirname "$0")/lib.sh"

RANDWRITE=$ROOT/build/workloads/randwrite
[ -x "$RANDWRITE" ] || fail "$RANDWRITE is missing (run make)"

out=$(tess up) || fail "tess up: $out"
ok "cluster up"

run() {
	timeout -k 5 90 "$TESS_BIN" --state "$STATE" run "$@"
}
# q SQL: the rows of a query, without the header line.
q() {
	tess sql "$1" | tail -n +2
}
# q_is SQL WANT: the query's one value is WANT.
q_is() {
	[ "$(q "$1")" = "$2" ]
}

mnode=$(q "SELECT id FROM nodes WHERE role = 'memory'")
pnode=$(q "SELECT id FROM nodes WHERE role = 'process'")

# ---- processes: fork, exec, exit -------------------------------------------------------
expect_rc 5 run -- /bin/busybox sh -c 'sleep 1 & sleep 1 & wait; echo hi | cat >/dev/null; exit 5'
vn=$(q "SELECT id FROM vnodes WHERE argv LIKE '%exit 5%'")
[ -n "$vn" ] || fail "no vNode row for the shell"
# Everything ended, each process with its status (the node sends the rest before VN_EXIT).
wait_until 10 q_is "SELECT COUNT(*) FROM processes WHERE vnode = $vn AND state <> 'exited'" 0 ||
	fail "processes of vNode $vn still live: $(q "SELECT * FROM processes WHERE vnode = $vn")"
rows=$(q "SELECT pid, ppid, comm, cmdline, wait_status FROM processes WHERE vnode = $vn ORDER BY pid")
n=$(printf '%s\n' "$rows" | wc -l)
[ "$n" -ge 4 ] || fail "only $n process rows for vNode $vn (sh, 2 x sleep, cat): $rows"
init=$(q "SELECT pid FROM processes WHERE vnode = $vn AND ppid = 0")
[ -n "$init" ] || fail "no first process (ppid 0) in: $rows"
q_is "SELECT comm || ' ' || wait_status FROM processes WHERE vnode = $vn AND pid = $init" "busybox 1280" ||
	fail "first process is not busybox with wait status 1280 (exit 5): $rows"
# argv joined by spaces, cut to 63 bytes.
q_is "SELECT cmdline FROM processes WHERE vnode = $vn AND pid = $init" \
	"/bin/busybox sh -c sleep 1 & sleep 1 & wait; echo hi | cat >/de" ||
	fail "first process's cmdline: $(q "SELECT cmdline FROM processes WHERE vnode = $vn AND pid = $init")"
# (comm is the exec'd file's name: sleep or busybox, as the process node resolves the applet's link.)
q_is "SELECT COUNT(*) FROM processes WHERE vnode = $vn AND ppid = $init AND cmdline = 'sleep 1'
	AND comm IN ('sleep', 'busybox') AND wait_status = 0" 2 ||
	fail "not two sleep 1 children of pid $init exiting 0: $rows"
q_is "SELECT COUNT(*) FROM processes WHERE vnode = $vn AND ppid = $init AND cmdline = 'cat'
	AND wait_status = 0" 1 || fail "no cat child exiting 0: $rows"
# The pipeline's other half is a forked shell: its parent's command line.
[ "$(q "SELECT COUNT(*) FROM processes WHERE vnode = $vn AND ppid = $init
	AND cmdline LIKE '/bin/busybox sh -c %'")" -ge 1 ] || fail "no forked subshell of the pipeline: $rows"
q_is "SELECT COUNT(*) FROM processes WHERE vnode = $vn AND (as_id IS NULL OR mnode <> $mnode
	OR exited_at IS NULL)" 0 || fail "rows without address space, memory node $mnode or end time: \
$(q "SELECT pid, as_id, mnode, exited_at FROM processes WHERE vnode = $vn")"
q_is "SELECT COUNT(DISTINCT as_id) FROM processes WHERE vnode = $vn" "$n" ||
	fail "processes share address space ids: $(q "SELECT pid, as_id FROM processes WHERE vnode = $vn")"
[ "$(q "SELECT COUNT(*) FROM events WHERE kind = 'procs' AND node_id = $pnode
	AND detail LIKE '%\"vnode\":$vn,%'")" -ge 1 ] || fail "no 'procs' event of vNode $vn"
ok "vNode $vn: $n processes, sh exits 5 (1280), children 'sleep 1' twice, 'cat' and a subshell exit 0, each its own space on m$mnode"

# A child killed by a signal: its wait status is the signal.
expect_rc 0 run -- /bin/busybox sh -c 'sleep 30 & kill -9 $!; wait; exit 0'
vk=$(q "SELECT id FROM vnodes WHERE argv LIKE '%kill -9%'")
wait_until 10 q_is "SELECT wait_status FROM processes WHERE vnode = $vk AND ppid <> 0" 9 ||
	fail "killed child's row: $(q "SELECT * FROM processes WHERE vnode = $vk")"
ok "vNode $vk: the child killed by SIGKILL is exited with wait status 9"

# ---- regions of a live address space -------------------------------------------------------
env --default-signal=INT "$TESS_BIN" --state "$STATE" run -- /bin/busybox sleep 6 >/dev/null 2>&1 &
bg=$!
wait_until 30 q_is "SELECT COUNT(*) FROM vnodes WHERE state = 'running' AND argv LIKE '%\"sleep\",\"6\"%'" 1 ||
	fail "sleep 6 never ran"
vs=$(q "SELECT id FROM vnodes WHERE state = 'running' AND argv LIKE '%\"sleep\",\"6\"%'")
live="SELECT COUNT(*) FROM regions r JOIN processes p ON p.vnode = r.vnode AND p.as_id = r.as_id
	WHERE r.vnode = $vs AND p.state = 'running'"
wait_until 10 sh -c "[ \"\$('$TESS_BIN' --state '$STATE' sql \"$live\" | tail -n 1)\" -ge 3 ]" ||
	fail "no regions of sleep's running address space: $(q "SELECT * FROM regions WHERE vnode = $vs")"
q_is "SELECT COUNT(*) FROM regions WHERE vnode = $vs AND mnode <> $mnode" 0 ||
	fail "regions not on memory node $mnode: $(q "SELECT * FROM regions WHERE vnode = $vs")"
[ "$(q "SELECT COUNT(*) FROM regions WHERE vnode = $vs AND kind = 'file' AND file_ino > 0")" -ge 1 ] ||
	fail "no file-backed region (busybox's image): $(q "SELECT * FROM regions WHERE vnode = $vs")"
[ "$(q "SELECT COUNT(*) FROM regions WHERE vnode = $vs AND kind = 'anon' AND prot = 3
	AND file_ino IS NULL")" -ge 1 ] || fail "no anonymous read-write region (the stack)"
nr=$(q "SELECT COUNT(*) FROM regions WHERE vnode = $vs")
ok "sleep 6 (vNode $vs): $nr regions on m$mnode, file-backed and anonymous, joined to its running process"
wait $bg
wait_until 10 q_is "SELECT COUNT(*) FROM regions WHERE vnode = $vs" 0 ||
	fail "regions of vNode $vs stay after its exit: $(q "SELECT * FROM regions WHERE vnode = $vs")"
[ "$(q "SELECT COUNT(*) FROM events WHERE kind = 'space-gone' AND node_id = $mnode
	AND detail LIKE '%\"vnode\":$vs,%'")" -ge 1 ] || fail "no space-gone event"
ok "its regions are gone after the exit (event space-gone)"

# ---- the pool's use ------------------------------------------------------------------------
tess fs put "$RANDWRITE" /bin/randwrite >/dev/null || fail "tess fs put randwrite"
q_is "SELECT SUM(used_bytes) FROM pools WHERE node = $mnode" 0 ||
	fail "pools of m$mnode in use before randwrite: $(q "SELECT * FROM pools")"
# Its own memory and the pool window it shares with p1 (docs/pool.md) are two pools.
q_is "SELECT COUNT(*) FROM pools WHERE node = $mnode AND kind = 'cxl' AND capacity_bytes > 0 AND latency_class < 250000" 1 ||
	fail "no cxl pool row for m$mnode: $(q "SELECT * FROM pools")"
ok "m$mnode has a dram and a cxl pool: $(q "SELECT kind, capacity_bytes, latency_class FROM pools WHERE node = $mnode ORDER BY kind" | tr '\n' ';')"
# 48 MiB through a 16 MiB ExCache: evicted pages go to the memory node, and stay
# there 4 s after the check (through the pool window the run itself takes about 1 s).
run --excache 16M -- /bin/randwrite 48 1 4 >"$STATE/randwrite.out" 2>&1 &
bg=$!
used() {
	[ "$(q "SELECT used_bytes FROM pools WHERE node = $mnode AND kind = 'cxl'")" -ge $((8 << 20)) ]
}
wait_until 90 used || fail "pool of m$mnode never showed 8 MiB used: $(q "SELECT * FROM pools")"
pool=$(q "SELECT used_bytes, capacity_bytes, spaces, reported_at FROM pools WHERE node = $mnode AND kind = 'cxl'")
q_is "SELECT capacity_bytes > used_bytes AND reported_at IS NOT NULL FROM pools WHERE node = $mnode AND kind = 'cxl'" 1 ||
	fail "pool row: $pool"
ok "while randwrite runs: pool of m$mnode used/capacity/spaces/reported_at = $pool"
wait $bg || fail "randwrite failed: $(cat "$STATE/randwrite.out")"
wait_until 10 q_is "SELECT SUM(used_bytes) FROM pools WHERE node = $mnode" 0 ||
	fail "pool of m$mnode still in use after randwrite: $(q "SELECT * FROM pools")"
ok "after randwrite: pool of m$mnode back to 0 bytes used"
