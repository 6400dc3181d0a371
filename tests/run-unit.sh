#!/bin/sh
# run-unit.sh - run each cmocka unit-test binary given as an argument: one
# line per binary (its whole output when something failed), then a closing
# "N passed, N failed" counted over test cases. VERBOSE=1 shows every output.
# Exits non-zero if any test failed or any binary crashed or is missing.
set -u

passed=0
failed=0
bad_bins=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for bin in "$@"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: not built ($bin)"
		failed=$((failed + 1))
		bad_bins="$bad_bins $name"
		continue
	fi
	"$bin" >"$log" 2>&1
	rc=$?
	# cmocka's summary: "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), ..."
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# Crashed (sanitizer, signal) before cmocka could report: count it.
		echo "FAIL $name: exited with status $rc"
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		bad_bins="$bad_bins $name"
		cat "$log"
		echo "FAIL $name: $f of $((p + f)) failed"
	else
		[ "${VERBOSE:-0}" = 1 ] && cat "$log"
		echo "PASS $name ($p tests)"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

if [ -n "$bad_bins" ]; then
	echo "failing:$bad_bins"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
