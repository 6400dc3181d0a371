# t-fs-bigdir: a directory of 10,000 files is created, listed (10,000 names;
# 10,002 with . and .. under -a) and emptied again. build/fs-load keeps many
# requests in flight (10,000 tess processes would be slow).
. "$(dirname "$0")/lib.sh"

N=10000
load() {
	"$ROOT/build/fs-load" --state "$STATE" "$@"
}

out=$(tess up --pnodes 0 --mnodes 0) || fail "tess up: $out"
tess fs mkdir /big || fail "mkdir /big"
out=$(load touch /big $N) || fail "fs-load touch: $out"
ok "$out"
count=$(tess fs ls /big | wc -l)
[ "$count" -eq $N ] || fail "ls /big lists $count names, wanted $N"
count=$(tess fs ls -a /big | wc -l)
[ "$count" -eq $((N + 2)) ] || fail "ls -a /big lists $count names, wanted $((N + 2))"
first=$(tess fs ls /big | head -n 1)
last=$(tess fs ls /big | tail -n 1)
[ "$first" = f000000 ] && [ "$last" = f009999 ] || fail "ls /big runs $first..$last"
ok "ls /big: $N names ($first..$last), $((N + 2)) with -a"
tess fs stat /big/f005000 | grep -q "regular file" || fail "stat /big/f005000"
expect_err 1 "Directory not empty" tess fs rmdir /big
out=$(load rm /big $N) || fail "fs-load rm: $out"
ok "$out"
count=$(tess fs ls -a /big | wc -l)
[ "$count" -eq 2 ] || fail "ls -a /big after rm lists $count names"
tess fs rmdir /big || fail "rmdir /big"
ok "emptied and removed"
tess down >/dev/null || fail "tess down"
tess fsck >/dev/null 2>&1 || fail "not clean: $(tess fsck 2>&1 | tail -n 5)"
ok "tess fsck clean"
