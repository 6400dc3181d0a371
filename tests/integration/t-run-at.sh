# t-run-at: the *at() calls relative to a directory fd (openat, mkdirat,
# fstatat, faccessat, symlinkat, readlinkat, renameat, unlinkat) and fchdir,
# with their errors, print the same in a vNode as on the host
# (tests/workloads/atcalls.c, musl static, run on both).
. "$(dirname "$0")/lib.sh"

AT=$ROOT/build/workloads/atcalls
[ -x "$AT" ] || fail "$AT is missing (run make)"
mkdir -p "$STATE/host-at" || fail "cannot make $STATE/host-at"
host_out=$("$AT" "$STATE/host-at" 2>&1) || fail "atcalls on the host: $host_out"

out=$(tess up) || fail "tess up: $out"
tess fs put "$AT" /bin/atcalls >/dev/null || fail "tess fs put atcalls"
tess fs mkdir -p /tmp/at >/dev/null || fail "tess fs mkdir /tmp/at"
expect_rc 0 timeout -k 5 60 "$TESS_BIN" --state "$STATE" run -- /bin/atcalls /tmp/at
if [ "$OUT" != "$host_out" ]; then
	printf '%s\n' "$host_out" >"$STATE/at.want"
	printf '%s\n' "$OUT" >"$STATE/at.got"
	fail "atcalls differs from the host: $(diff "$STATE/at.want" "$STATE/at.got")"
fi
ok "atcalls: $(printf '%s\n' "$OUT" | wc -l) lines as on the host"
# Nothing is left behind, as on the host.
left=$(tess fs ls /tmp/at 2>&1)
[ -z "$left" ] || fail "left in /tmp/at: $left"
ok "its directory is empty again"
