#!/bin/sh
# tools/bench/fs.sh - the storage node through the fabric: sequential write
# and read of a 64 MiB file (tess fs put / get, MiB/s; put includes its
# fsync) and random 4 KiB reads and writes per second (build/fs-load, 8
# connections; every 256 writes end in an fsync). Medians of REPS runs.
# Targets (issue 4, TCG): read >= 50 MiB/s, write >= 30 MiB/s, >= 2,000 random
# 4 KiB reads/s.
. "$(dirname "$0")/lib.sh"
REPS=${REPS:-3}
MB=${MB:-64}
RANDOM_OPS=${RANDOM_OPS:-5000}

bench_up --pnodes 0 --mnodes 0
src=$STATE/bench.src
head -c $((MB << 20)) /dev/urandom >"$src"
rate() {
	sed -n 's|.*(\([0-9.]*\) MiB/s)$|\1|p'
}
per_s() {
	sed -n 's|.* in [0-9.]* s (\([0-9]*\)/s).*|\1|p'
}
w=""; r=""; rr=""; rw=""
for i in $(seq "$REPS"); do
	w="$w $(tess fs put -v "$src" /tmp/bench | rate)"
	r="$r $(tess fs get -v /tmp/bench /dev/null | rate)"
done
for i in $(seq "$REPS"); do
	rr="$rr $("$ROOT/build/fs-load" --state "$STATE" --seed "$i" pread /tmp/bench "$RANDOM_OPS" | per_s)"
	rw="$rw $("$ROOT/build/fs-load" --state "$STATE" --seed "$i" pwrite /tmp/bench "$RANDOM_OPS" | per_s)"
done
echo "fs sequential write, $MB MiB (put + fsync): $(echo $w | tr ' ' '\n' | median) MiB/s  (runs:$w)"
echo "fs sequential read, $MB MiB (get): $(echo $r | tr ' ' '\n' | median) MiB/s  (runs:$r)"
echo "fs random 4 KiB reads: $(echo $rr | tr ' ' '\n' | median)/s  (runs:$rr)"
echo "fs random 4 KiB writes: $(echo $rw | tr ' ' '\n' | median)/s  (runs:$rw)"
