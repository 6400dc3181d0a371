#!/bin/sh
# tests/integration/run.sh - booted-cluster tests: runs each t-*.sh (or the
# ones named: run.sh boot ping) one at a time, prints PASS/FAIL per test and a
# closing "N passed, N failed" line. Exits non-zero if any test failed. A test
# gets PER_TEST_TIMEOUT seconds, or what a "# timeout: SECONDS" line in it says.
set -u
cd "$(dirname "$0")" || exit 1
here=$(pwd)
PER_TEST_TIMEOUT=${PER_TEST_TIMEOUT:-240}

if [ $# -gt 0 ]; then
	tests=""
	for n in "$@"; do
		tests="$tests t-${n#t-}"
	done
else
	tests=$(ls t-*.sh | sed 's/\.sh$//')
fi

[ -x ../../build/tess ] || { echo "build/tess is missing (run make)"; echo "0 passed, 1 failed"; exit 1; }

# Every test's state directory lives under one directory private to this run.
TESS_IT_ROOT=/tmp/tess-it.$$
export TESS_IT_ROOT
rm -rf "$TESS_IT_ROOT"
mkdir -p "$TESS_IT_ROOT"

passed=0
failed=0
failing=""
for t in $tests; do
	name=${t#t-}
	log=$TESS_IT_ROOT/$name.out
	start=$(date +%s)
	if [ ! -f "$here/$t.sh" ]; then
		echo "FAIL $name (no such test: $t.sh)"
		failed=$((failed + 1))
		continue
	fi
	limit=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$here/$t.sh" | head -1)
	limit=${limit:-$PER_TEST_TIMEOUT}
	timeout -k 10 "$limit" sh "$here/$t.sh" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name (${secs} s)"
		passed=$((passed + 1))
	else
		[ "$rc" -eq 124 ] && echo "(timed out after $limit s)" >>"$log"
		echo "FAIL $name (${secs} s, exit $rc); its output:"
		sed 's/^/    /' "$log"
		failed=$((failed + 1))
		failing="$failing $name"
	fi
done
if [ -n "$failing" ]; then
	echo "failing:$failing (state and logs kept in $TESS_IT_ROOT)"
else
	rm -rf "$TESS_IT_ROOT"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
