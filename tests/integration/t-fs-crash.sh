# t-fs-crash: files are put (each put ends in an fsync) in a loop while the
# storage node's QEMU is killed with SIGKILL midway; `tess restart` brings the
# node back. Every put that succeeded reads back intact, and after tess down
# e2fsck -fn finds the image clean or with only what docs/storage.md allows
# after a crash (leaks and counts that e2fsck -p repairs), and a repaired copy
# is clean.
. "$(dirname "$0")/lib.sh"

WANT_BEFORE_KILL=8
work=$TESS_IT_ROOT/crash
mkdir -p "$work"
done_list=$work/done          # "name sha256" of each put that succeeded

out=$(tess up --pnodes 0 --mnodes 0) || fail "tess up: $out"
spid=$(cat "$STATE/nodes/n1.pid") || fail "no pid file for the storage node"

# The writer: files of random sizes (up to 1 MiB) until a put fails.
writer() {
	i=0
	while [ $i -lt 500 ]; do
		f=$work/f$i
		head -c $(( ($(od -An -N2 -tu2 /dev/urandom) % 1024 + 1) * 1024 )) /dev/urandom >"$f"
		tess fs put "$f" "/tmp/f$i" >/dev/null 2>"$work/put.err" || return 0
		echo "f$i $(sha256sum <"$f" | cut -d' ' -f1)" >>"$done_list"
		rm -f "$f"
		i=$((i + 1))
	done
}
: >"$done_list"
writer &
wpid=$!
enough() { [ "$(wc -l <"$done_list")" -ge $WANT_BEFORE_KILL ]; }
wait_until 60 enough || fail "only $(wc -l <"$done_list") puts succeeded in 60 s"
kill -9 "$spid" || fail "kill -9 the storage node ($spid)"
ok "storage node QEMU (pid $spid) killed after $(wc -l <"$done_list") successful puts"
wait "$wpid"
n=$(wc -l <"$done_list")
ok "writer stopped after $n successful puts: $(cat "$work/put.err")"

out=$(tess restart s1) || fail "tess restart s1: $out"
ok "$out"
bad=0
while read -r name sum; do
	got=$(tess fs get "/tmp/$name" - | sha256sum | cut -d' ' -f1)
	if [ "$got" != "$sum" ]; then
		echo "  /tmp/$name: sha256 $got, put $sum"
		bad=$((bad + 1))
	fi
done <"$done_list"
[ "$bad" -eq 0 ] || fail "$bad of $n acknowledged files did not survive the crash"
ok "all $n acknowledged files read back intact"

tess down >/dev/null || fail "tess down"
img=$STATE/disks/s1.img
e2fsck -fn "$img" >"$work/fsck.out" 2>&1
rc=$?
case $rc in
0) ok "e2fsck -fn: clean" ;;
4)
	# What a crash may leave (docs/storage.md, "Durability guarantee"):
	# blocks and inodes marked in use that nothing references, stale free
	# counts, link counts too high, sizes or i_blocks behind the blocks
	# mapped, entries naming deleted inodes. Anything else is a failure.
	odd=$(grep -v -E \
		-e '^e2fsck [0-9.]+ ' -e '^Pass [1-5][A-Z]?: ' -e '^tessera: ' -e '^$' \
		-e 'WARNING: Filesystem still has errors|\*\*\*\*\*' \
		-e '^ *[-+]?\(?[0-9]+(--[0-9]+)?\)?( [-+]?\(?[0-9]+(--[0-9]+)?\)?)* *$' \
		-e '^(Block|Inode) bitmap differences: ' -e '^Fix\? no$' -e '^Clear\? no$' \
		-e 'count wrong( for group #[0-9]+)? \([0-9]+, counted=[0-9]+\)\.$' \
		-e "^Entry '.*' in .* \\([0-9]+\\) has deleted/unused inode [0-9]+\\." \
		-e '^Inode [0-9]+ ref count is [0-9]+, should be [0-9]+\.' \
		-e '^Inode [0-9]+, i_(size|blocks) is [0-9]+, should be [0-9]+\.' \
		"$work/fsck.out")
	[ -z "$odd" ] || fail "e2fsck -fn found more than a crash may leave:
$odd
(full output in $work/fsck.out)"
	ok "e2fsck -fn: only what a crash may leave:"
	grep -E 'count wrong|differences|inode' "$work/fsck.out" | sed 's/^/    /'
	;;
*) fail "e2fsck -fn exited $rc: $(cat "$work/fsck.out")" ;;
esac
cp "$img" "$work/copy.img"
e2fsck -fp "$work/copy.img" >"$work/fsck-p.out" 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "e2fsck -fp could not repair a copy (exit $rc): $(cat "$work/fsck-p.out")"
e2fsck -fn "$work/copy.img" >/dev/null 2>&1 || fail "the repaired copy is not clean"
ok "e2fsck -fp repairs a copy (exit $rc) to clean"
tess fsck >/dev/null 2>&1
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || fail "tess fsck exited $rc"
ok "tess fsck exits $rc"
