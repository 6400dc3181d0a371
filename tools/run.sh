#!/bin/sh
# tools/run.sh - `make run`: boot the default cluster (1 process, 1 memory,
# 1 storage node), show it, and leave it running with hints of what to try.
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
  $TESS status                        nodes, state and counters
  $TESS ping m1 -c 5                  fabric round trips from gmmd to node m1
  $TESS ping 2 --from 1 -s 4096       node 1 pings node 2 with a 4 KiB payload
  $TESS sql "SELECT id, name, role, state FROM nodes"
  $TESS sql "SELECT seq, ts, node_id, kind FROM events"
  $TESS logs p1                       a node's console (-f follows it)
  $TESS gdb p1                        gdb on node p1's kernel
  $TESS down                          stop everything
HINTS
