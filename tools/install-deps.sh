#!/bin/sh
# install-deps.sh - install the Debian 12 packages Tessera needs to build,
# boot and test a cluster. Installs only what is missing; runs `apt-get update`
# once, and only if something is missing. Safe to run as non-root when
# everything is already present.
set -eu

PKGS="build-essential qemu-system-x86 libsqlite3-dev sqlite3 libjansson-dev
libcmocka-dev socat gdb e2fsprogs busybox-static musl-tools jq python3 procps clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing packages:$missing (no apt-get here: install them by hand)" >&2
	exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo -n"
	else
		echo "install-deps: missing packages:$missing; run as root: apt-get install$missing" >&2
		exit 1
	fi
else
	SUDO=""
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "install-deps: done"
