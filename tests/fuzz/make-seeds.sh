#!/bin/sh
# tests/fuzz/make-seeds.sh DIR - write the small ext2 seed images the fuzzer
# starts from (64-256 KiB, mostly 1 KiB blocks): files of every map depth
# that fits, fast and slow symlinks, nested and hashed-size directories,
# revision 0, and a 4 KiB-block image.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# mkimg BLOCKSIZE KIB DIR IMAGE [mke2fs options]: the file gets its full size
mkimg() {
	bs=$1 kib=$2 dir=$3 img=$4
	shift 4
	rm -f "$img"
	truncate -s "${kib}K" "$img"
	mke2fs -q -F -t ext2 -b "$bs" "$@" -d "$dir" "$img" >/dev/null
}

r=$tmp/r1
mkdir -p "$r/a/b/c" "$r/empty"
printf 'hello\n' >"$r/hello"
printf 'deep\n' >"$r/a/b/c/file"
ln -s hello "$r/link"
ln -s a/b/c/a-long-symlink-target-that-needs-its-own-data-block/xyz "$r/slow"
mkimg 1024 64 "$r" "$out/small-1k.img" -N 32

r=$tmp/r2
mkdir -p "$r/d"
head -c 40000 /dev/urandom >"$r/ind.bin"   # single indirect at 1 KiB
printf 'x' >"$r/d/one"
i=0
while [ $i -lt 40 ]; do printf '%s' $i >"$r/d/f$i"; i=$((i + 1)); done
ln -s /d/one "$r/abs"
mkimg 1024 128 "$r" "$out/indirect-1k.img" -N 64

r=$tmp/r3
mkdir -p "$r/x/y"
printf 'rev0\n' >"$r/x/y/f"
mkimg 1024 64 "$r" "$out/rev0-1k.img" -r 0 -N 32

r=$tmp/r4
mkdir -p "$r/d"
head -c 9000 /dev/urandom >"$r/d/f"
ln -s d/f "$r/l"
mkimg 4096 256 "$r" "$out/small-4k.img" -N 16
ls -l "$out"
