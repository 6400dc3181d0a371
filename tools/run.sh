#!/bin/sh
# tools/run.sh - `make run`: boot the default cluster (1 process, 1 memory,
# 1 storage node), show it, print hints, and end in a busybox shell running in
# a vNode (on a terminal; otherwise one echo in a vNode). The cluster keeps
# running after the shell exits.
set -eu
cd "$(dirname "$0")/.."
TESS=build/tess
state=${TESSERA_STATE:-/tmp/tessera-$(id -u)}

if "$TESS" status >/dev/null 2>&1; then
	echo "A cluster is already up in $state (stop it with: $TESS down)."
else
	"$TESS" up
fi
echo
"$TESS" status
cat <<HINTS

The cluster keeps running (state, logs and state.db in $state). Try:
  $TESS run -- /bin/busybox sh        a shell in a vNode (exit or ^D leaves it)
  $TESS run --stats -- /bin/busybox ls -l /bin     ExCache counters after the output
  $TESS ps                            running vNodes and their processes
  $TESS fs ls -l /                    the storage node's files
  $TESS status                        nodes, state and counters
  $TESS ping m1 -c 5                  fabric round trips from gmmd to node m1
  $TESS sql "SELECT id, pnode, mnode, state, wait_status, argv FROM vnodes"
  $TESS sql "SELECT seq, ts, node_id, kind FROM events"
  $TESS logs p1                       a node's console (-f follows it)
  $TESS gdb p1                        gdb on node p1's kernel
  $TESS down                          stop everything
HINTS
echo
if [ -t 0 ] && [ -t 1 ]; then
	echo "Starting a busybox shell in a vNode: $TESS run -- /bin/busybox sh"
	"$TESS" run -- /bin/busybox sh || echo "(the shell exited with status $?)"
else
	echo "$ $TESS run -- /bin/busybox echo hello from a vNode"
	"$TESS" run -- /bin/busybox echo hello from a vNode || echo "(exit status $?)"
fi
