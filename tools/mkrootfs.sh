#!/bin/sh
# tools/mkrootfs.sh - the default root directory of a storage node's disk:
# Debian's busybox-static at /bin/busybox with a symlink per applet (where
# `busybox --list-full` puts it), /etc with passwd, group and hostname, a
# writable /tmp and empty /root, /dev, /proc. `tess up` turns it into an
# ext2 image with `mke2fs -d`. Usage: mkrootfs.sh [DIR] (default build/rootfs).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/rootfs}
BUSYBOX=${BUSYBOX:-/bin/busybox}

[ -x "$BUSYBOX" ] || { echo "mkrootfs: $BUSYBOX not found (run make deps: busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would not run on a Tessera node.
if command -v file >/dev/null 2>&1 && file -L "$BUSYBOX" | grep -q 'dynamically linked'; then
	echo "mkrootfs: $BUSYBOX is dynamically linked (install busybox-static)" >&2
	exit 1
fi

# Build next to OUT, then swap it in: a half-built tree is never used.
tmp=$OUT.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"

mkdir -p bin sbin usr/bin usr/sbin etc root dev proc tmp
chmod 1777 tmp
chmod 0700 root
cp "$BUSYBOX" bin/busybox
chmod 0755 bin/busybox

# busybox's own shell runs ln as a built-in: hundreds of links without a fork each.
"$BUSYBOX" --list-full | "$BUSYBOX" sh -c '
while read -r applet; do
	case "$applet" in
	bin/busybox | "") continue ;;
	esac
	case "$applet" in
	*/*) mkdir -p "${applet%/*}" ;;
	esac
	ln -sf /bin/busybox "$applet"
done'

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >etc/group <<'EOF'
root:x:0:
EOF
echo tessera >etc/hostname
chmod 0644 etc/passwd etc/group etc/hostname

cd - >/dev/null
rm -rf "$OUT"
mv "$tmp" "$OUT"
trap - EXIT
