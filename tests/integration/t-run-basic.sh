# t-run-basic: tess run on a booted cluster: output and exit status of a
# program in a vNode, a failing program, a missing one, a non-ELF one, #!
# scripts (their interpreter missing, not a program, nested too deep), stdin
# relayed to the program, binary-safe output, ^C, the vnodes table, tess ps.
. "$(dirname "$0")/lib.sh"

out=$(tess up) || fail "tess up: $out"
ok "cluster up"

RUN_TIMEOUT=60
run() {
	timeout -k 5 "$RUN_TIMEOUT" "$TESS_BIN" --state "$STATE" run "$@"
}

expect_rc 0 run -- /bin/busybox echo hello
[ "$OUT" = hello ] || fail "echo hello printed '$OUT' (stderr: $ERR)"
ok "tess run -- /bin/busybox echo hello: hello, exit 0"

expect_rc 3 run -- /bin/busybox sh -c 'exit 3'
ok "sh -c 'exit 3' exits 3"

expect_rc 0 run -- /bin/busybox sh -c 'echo out; echo err >&2'
[ "$OUT" = out ] && [ "$ERR" = err ] || fail "stdout/stderr mixed up: out '$OUT', err '$ERR'"
ok "stdout and stderr kept apart"

expect_err 127 "^tess: run /nope: No such file or directory" run -- /nope
# Executable but not a program: Exec format error, with the node's reason.
printf 'this is not an ELF file\n' >"$STATE/notelf"
chmod 755 "$STATE/notelf"
tess fs put "$STATE/notelf" /tmp/notelf >/dev/null || fail "tess fs put notelf"
expect_err 126 "^tess: run /tmp/notelf: Exec format error" run -- /tmp/notelf
# Not executable at all: Permission denied, also 126.
expect_err 126 "^tess: run /etc/passwd: Permission denied" run -- /etc/passwd

# #! scripts: tess run starts the interpreter with the script's name and arguments.
S=$STATE/scripts
mkdir -p "$S" || fail "cannot make $S"
printf '#!/bin/busybox sh\necho "script: $0 [$1] [$2]"\nexit 5\n' >"$S/hello.sh"
printf '#!/nope/sh\necho unreachable\n' >"$S/miss.sh"
printf '#!/tmp/notelf\n' >"$S/textinterp.sh"
printf '#!/bin/busybox sh\n' >"$S/s0"
for i in 1 2 3 4 5; do
	printf '#!/tmp/s/s%d\n' $((i - 1)) >"$S/s$i"
done
chmod 755 "$S"/*
tess fs mkdir -p /tmp/s >/dev/null || fail "tess fs mkdir /tmp/s"
for f in "$S"/*; do
	tess fs put "$f" "/tmp/s/$(basename "$f")" >/dev/null || fail "tess fs put $f"
done
expect_rc 5 run -- /tmp/s/hello.sh a 'b c'
[ "$OUT" = "script: /tmp/s/hello.sh [a] [b c]" ] || fail "hello.sh printed '$OUT' (stderr: $ERR)"
ok "tess run -- /tmp/s/hello.sh a 'b c': $OUT, exit 5"
expect_err 127 "^tess: run /tmp/s/miss.sh: No such file or directory: bad interpreter /nope/sh$" run -- /tmp/s/miss.sh
expect_err 126 "^tess: run /tmp/s/textinterp.sh: Exec format error: interpreter /tmp/notelf: not an ELF file" \
	run -- /tmp/s/textinterp.sh
# Five scripts deep (s4 -> s3 -> ... -> s0 -> busybox) run, as on Linux; six are ELOOP.
expect_rc 0 run -- /tmp/s/s4
ok "a chain of 5 scripts runs"
expect_err 126 "^tess: run /tmp/s/s5: Too many levels of symbolic links: more than 5 levels of #! interpreters" \
	run -- /tmp/s/s5
# The same from a shell in the vNode: ash's messages and statuses.
expect_rc 127 run -- /bin/busybox sh -c '/tmp/s/miss.sh'
[ "$ERR" = "sh: /tmp/s/miss.sh: not found" ] || fail "sh -c miss.sh: stderr '$ERR'"
ok "sh -c /tmp/s/miss.sh: $ERR, exit 127"

# stdin reaches the program, and its end is seen.
got=$(printf 'one\ntwo\nthree\n' | run -- /bin/busybox wc -l) || fail "wc -l: exit $?"
[ "$(echo $got)" = 3 ] || fail "wc -l of 3 lines printed '$got'"
ok "stdin relayed: wc -l counts 3 lines"

# Binary-safe, larger than one frame, through stdin and stdout.
head -c 300000 /dev/urandom >"$STATE/rand.bin"
run -- /bin/busybox cat <"$STATE/rand.bin" >"$STATE/rand.out" || fail "cat of 300 kB: exit $?"
cmp -s "$STATE/rand.bin" "$STATE/rand.out" || fail "300 kB of random bytes came back different"
ok "300 kB of random bytes through cat unchanged"

# A signal: exit 128 + 2 after ^C (SIGINT from tess), and 128 + 9 when killed.
# (env --default-signal: a background job of a non-interactive sh ignores SIGINT.)
env --default-signal=INT "$TESS_BIN" --state "$STATE" run -- /bin/busybox sleep 30 &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "sleep after SIGINT exited $rc, wanted 130"
ok "^C: the program dies of SIGINT, tess exits 130"
expect_rc 137 run -- /bin/busybox sh -c 'kill -9 $$'
ok "a program killed by SIGKILL: exit 137"

# The table knows them all.
n=$(tess sql "SELECT COUNT(*) FROM vnodes WHERE state = 'exited'" | tail -1)
[ "$n" -ge 6 ] || fail "only $n exited vNodes in the table"
w=$(tess sql "SELECT wait_status FROM vnodes WHERE argv LIKE '%exit 3%'" | tail -1)
[ "$w" = 768 ] || fail "wait_status of sh -c 'exit 3' is '$w', wanted 768"
f=$(tess sql "SELECT COUNT(*) FROM vnodes WHERE state = 'failed'" | tail -1)
[ "$f" -ge 3 ] || fail "the three programs that could not start are not failed vNodes ($f)"
ok "vnodes table: $n exited (sh -c 'exit 3' with wait status 768), $f failed"

# ps sees a running vNode.
env --default-signal=INT "$TESS_BIN" --state "$STATE" run -- /bin/busybox sleep 20 &
pid=$!
wait_until 15 sh -c "'$TESS_BIN' --state '$STATE' ps | grep -q sleep" || fail "tess ps never showed sleep: $(tess ps 2>&1)"
ok "tess ps: $(tess ps | grep sleep)"
kill -INT $pid
wait $pid
tess status --json | jq -e '.nodes[] | select(.name == "p1") | .state == "up"' >/dev/null ||
	fail "p1 is not up after the runs"
ok "p1 still up"
