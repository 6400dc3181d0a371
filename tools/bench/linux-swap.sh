#!/bin/sh
# tools/bench/linux-swap.sh - the Linux-swap anchor for the ExCache benchmark
# (issue 5; linux-abi.md section 4): Debian's Linux 6.1 (linux-image-amd64)
# booted in the same QEMU TCG machine as Tessera's nodes, with a tiny busybox
# initramfs that puts swap on a virtio-blk disk (a sparse raw file on the
# host) and runs tools/bench/workloads/membound (musl-gcc -static) inside a
# cgroup v2 whose memory.max is 100% (no limit), 50%, 25% and 12.5% of the
# working set. One boot per limit. Prints a table; never fails on a slow
# result. A benchmark, not a test.
#
#   sh tools/bench/linux-swap.sh [WORKING_SET_MIB] [OPS]     (as tools/bench/excache.sh; 32 20000)
#
# Environment (all optional):
#   LINUX_SWAP_PCTS     limits in % of the working set       "100 50 25 12.5"
#   LINUX_SWAP_SLACK_MIB  added to each limit below 100% for what the program
#                       needs beyond its working set (code, stack, page tables,
#                       heap bookkeeping); default: measured, the 100% run's
#                       memory.peak less the working set (1 MiB without it)
#   LINUX_SWAP_RUNS     membound runs per boot; the median is reported     3
#   LINUX_SWAP_DEV      virtio (disk file on the host) | ramdisk (brd)  virtio
#   LINUX_SWAP_CACHE    QEMU cache= mode of the swap disk           writeback
#   LINUX_SWAP_THP      transparent_hugepage= (never keeps 4 KiB pages,
#                       like the ExCache's lines)                      never
#   LINUX_SWAP_MEM_MB   guest memory                                     512
#   LINUX_SWAP_TIMEOUT  seconds per boot before QEMU is killed           900
#   LINUX_SWAP_KERNEL   a vmlinuz to boot instead of /boot/vmlinuz-*-amd64
#   LINUX_SWAP_APPEND   extra kernel command-line words
#   LINUX_SWAP_NO_INSTALL=1  never run apt-get; fail if something is missing
# Work files (initramfs, swap image, serial logs): build/bench/linux/.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WS=${1:-32}
OPS=${2:-20000}
PCTS=${LINUX_SWAP_PCTS:-100 50 25 12.5}
SLACK=${LINUX_SWAP_SLACK_MIB:-}
RUNS=${LINUX_SWAP_RUNS:-3}
DEV=${LINUX_SWAP_DEV:-virtio}
CACHE=${LINUX_SWAP_CACHE:-writeback}
THP=${LINUX_SWAP_THP:-never}
MEM=${LINUX_SWAP_MEM_MB:-512}
TMO=${LINUX_SWAP_TIMEOUT:-900}
OUT=$ROOT/build/bench/linux

die() {
	echo "linux-swap: $*" >&2
	exit 1
}
num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
num "$WS" && [ "$WS" -gt 0 ] || die "working set must be a whole number of MiB, not '$WS'"
num "$OPS" || die "OPS must be a whole number, not '$OPS'"
[ -z "$SLACK" ] || awk -v s="$SLACK" 'BEGIN { exit !(s ~ /^[0-9]+(\.[0-9]+)?$/) }' ||
	die "LINUX_SWAP_SLACK_MIB must be a number of MiB, not '$SLACK'"
num "$RUNS" && [ "$RUNS" -gt 0 ] || die "LINUX_SWAP_RUNS must be a positive number"
case $DEV in virtio | ramdisk) ;; *) die "LINUX_SWAP_DEV must be virtio or ramdisk, not '$DEV'" ;; esac

# ---- 1. what we need, from Debian's archive ----------------------------------

kernel_pick() {
	if [ -n "${LINUX_SWAP_KERNEL:-}" ]; then
		echo "$LINUX_SWAP_KERNEL"
		return
	fi
	# The newest Debian kernel whose modules are installed too.
	for k in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V -r); do
		[ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] && { echo "$k"; return; }
	done
}
missing() {
	m=""
	[ -n "$(kernel_pick)" ] || m="$m linux-image-amd64"
	dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || m="$m busybox-static"
	command -v musl-gcc >/dev/null || m="$m musl-tools"
	command -v cpio >/dev/null || m="$m cpio"
	command -v gzip >/dev/null || m="$m gzip"
	command -v qemu-system-x86_64 >/dev/null || m="$m qemu-system-x86"
	command -v timeout >/dev/null || m="$m coreutils"
	echo "$m"
}
need=$(missing)
if [ -n "$need" ]; then
	[ -z "${LINUX_SWAP_NO_INSTALL:-}" ] || die "missing:$need (LINUX_SWAP_NO_INSTALL is set)"
	[ "$(id -u)" = 0 ] || die "missing:$need; run as root or: sudo apt-get install$need"
	echo "linux-swap: installing$need with apt-get (the kernel package takes minutes)"
	export DEBIAN_FRONTEND=noninteractive
	mkdir -p "$ROOT/build" || die "cannot create build/"
	apt-get update -q >/dev/null || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $need >"$ROOT/build/apt-linux-swap.log" 2>&1 ||
		die "apt-get install$need failed (see build/apt-linux-swap.log)"
	need=$(missing)
	[ -z "$need" ] || die "still missing after apt-get:$need"
