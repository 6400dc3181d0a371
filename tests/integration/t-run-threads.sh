# t-run-threads: POSIX threads in a vNode (tests/workloads/threads.c, static,
# musl; some modes again with glibc): workers sharing a mutex, a
# condition-variable queue, a barrier and atomics are joined and print a
# deterministic checksum (the same as on the host); a thread's exit(7) ends
# the process with 7; a thread's NULL read kills the whole process (139);
# pthread_kill runs a handler in the target thread, then its SIGTERM ends the
# process (143); a thread's execve replaces the whole process, its
# posix_spawn makes a child, two threads wait for their children at once;
# main's pthread_exit leaves the last thread to end it (0); threads count
# against the vNode's 64-task limit (EAGAIN beyond); four threads write and
# read back 16 MiB through a 4 MiB ExCache (concurrent misses of one address
# space).
. "$(dirname "$0")/lib.sh"

THREADS=$ROOT/build/workloads/threads
[ -x "$THREADS" ] && [ -x "$THREADS-glibc" ] || fail "$THREADS or $THREADS-glibc is missing (run make)"
RUN_TIMEOUT=120
run() {
	timeout -k 5 "$RUN_TIMEOUT" "$TESS_BIN" --state "$STATE" run "$@"
}

out=$(tess up) || fail "tess up: $out"
ok "cluster up"
tess fs put "$THREADS" /tmp/threads >/dev/null || fail "tess fs put threads"

# The oracle for the deterministic mode: the same binary on the host.
host_out=$("$THREADS" sum) || fail "threads sum on the host exited $?"
expect_rc 0 run -- /tmp/threads sum
[ "$OUT" = "$host_out" ] || fail "threads sum printed
$OUT
wanted (as on the host)
$host_out
(stderr: $ERR)"
[ -z "$ERR" ] || fail "threads sum: unexpected stderr '$ERR'"
ok "4 workers joined: $(printf '%s\n' "$OUT" | grep checksum), as on the host"
printf '%s\n' "$OUT" | sed 's/^/    /'

expect_rc 7 run -- /tmp/threads exit
[ "$OUT" = "thread calls exit(7)" ] || fail "threads exit printed '$OUT' (stderr: $ERR)"
ok "a thread's exit(7) ends the process: exit 7"

expect_rc 139 run -- /tmp/threads segv
[ "$OUT" = "a thread reads address 0" ] || fail "threads segv printed '$OUT' (stderr: $ERR)"
ok "a thread's NULL read kills the whole process: exit 139"

expect_rc 143 run -- /tmp/threads kill
[ "$OUT" = "SIGUSR1 handled in the target thread: yes" ] || fail "threads kill printed '$OUT' (stderr: $ERR)"
ok "pthread_kill: the handler ran in the target thread, then SIGTERM ended the process: exit 143"

expect_rc 0 run -- /tmp/threads exec
[ "$OUT" = "exec from a thread" ] || fail "threads exec printed '$OUT' (stderr: $ERR)"
ok "execve from a thread while others spin and sleep: '$OUT', exit 0"

expect_rc 0 run -- /tmp/threads spawn
[ "$OUT" = "spawned from a thread
child exited 0" ] || fail "threads spawn printed '$OUT' (stderr: $ERR)"
ok "posix_spawn from a thread (clone with CLONE_VM | CLONE_VFORK): the child ran, exit 0"

expect_rc 0 run -- /tmp/threads waits
[ "$OUT" = "both waits returned, children exited 0 and 0" ] || fail "threads waits printed '$OUT' (stderr: $ERR)"
ok "two threads in waitpid at once: $OUT"

expect_rc 0 run -- /tmp/threads mainexit
[ "$OUT" = "main thread leaves
last thread returns" ] || fail "threads mainexit printed '$OUT' (stderr: $ERR)"
ok "main's pthread_exit: the last thread ends the process, exit 0"

expect_rc 0 run -- /tmp/threads limit
[ "$OUT" = "threads made before pthread_create failed: 63 (Resource temporarily unavailable)" ] ||
	fail "threads limit printed '$OUT' (stderr: $ERR)"
ok "main + 63 threads = the vNode's 64 tasks, then EAGAIN"

# glibc's pthreads (clone3 answered ENOSYS, then clone): the same answers.
tess fs put "$THREADS-glibc" /tmp/threads-glibc >/dev/null || fail "tess fs put threads-glibc"
host_out=$("$THREADS-glibc" sum) || fail "threads-glibc sum on the host exited $?"
expect_rc 0 run -- /tmp/threads-glibc sum
[ "$OUT" = "$host_out" ] || fail "threads-glibc sum printed '$OUT', wanted '$host_out' (stderr: $ERR)"
expect_rc 143 run -- /tmp/threads-glibc kill
[ "$OUT" = "SIGUSR1 handled in the target thread: yes" ] || fail "threads-glibc kill printed '$OUT' (stderr: $ERR)"
expect_rc 0 run -- /tmp/threads-glibc exec
[ "$OUT" = "exec from a thread" ] || fail "threads-glibc exec printed '$OUT' (stderr: $ERR)"
ok "glibc static: sum as on the host, pthread_kill (143), execve from a thread"

# Many misses of one address space at once: 16 MiB through a 4 MiB ExCache.
expect_rc 0 run --excache 4M -- /tmp/threads pages
[ "$OUT" = "16 MiB by 4 threads, words wrong: 0" ] || fail "threads pages printed '$OUT' (stderr: $ERR)"
ok "4 threads through a 4 MiB ExCache: $OUT"

# The node's log: the fault that killed segv, and no disagreement or lost fault.
tess logs p1 | grep -q "(threads): signal 11 at rip [0-9a-f]* (exception 14, address 0)" ||
	fail "p1's log does not show the thread's fault at address 0"
bad=$(tess logs p1 | grep -E "disagrees|could not be served|failed late|panic")
[ -z "$bad" ] || fail "p1's log: $bad"
ok "p1's log: $(tess logs p1 | grep '(threads): signal 11' | tail -1 | sed 's/^\[[ 0-9.]*\] //')"

# Nothing left behind, and the node goes on.
wait_until 20 sh -c "[ \"\$('$TESS_BIN' --state '$STATE' ps --json | jq '.vnodes | length')\" = 0 ]" ||
	fail "vNodes left after the runs: $(tess ps)"
expect_rc 0 run -- /bin/busybox echo still here
[ "$OUT" = "still here" ] || fail "after the thread runs: echo printed '$OUT'"
[ "$(node_field 1 .state)" = up ] || fail "p1 is not up after the thread runs"
ok "no vNode left, p1 up, the next program runs"
