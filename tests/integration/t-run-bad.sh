# t-run-bad: bad programs get a clear one-line error from tess run and the
# exit status a shell would give (126: found but cannot be run; 127: not
# found): ELF files cut inside the header and inside a segment, a text file, an
# empty file, a 32-bit ELF, an ELF for another architecture (busybox with
# e_machine patched to 183, AArch64), a directory, a missing file. A program
# that reads address 0 (tests/workloads/nullderef.c) dies of SIGSEGV (exit
# 139) and the node goes on. Fork bombs stop at the documented limit of 64
# processes per vNode (docs/process.md: fork returns EAGAIN) and the node
# survives them: a loop of background sleeps starts exactly 63 (the shell is
# the 64th) before ash reports "can't fork: Resource temporarily unavailable",
# and a bomb of processes that each run `bomb | bomb` (busybox ash refuses the
# classic `:` as a function name) reaches the limit, never goes above it, and
# goes away with its vNode when tess run is killed.
. "$(dirname "$0")/lib.sh"

NULLDEREF=$ROOT/build/workloads/nullderef
[ -x "$NULLDEREF" ] || fail "$NULLDEREF is missing (run make)"
RUN_TIMEOUT=120
run() {
	timeout -k 5 "$RUN_TIMEOUT" "$TESS_BIN" --state "$STATE" run "$@"
}

out=$(tess up) || fail "tess up: $out"
ok "cluster up"

