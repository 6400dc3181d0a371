# t-run-diff: differential test of the process monitor against Linux. Each
# case in diff/cases/NN-name.sh is a busybox sh script; it runs in a vNode
# (`tess run -- /bin/busybox sh -c SCRIPT`) and on the host with the same
# /bin/busybox (the cluster's copy is the host's, tools/mkrootfs.sh), and
# stdout, stderr and the exit status must be byte-for-byte equal.
#
# Both sides run in the same absolute directory, $STATE/w: on the host it is
# a real directory, in the cluster it is made with `tess fs mkdir -p`, and the
# inputs (diff/inputs/*) are copied into both, so even `pwd` agrees. Both get
# the environment tess run gives a program (PATH, HOME, TERM, USER), umask
# 022, and as stdin diff/cases/NN-name.stdin if it exists, else /dev/null.
# Cases run in order on one cluster; a case that changes files does so in a
# directory of its own and removes it.
#
# What must differ is kept out of the cases, each documented where it is:
# clocks (28-ls-l replaces ls -l's date column; no date, no ls -t), the file
# systems' block sizes (28-ls-l: directory sizes and "total" lines), the host
# name (50-uname-arith prints only uname -s and -m).
#
# DIFF_CASES="07 30" limits the run to cases whose names start so.
. "$(dirname "$0")/lib.sh"

CASES=$ROOT/tests/integration/diff/cases
INPUTS=$ROOT/tests/integration/diff/inputs
CASE_TIMEOUT=60

out=$(tess up) || fail "tess up: $out"
ok "cluster up"

WD=$STATE/w
mkdir -p "$WD" || fail "cannot make $WD"
tess fs mkdir -p "$WD" || fail "tess fs mkdir -p $WD"
for f in "$INPUTS"/*; do
	name=$(basename "$f")
	cp "$f" "$WD/$name" && chmod 644 "$WD/$name" || fail "cannot copy $f"
	tess fs put "$f" "$WD/$name" >/dev/null || fail "tess fs put $f $WD/$name"
done
ok "inputs in $WD on the host and in the cluster: $(ls "$INPUTS" | tr '\n' ' ')"

# The host side: the environment tess run gives (tools/tess_run.c), no core
# files. host_sh SCRIPT IN OUT ERR. It runs as a background job and is waited
# for with wait's own stderr discarded: a shell that waits for a foreground
# program killed by a signal prints "Killed" or "Segmentation fault", and
# tess run, the program's parent in the cluster, prints nothing.
ulimit -c 0
host_sh() {
	(cd "$WD" && exec env -i PATH=/bin:/usr/bin:/sbin:/usr/sbin HOME=/root TERM=xterm USER=root \
		timeout "$CASE_TIMEOUT" /bin/busybox sh -c "$1") <"$2" >"$3" 2>"$4" &
	wait $! 2>/dev/null
}

cluster_sh() {
	timeout -k 5 "$CASE_TIMEOUT" "$TESS_BIN" --state "$STATE" run -- /bin/busybox sh -c "$1"
}

R=$STATE/results
mkdir -p "$R"
n=0
bad=""
for c in "$CASES"/*.sh; do
	name=$(basename "$c" .sh)
	if [ -n "${DIFF_CASES:-}" ]; then
		sel=no
		for p in $DIFF_CASES; do
			case $name in "$p"*) sel=yes ;; esac
		done
		[ $sel = yes ] || continue
	fi
	n=$((n + 1))
	in=/dev/null
	[ -f "$CASES/$name.stdin" ] && in=$CASES/$name.stdin
	script="umask 022
cd '$WD' || exit 99
$(cat "$c")"
	t0=$(date +%s%N)
	cluster_sh "$script" <"$in" >"$R/$name.vnode.out" 2>"$R/$name.vnode.err"
	vrc=$?
	t1=$(date +%s%N)
	host_sh "$script" "$in" "$R/$name.host.out" "$R/$name.host.err"
	hrc=$?
	ms=$(((t1 - t0) / 1000000))
	if [ $vrc -eq $hrc ] && cmp -s "$R/$name.vnode.out" "$R/$name.host.out" &&
		cmp -s "$R/$name.vnode.err" "$R/$name.host.err"; then
		echo "ok: $name (exit $vrc, $(wc -l <"$R/$name.host.out") lines, $ms ms)"
		continue
	fi
	echo "MISMATCH: $name: exit $vrc in the vNode, $hrc on the host"
	for s in out err; do
		cmp -s "$R/$name.vnode.$s" "$R/$name.host.$s" && continue
		echo "  std$s (--- host, +++ vNode):"
		diff -u "$R/$name.host.$s" "$R/$name.vnode.$s" | tail -n +3 | head -n 40 | sed 's/^/    /'
	done
	bad="$bad $name"
done

[ "$n" -gt 0 ] || fail "no case selected"
[ -z "$bad" ] || fail "$(echo $bad | wc -w) of $n cases differ from Linux:$bad (outputs in $R)"
tess status --json | jq -e '.nodes[] | select(.name == "p1") | .state == "up"' >/dev/null ||
	fail "p1 is not up after the cases"
ok "all $n cases match the host's busybox; p1 still up"
