# t-fs-putget: a 20 MiB random file goes in with `tess fs put` and comes back
# identical (sha256) with `tess fs get`, also after tess down and tess up on
# the same state directory (the disk image is kept); the image is clean by
# `tess fsck` once the cluster is down, and fsck refuses a running cluster.
. "$(dirname "$0")/lib.sh"

src=$TESS_IT_ROOT/putget.src
back=$TESS_IT_ROOT/putget.back
head -c $((20 << 20)) /dev/urandom >"$src" || fail "cannot make the test file"
src_sum=$(sha256sum <"$src" | cut -d' ' -f1)

same_as_src() {
	got=$(sha256sum <"$back" | cut -d' ' -f1)
	[ "$got" = "$src_sum" ] || fail "$1: sha256 $got, put $src_sum ($(wc -c <"$back") bytes back)"
	ok "$1: sha256 $got matches"
}

out=$(tess up --pnodes 0 --mnodes 0) || fail "tess up: $out"
printf '%s\n' "$out" | grep -q "disk s1: new ext2 image" || fail "tess up did not build a disk: $out"
ok "first tess up built $STATE/disks/s1.img"

out=$(tess fs put -v "$src" /tmp/big) || fail "tess fs put: $out"
ok "$out"
out=$(tess fs get -v /tmp/big "$back") || fail "tess fs get: $out"
ok "$out"
same_as_src "get after put"
size=$(tess fs ls -l /tmp | awk '$NF == "big" { print $5 }')
[ "$size" = $((20 << 20)) ] || fail "ls -l /tmp shows size '$size' for big"
ok "ls -l /tmp: big is $size bytes"

# A client that vanishes mid-transfer leaves no job, RPC or buffer behind, and
# other clients are answered while a transfer runs.
fs_field() { tess status --json | jq -r ".fs.$1"; }
busy() { [ "$(fs_field active)" -ge 1 ]; }
idle() { [ "$(fs_field active)" -eq 0 ] && [ "$(fs_field rpcs_in_flight)" -eq 0 ]; }
for what in put get; do
	if [ $what = put ]; then
		tess fs put "$src" /tmp/cut >/dev/null 2>&1 &
	else
		tess fs get /tmp/big "$TESS_IT_ROOT/cut" >/dev/null 2>&1 &
	fi
	pid=$!
	wait_until 20 busy || fail "no $what in progress seen by tess status"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	wait_until 20 idle || fail "after a killed $what: $(tess status --json | jq -c .fs)"
	ok "$what killed mid-transfer (status answered meanwhile): $(tess status --json | jq -c '.fs | {active, rpcs_in_flight}')"
done
tess fs rm /tmp/cut 2>/dev/null

expect_err 1 "stop the cluster first" tess fsck
tess down >/dev/null || fail "tess down"
out=$(tess fsck 2>&1) || fail "tess fsck after down is not clean: $out"
ok "tess fsck clean: $(printf '%s\n' "$out" | tail -n 1)"

out=$(tess up --pnodes 0 --mnodes 0) || fail "second tess up: $out"
printf '%s\n' "$out" | grep -q "new ext2 image" && fail "second tess up built a new disk: $out"
rm -f "$back"
tess fs get /tmp/big "$back" || fail "tess fs get after down/up"
same_as_src "get after tess down and tess up"
tess down >/dev/null || fail "tess down"
tess fsck >/dev/null 2>&1 || fail "tess fsck after the second run: $(tess fsck 2>&1 | tail -n 3)"
ok "tess fsck clean after the second run"
