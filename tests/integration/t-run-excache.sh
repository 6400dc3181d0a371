# t-run-excache: programs whose memory does not fit in their ExCache give the
# right answers with `tess run --excache 16M`, and `--stats` shows that lines
# were evicted and written back (the pages made the round trip through the
# memory node). Each answer is checked against the host:
#
#   randwrite 256   tests/workloads/randwrite.c (musl-gcc -static): 256 MiB,
#                   16x the ExCache, written page by page in random order with
#                   a checksum per page, then verified in another random order
#   awk             busybox awk building an array of 1.4 million strings
#                   (133 MiB on the host, 8x) and reading it back in reverse
#   sort            busybox sort of 63.6 MB of lines given in reverse order
#                   (8x); md5 of the output
#   sort (random)   busybox sort of 16 MB of them in random order (2.2x: at
#                   random, nearly every comparison misses)
#
# By default misses go through the pool window the memory node shares with
# the process node (docs/pool.md); the runs must show that they did. A last
# cluster with --pool off runs randwrite (64 MiB, 4x) with every page over
# the fabric, so that path stays tested too.
#
# Sizes: through the pool a miss costs about 10-20 us under TCG and the whole
# test about 3 minutes; over the fabric alone a miss costs about 0.4 ms, which
# is why the fabric run is smaller. SORT_LINES and AWK_N override the sizes.
# timeout: 720
. "$(dirname "$0")/lib.sh"

RANDWRITE=$ROOT/build/workloads/randwrite
RUN_TIMEOUT=600
[ -x "$RANDWRITE" ] || fail "$RANDWRITE is missing (run make)"

AWK_N=${AWK_N:-1400000}
SORT_LINES=${SORT_LINES:-2400000}
RANDOM_SORT_BYTES=${RANDOM_SORT_BYTES:-16000000}

out=$(tess up --mem-mb 512) || fail "tess up --mem-mb 512: $out"
ok "cluster up, 512 MiB per node"

# Inputs, made on the host with the same busybox.
W=$STATE/work
mkdir -p "$W" || fail "cannot make $W"
/bin/busybox awk -v n="$SORT_LINES" 'BEGIN { srand(1); for (i = 0; i < n; i++)
	printf "%08d %s\n", int(rand() * 100000000), substr("abcdefghijklmnopqrstuvwxyz", 1 + i % 20) }' \
	>"$W/lines" || fail "cannot make the sort input"
/bin/busybox sort -r "$W/lines" >"$W/reversed" || fail "cannot reverse the sort input"
head -c "$RANDOM_SORT_BYTES" "$W/lines" | /bin/busybox sed '$d' >"$W/random" || fail "cannot cut the random input"
tess fs mkdir -p /tmp/excache >/dev/null || fail "tess fs mkdir /tmp/excache"
tess fs put "$RANDWRITE" /bin/randwrite >/dev/null || fail "tess fs put randwrite"
for f in reversed random; do
	tess fs put "$W/$f" "/tmp/excache/$f" >/dev/null || fail "tess fs put $f"
done
ok "inputs: $(wc -c <"$W/reversed") bytes in reverse order, $(wc -c <"$W/random") in random order, randwrite"

# run_big NAME EXPECTED ARGS...: tess run --excache 16M --stats ARGS; its stdout must be
# EXPECTED and its stats must show evictions and writebacks. POOL=yes: most misses and
# writebacks went through the pool window; POOL=no: none did.
POOL=yes
run_big() {
	name=$1
	want=$2
	shift 2
	t0=$(date +%s)
	timeout -k 5 "$RUN_TIMEOUT" "$TESS_BIN" --state "$STATE" run --excache 16M --stats -- "$@" \
		>"$W/$name.out" 2>"$W/$name.err"
	rc=$?
	secs=$(($(date +%s) - t0))
	[ $rc -eq 0 ] || fail "$name: exit $rc after $secs s: $(cat "$W/$name.err")"
	got=$(cat "$W/$name.out")
	[ "$got" = "$want" ] || fail "$name: printed '$got', wanted '$want'"
	lines=$(sed -n 's/^excache: \([0-9]*\) lines.*/\1/p' "$W/$name.err")
	counters=$(grep '^excache: .* evictions' "$W/$name.err")
	ev=$(printf '%s\n' "$counters" | sed -n 's/.* \([0-9]*\) evictions.*/\1/p')
	wb=$(printf '%s\n' "$counters" | sed -n 's/.* \([0-9]*\) writebacks.*/\1/p')
	[ "$lines" = 4096 ] || fail "$name: ExCache of '$lines' lines, wanted 4096 (16 MiB): $(cat "$W/$name.err")"
	[ -n "$ev" ] && [ "$ev" -gt 0 ] || fail "$name: no evictions in --stats: $(cat "$W/$name.err")"
	[ -n "$wb" ] && [ "$wb" -gt 0 ] || fail "$name: no writebacks in --stats: $(cat "$W/$name.err")"
	misses=$(printf '%s\n' "$counters" | sed -n 's/^excache: \([0-9]*\) misses.*/\1/p')
	pool=$(grep '^excache: pool window:' "$W/$name.err")
	preads=$(printf '%s\n' "$pool" | sed -n 's/.*window: \([0-9]*\) misses.*/\1/p')
	pwrites=$(printf '%s\n' "$pool" | sed -n 's/.* and \([0-9]*\) writebacks copied.*/\1/p')
	[ -n "$preads" ] && [ -n "$pwrites" ] || fail "$name: no pool line in --stats: $(cat "$W/$name.err")"
	if [ "$POOL" = yes ]; then
		[ $((preads * 10)) -ge $((misses * 9)) ] && [ $((pwrites * 10)) -ge $((wb * 9)) ] ||
			fail "$name: only $preads of $misses misses and $pwrites of $wb writebacks went through the pool"
	else
		[ "$preads" = 0 ] && [ "$pwrites" = 0 ] || fail "$name: pool used with --pool off: $pool"
	fi
	ok "$name: '$got' in $secs s; ${counters#excache: }; ${pool#excache: }"
}

want=$("$RANDWRITE" 256) || fail "randwrite on the host: $want"
run_big randwrite "$want" /bin/randwrite 256

awk_prog='BEGIN { for (i = 0; i < n; i++) a[i] = "value-" i * 7;
	s = 0; for (i = n - 1; i >= 0; i--) { s += length(a[i]); if (a[i] != "value-" i * 7) bad++ }
	print n, s, bad + 0 }'
want=$(/bin/busybox awk -v n="$AWK_N" "$awk_prog") || fail "awk on the host"
run_big awk "$want" /bin/busybox awk -v n="$AWK_N" "$awk_prog"

want=$(/bin/busybox sort "$W/reversed" | md5sum)
run_big sort "$want" /bin/busybox sh -c 'sort /tmp/excache/reversed | md5sum'

want=$(/bin/busybox sort "$W/random" | md5sum)
run_big sort-random "$want" /bin/busybox sh -c 'sort /tmp/excache/random | md5sum'

[ "$(node_field 1 .state)" = up ] || fail "p1 is not up after the runs"
ok "p1 still up"

# The same pages over the fabric alone.
tess down >/dev/null || fail "tess down"
out=$(tess up --mem-mb 512 --pool off) || fail "tess up --pool off: $out"
tess fs put "$RANDWRITE" /bin/randwrite >/dev/null || fail "tess fs put randwrite (--pool off)"
POOL=no
want=$("$RANDWRITE" 64) || fail "randwrite 64 on the host: $want"
run_big randwrite-fabric "$want" /bin/randwrite 64
