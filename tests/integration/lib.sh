# tests/integration/lib.sh - sourced by every t-*.sh: a private state
# directory, a `tess` wrapper bound to it, `tess down` on exit, and helpers.
# A test prints what it checks and exits non-zero (via fail) on the first miss.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TESS_BIN=$ROOT/build/tess
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#t-}
# Short path (AF_UNIX socket paths are limited to 107 bytes), private to this
# run so that concurrent runs on one machine never share a cluster.
TESS_IT_ROOT=${TESS_IT_ROOT:-/tmp/tess-it.$$}
STATE=$TESS_IT_ROOT/$TEST_NAME
export TESSERA_STATE="$STATE"

tess() {
	"$TESS_BIN" --state "$STATE" "$@"
}

cleanup() {
	rc=$?
	"$TESS_BIN" --state "$STATE" down >/dev/null 2>&1 || true
	if [ "$rc" -ne 0 ]; then
		echo "(state and logs kept in $STATE)"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok: $*"
}

# Start from nothing: a cluster left over from an aborted run is stopped first.
"$TESS_BIN" --state "$STATE" down >/dev/null 2>&1 || true
rm -rf "$STATE"
mkdir -p "$TESS_IT_ROOT"

# expect_rc RC CMD...: run CMD, require exit status RC; its stderr in $ERR, stdout in $OUT.
expect_rc() {
	want=$1
	shift
	OUT=$("$@" 2>"$TESS_IT_ROOT/.err")
	got=$?
	ERR=$(cat "$TESS_IT_ROOT/.err")
	rm -f "$TESS_IT_ROOT/.err"
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, wanted $want (stderr: $ERR)"
}

# expect_err RC PATTERN CMD...: like expect_rc, and stderr is one line matching PATTERN.
expect_err() {
	want=$1
	pat=$2
	shift 2
	expect_rc "$want" "$@"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "'$*': error is not one line: $ERR"
	printf '%s\n' "$ERR" | grep -q -- "$pat" || fail "'$*': error '$ERR' does not match '$pat'"
	ok "'$*' -> exit $want: $ERR"
}

# wait_until SECS CMD...: poll CMD every 0.2 s until it succeeds; fail after SECS.
wait_until() {
	secs=$1
	shift
	end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
	return 0
}

# node_field ID JQ-EXPR: a field of node ID in `tess status --json`.
node_field() {
	tess status --json | jq -r --argjson id "$1" ".nodes[] | select(.id == \$id) | $2"
}

# up_count: number of nodes gmmd reports up.
up_count() {
	tess status --json | jq '[.nodes[] | select(.state == "up")] | length'
}

# ping_ok NODE [ARGS]: tess ping succeeds and prints min/median/max.
ping_ok() {
	out=$(tess ping "$@" 2>&1) || fail "tess ping $*: $out"
	line=$(printf '%s\n' "$out" | grep '^min/median/max = ') || fail "tess ping $*: no min/median/max line: $out"
	ok "ping $*: $line"
}