# The bad files, made from the host's busybox and put with mode 755.
B=$STATE/bad
mkdir -p "$B" || fail "cannot make $B"
head -c 40 /bin/busybox >"$B/trunc-header"
head -c 1000 /bin/busybox >"$B/trunc-segment"
printf 'this is not a program\n' >"$B/text"
: >"$B/empty"
cp /bin/busybox "$B/elf32"
printf '\001' | dd of="$B/elf32" bs=1 seek=4 conv=notrunc 2>/dev/null        # EI_CLASS: ELFCLASS32
cp /bin/busybox "$B/aarch64"
printf '\267\000' | dd of="$B/aarch64" bs=1 seek=18 conv=notrunc 2>/dev/null  # e_machine = 183
[ "$(od -An -tu2 -j18 -N2 "$B/aarch64" | tr -d ' ')" = 183 ] || fail "could not patch e_machine"
chmod 755 "$B"/*
tess fs mkdir -p /tmp/bad >/dev/null || fail "tess fs mkdir /tmp/bad"
for f in "$B"/*; do
	tess fs put "$f" "/tmp/bad/$(basename "$f")" >/dev/null || fail "tess fs put $f"
done
tess fs put "$NULLDEREF" /tmp/bad/nullderef >/dev/null || fail "tess fs put nullderef"

expect_err 126 "^tess: run /tmp/bad/trunc-header: Exec format error: truncated ELF" run -- /tmp/bad/trunc-header
expect_err 126 "^tess: run /tmp/bad/trunc-segment: Exec format error: truncated ELF" run -- /tmp/bad/trunc-segment
expect_err 126 "^tess: run /tmp/bad/text: Exec format error: not an ELF file" run -- /tmp/bad/text
expect_err 126 "^tess: run /tmp/bad/empty: Exec format error: not an ELF file" run -- /tmp/bad/empty
expect_err 126 "^tess: run /tmp/bad/elf32: Exec format error: 32-bit ELF" run -- /tmp/bad/elf32
expect_err 126 "^tess: run /tmp/bad/aarch64: Exec format error: ELF for another architecture (machine 183" \
	run -- /tmp/bad/aarch64
expect_err 126 "^tess: run /tmp/bad: Permission denied" run -- /tmp/bad
expect_err 127 "^tess: run /tmp/bad/nosuch: No such file or directory" run -- /tmp/bad/nosuch

# A NULL dereference: SIGSEGV, 128 + 11; the node logs it and carries on.
expect_rc 139 run -- /tmp/bad/nullderef
[ "$OUT" = "about to read address 0" ] || fail "nullderef printed '$OUT'"
[ -z "$ERR" ] || fail "nullderef: unexpected stderr '$ERR'"
ok "nullderef dies of SIGSEGV: exit 139"
tess logs p1 | grep -q "(nullderef): signal 11 at rip [0-9a-f]* (exception 14, address 0)" ||
	fail "p1's log does not show the fault at address 0"
ok "p1's log: $(tess logs p1 | grep '(nullderef): signal 11' | tail -1 | sed 's/^\[[ 0-9.]*\] //')"
expect_rc 0 run -- /bin/busybox echo still here
[ "$OUT" = "still here" ] || fail "after nullderef: echo printed '$OUT'"
[ "$(node_field 1 .state)" = up ] || fail "p1 is not up after nullderef"
ok "after the fault: p1 up, the next program runs"

# 100 background sleeps: the 64th process cannot be made. ash prints how many
# it started, then dies of the failed fork (status 2), and with it the vNode.
loop='i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i + 1)); echo $i; done; echo "all 100 started"'
expect_rc 2 run -- /bin/busybox sh -c "$loop"
last=$(printf '%s\n' "$OUT" | tail -1)
[ "$last" = 63 ] || fail "the sleep loop started $last processes, wanted 63 (+ the shell = 64)"
[ "$ERR" = "sh: can't fork: Resource temporarily unavailable" ] || fail "sleep loop: stderr '$ERR'"
ok "sleep loop: 63 sleeps + the shell = 64 processes, then fork fails with EAGAIN: $ERR"
wait_until 20 sh -c "[ \"\$('$TESS_BIN' --state '$STATE' ps --json | jq '.vnodes | length')\" = 0 ]" ||
	fail "the loop's vNode is still there: $(tess ps)"
ok "its vNode and its 63 sleeps are gone"

# A fork bomb: every process runs `bomb | bomb` and waits, so the processes
# double until fork fails (each fork costs a few hundred ms under TCG: about
# 15 s to the limit). Bounded: 5 s after the first refused fork, or after
# 120 s, tess run is killed, and gmmd kills its vNode with it.
bomb='bomb() { bomb | bomb; }; bomb'
"$TESS_BIN" --state "$STATE" run -- /bin/busybox sh -c "$bomb" >"$B/bomb.out" 2>"$B/bomb.err" &
pid=$!
max=0
t0=$(date +%s)
stop=$((t0 + 120))
secs=
while kill -0 $pid 2>/dev/null && [ "$(date +%s)" -lt $stop ]; do
	n=$(tess ps --json 2>/dev/null | jq '.processes | length' 2>/dev/null)
	[ -n "$n" ] && [ "$n" -gt "$max" ] && max=$n
	if [ -z "$secs" ] && grep -q "can't fork" "$B/bomb.err"; then
		secs=$(($(date +%s) - t0))
		stop=$(($(date +%s) + 5))
	fi
	sleep 1
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
# (Not a whole-line match: the bomb's processes write their messages in pieces
# and they interleave, e.g. "sh: sh: can't fork: ...".)
grep -q "can't fork: Resource temporarily unavailable" "$B/bomb.err" ||
	fail "the bomb did not hit the process limit in $(($(date +%s) - t0)) s (max $max processes seen; stderr: $(sort "$B/bomb.err" | uniq -c | head -5))"
[ "$max" -le 64 ] || fail "tess ps showed $max processes in the bomb's vNode, limit 64"
ok "fork bomb: first fork refused with EAGAIN after $secs s ($(grep -c "can't fork" "$B/bomb.err") by the end), at most $max processes seen by tess ps"
wait_until 30 sh -c "[ \"\$('$TESS_BIN' --state '$STATE' ps --json | jq '.vnodes | length')\" = 0 ]" ||
	fail "the bomb's vNode is still there after tess run was killed: $(tess ps)"
ok "tess run killed: the bomb's vNode is gone"
[ "$(node_field 1 .state)" = up ] || fail "p1 is not up after the fork bomb"
expect_rc 0 run -- /bin/busybox sh -c 'echo a b | tr a-z A-Z'
[ "$OUT" = "A B" ] || fail "after the bomb: printed '$OUT'"
ok "after the bomb: p1 up, a pipeline runs"
tess status | grep -q '^1 *p1 *process *up' || fail "tess status does not show p1 up: $(tess status)"
ok "tess status: $(tess status | grep '^1 *p1' | awk '{ print $2, $3, $4 }')"
