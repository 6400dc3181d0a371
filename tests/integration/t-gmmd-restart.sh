# t-gmmd-restart: gmmd killed with SIGKILL and restarted on the same state
# resumes: the same nodes, no new joins, and every node still answers.
. "$(dirname "$0")/lib.sh"

tess up >/dev/null || fail "tess up"
rows_q="SELECT id, name, role, state, boot_nonce, joined_at, incarnation FROM nodes ORDER BY id"
joins_q="SELECT count(*) FROM events WHERE kind LIKE '%join%'"
before=$(tess sql "$rows_q") || fail "sql"
joins_before=$(tess sql "$joins_q" | sed 1d)
gpid=$(tess status --json | jq -r .gmmd_pid)
[ -n "$gpid" ] && [ "$gpid" -gt 0 ] || fail "no gmmd pid in status"

kill -9 "$gpid" || fail "kill -9 gmmd $gpid"
gone() { ! kill -0 "$gpid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$gpid/status" 2>/dev/null; }
wait_until 5 gone || fail "gmmd $gpid did not die"
ok "gmmd (pid $gpid) killed"
expect_rc 1 tess status
ok "status while gmmd is down: $ERR"

setsid "$ROOT/build/gmmd" --state "$STATE" --foreground >>"$STATE/gmmd.log" 2>&1 </dev/null &
wait_until 10 tess status || fail "restarted gmmd does not answer: $(tail -n 5 "$STATE/gmmd.log")"
ok "gmmd restarted (pid $(tess status --json | jq -r .gmmd_pid))"

# Give heartbeats time to arrive; the nodes must come through as they were.
all_up() { [ "$(up_count)" -eq 3 ]; }
wait_until 10 all_up || fail "not all nodes up after restart: $(tess status)"
sleep 2
after=$(tess sql "$rows_q")
[ "$after" = "$before" ] || fail "nodes changed across the restart:
before:
$before
after:
$after"
joins_after=$(tess sql "$joins_q" | sed 1d)
[ "$joins_after" = "$joins_before" ] || fail "join events $joins_before -> $joins_after: nodes re-joined"
ok "same rows, no new join events ($joins_before)"
for n in 1 2 3; do
	ping_ok "$n" -c 3
done
