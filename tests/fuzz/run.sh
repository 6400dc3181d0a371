#!/bin/sh
# tests/fuzz/run.sh - build the ext2 libFuzzer harness with clang (Debian
# package: clang) and fuzz for a bounded time, starting from the seed images
# in tests/fuzz/corpus/ext2. New inputs go to a scratch corpus under build/,
# crashes to build/fuzz/. Exits non-zero if the fuzzer finds a crash.
#
#   sh tests/fuzz/run.sh [seconds]      default 60 (or $FUZZ_TIME)
#   sh tests/fuzz/run.sh -seeds         rebuild the seed images (needs mke2fs)
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CLANG=${CLANG:-clang}
OUT=$BUILD/fuzz
SEEDS=tests/fuzz/corpus/ext2

if [ "${1:-}" = "-seeds" ]; then
	sh tests/fuzz/make-seeds.sh "$SEEDS"
	exit 0
fi
TIME=${1:-${FUZZ_TIME:-60}}

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found (apt-get install clang)" >&2
	exit 1
fi
mkdir -p "$OUT/corpus-ext2"
echo "  CLANG $OUT/fuzz_ext2"
"$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	-Iinclude -I. -idirafter kernel/include \
	tests/fuzz/fuzz_ext2.c monitors/storage/ext2/*.c -o "$OUT/fuzz_ext2"

# -rss_limit_mb and -timeout catch runaway loops and allocations as failures.
"$OUT/fuzz_ext2" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=1024 \
	-max_len=262144 -print_final_stats=1 -artifact_prefix="$OUT/" \
	"$OUT/corpus-ext2" "$SEEDS" >"$OUT/fuzz_ext2.log" 2>&1 || {
	tail -n 60 "$OUT/fuzz_ext2.log"
	echo "fuzz_ext2: FAILED (see $OUT/fuzz_ext2.log and $OUT/crash-*)"
	exit 1
}
grep -E '^stat::number_of_executed_runs|^stat::peak_rss_mb' "$OUT/fuzz_ext2.log" || true
echo "fuzz_ext2: no crash in ${TIME}s"

# fuzz_elf: ELF load planning (monitors/process/elf.c) from the 4 KiB heads
# of real executables in tests/fuzz/corpus/elf, for the same bounded time.
mkdir -p "$OUT/corpus-elf"
echo "  CLANG $OUT/fuzz_elf"
"$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	-Iinclude -I. -idirafter kernel/include \
	tests/fuzz/fuzz_elf.c monitors/process/elf.c -o "$OUT/fuzz_elf"
"$OUT/fuzz_elf" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=1024 \
	-max_len=65536 -print_final_stats=1 -artifact_prefix="$OUT/elf-" \
	"$OUT/corpus-elf" tests/fuzz/corpus/elf >"$OUT/fuzz_elf.log" 2>&1 || {
	tail -n 60 "$OUT/fuzz_elf.log"
	echo "fuzz_elf: FAILED (see $OUT/fuzz_elf.log and $OUT/elf-crash-*)"
	exit 1
}
grep -E '^stat::number_of_executed_runs|^stat::peak_rss_mb' "$OUT/fuzz_elf.log" || true
echo "fuzz_elf: no crash in ${TIME}s"