fi
KERNEL=$(kernel_pick)
[ -r "$KERNEL" ] || die "cannot read the kernel $KERNEL"
KVER=${KERNEL##*/vmlinuz-}
MODDIR=/lib/modules/$KVER
[ -f "$MODDIR/modules.dep" ] || die "no $MODDIR/modules.dep for $KERNEL (set LINUX_SWAP_KERNEL to a Debian vmlinuz)"

# ---- 2. the initramfs --------------------------------------------------------

mkdir -p "$OUT" || die "cannot create $OUT"
rm -rf "$OUT/root"
mkdir -p "$OUT/root/bin" "$OUT/root/proc" "$OUT/root/sys" "$OUT/root/dev" "$OUT/root/lib/modules" || die "mkdir"
musl-gcc -static -O2 -o "$OUT/root/bin/membound" "$ROOT/tools/bench/workloads/membound.c" ||
	die "musl-gcc failed on tools/bench/workloads/membound.c"
cp /bin/busybox "$OUT/root/bin/busybox" || die "cannot copy /bin/busybox"
file_is_static=$(LC_ALL=C readelf -l /bin/busybox 2>/dev/null | grep -c INTERP)
[ "$file_is_static" = 0 ] || die "/bin/busybox is dynamically linked (install busybox-static)"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$OUT/root/bin/$a"
done
cp "$ROOT/tools/bench/linux/init" "$OUT/root/init" && chmod 755 "$OUT/root/init" || die "cannot copy the init script"

# Modules: virtio_pci and virtio_blk (modular in Debian's config) and brd, each
# after what modules.dep says it needs (listed there last-needed-first).
: >"$OUT/root/lib/modules/order"
for want in virtio_pci virtio_blk brd; do
	line=$(grep -E "(^|/)$want\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | head -1)
	if [ -z "$line" ]; then
		# Built in (=y) needs nothing; say so only if it is really absent.
		grep -q "/$want.ko" "$MODDIR/modules.builtin" 2>/dev/null || die "module $want not found for $KVER"
		continue
	fi
	mod=${line%%:*}
	deps=${line#*:}
	list=""
	for d in $deps; do list="$d $list"; done
	for m in $list $mod; do
		grep -qx "$m" "$OUT/root/lib/modules/order" && continue
		case $m in *.ko) ;; *) die "module $m is compressed; this script expects plain .ko files" ;; esac
		mkdir -p "$OUT/root/lib/modules/${m%/*}"
		cp "$MODDIR/$m" "$OUT/root/lib/modules/$m" || die "cannot copy $MODDIR/$m"
		echo "$m" >>"$OUT/root/lib/modules/order"
	done
done
(cd "$OUT/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT/initramfs.cpio.gz" ||
	die "cpio/gzip failed"

# ---- 3. one boot per limit ---------------------------------------------------

SWAP_MIB=$((WS * 4 > 1024 ? WS * 4 : 1024))
# boot PCT LIMIT_BYTES_OR_max TAG: boots, leaves the console log in $OUT/console-TAG.log.
boot() {
	tag=$3
	log=$OUT/console-$tag.log
	append="console=ttyS0 quiet panic=1 transparent_hugepage=$THP zswap.enabled=0"
	append="$append bench_ws=$WS bench_ops=$OPS bench_limit=$2 bench_runs=$RUNS bench_dev=$DEV"
	append="$append bench_swap_mib=$SWAP_MIB ${LINUX_SWAP_APPEND:-}"
	set -- -name tess-linux-swap -M pc -cpu max -accel tcg -smp 1 -m "$MEM" \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$KERNEL" -initrd "$OUT/initramfs.cpio.gz" -append "$append" \
		-serial "file:$log"
	if [ "$DEV" = virtio ]; then
		rm -f "$OUT/swap.img"
		truncate -s "${SWAP_MIB}M" "$OUT/swap.img" || die "cannot create $OUT/swap.img"
		set -- "$@" -drive "file=$OUT/swap.img,format=raw,if=none,id=swap,cache=$CACHE" \
			-device virtio-blk-pci,drive=swap,disable-legacy=on
	fi
	# No network device of any kind: -nodefaults and no -netdev/-nic.
	timeout -k 10 "$TMO" qemu-system-x86_64 "$@" >"$OUT/qemu-$tag.log" 2>&1
	qrc=$?
	[ "$DEV" = virtio ] && rm -f "$OUT/swap.img"
	return $qrc
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo "linux-swap: $KVER ($KERNEL), QEMU TCG -cpu max -smp 1 -m ${MEM}M, swap on $DEV" \
	"($([ "$DEV" = virtio ] && echo "raw file, cache=$CACHE" || echo "brd, ${SWAP_MIB} MiB")), THP $THP, zswap off"
echo "membound: $WS MiB working set, $OPS random read-modify-writes, median of $RUNS runs per boot," \
	"limits = % of WS + $([ -n "$SLACK" ] && echo "$SLACK MiB" || echo "the overhead measured at 100%")"
printf '%-10s %-7s %10s %10s %10s %10s %10s %10s %9s\n' "memory.max" "of WS" "seconds" "majfaults" \
	"pswpin" "pswpout" "peak MiB" "boot s" "vs 100%"
base=""
over=""
failed=0
for pct in $PCTS; do
	case $pct in
	100) limit=max ;;
	*) # Whole pages, rounded up.
	   limit=$(awk -v w="$WS" -v p="$pct" -v s="${SLACK:-1}" -v o="$over" \
		'BEGIN { b = w * p / 100 * 1048576 + (o != "" ? o : s * 1048576); printf "%d", (b + 4095) / 4096 }')
	   limit=$((limit * 4096)) ;;
	esac
	tag=$(echo "$pct" | tr . _)
	t0=$(date +%s)
	boot "$pct" "$limit" "$tag"
	qrc=$?
	wall=$(($(date +%s) - t0))
	log=$OUT/console-$tag.log
	lines=$(tr -d '\r' <"$log" 2>/dev/null | grep '^lsb: ')
	runs=$(printf '%s\n' "$lines" | grep '^lsb: run=' | grep 'rc=0 ' | grep 'checksum ok$')
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "linux-swap: $pct%: QEMU killed after ${TMO}s (LINUX_SWAP_TIMEOUT); see $log"
	elif [ "$qrc" != 0 ]; then
		echo "linux-swap: $pct%: QEMU exited with $qrc; see $OUT/qemu-$tag.log"
	fi
	err=$(printf '%s\n' "$lines" | grep '^lsb: error' | head -1)
	[ -z "$err" ] || echo "linux-swap: $pct%: guest: ${err#lsb: }"
	printf '%s\n' "$lines" | grep '^lsb: run=' | grep -v 'checksum ok$' | sed "s/^lsb: /linux-swap: $pct%: failed run: /"
	if [ -z "$runs" ]; then
		echo "linux-swap: $pct%: no successful run; last console lines:"
		tr -d '\r' <"$log" 2>/dev/null | tail -5 | sed 's/^/    /'
		failed=1
		continue
	fi
	# The median run by time, and its counters.
	secs=$(printf '%s\n' "$runs" | sed -n 's/.* ops, \([0-9.]*\) s, checksum ok$/\1/p' | median)
	pick=$(printf '%s\n' "$runs" | grep " $secs s, checksum ok$" | head -1)
	maj=$(printf '%s\n' "$pick" | field cg_pgmajfault)
	pin=$(printf '%s\n' "$pick" | field pswpin)
	pout=$(printf '%s\n' "$pick" | field pswpout)
	peak=$(mib "$(printf '%s\n' "$pick" | field peak)")
	all=$(printf '%s\n' "$runs" | sed -n 's/.* ops, \([0-9.]*\) s, checksum ok$/\1/p' | tr '\n' ' ')
	[ "$pct" != 100 ] || base=$secs
	if [ "$limit" = max ] && [ -z "$SLACK" ]; then
		# The program's needs beyond the working set, as the cgroup counts them.
		over=$(printf '%s\n' "$runs" | field peak | sort -n | tail -1)
		over=$((over - WS * 1048576))
		[ "$over" -gt 0 ] || over=0
	fi
	ratio=$(awk -v a="$secs" -v b="$base" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
	if [ "$limit" = max ]; then shown=max; else shown="$(mib "$limit")M"; fi
	printf '%-10s %-7s %10s %10s %10s %10s %10s %10s %9s   (runs: %s)\n' "$shown" "$pct%" "$secs" "${maj:--}" \
		"${pin:--}" "${pout:--}" "$peak" "$wall" "$ratio" "${all% }"
done
[ -z "$over" ] || echo "overhead beyond the working set at 100% (memory.peak - WS), added to each limit: $(mib "$over") MiB"
echo "seconds: membound's own CLOCK_MONOTONIC time in the guest; majfaults: the cgroup's pgmajfault;" \
	"pswpin/pswpout: pages swapped in/out during the run (/proc/vmstat); peak: the cgroup's memory.peak;" \
	"boot s: host wall time of the whole boot, runs and power-off; logs in build/bench/linux/"
exit $failed
