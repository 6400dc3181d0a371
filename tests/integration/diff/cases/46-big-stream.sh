# larger data through pipes: 100,000 lines
seq 1 100000 | awk '{ s += $1 } END { print s }'
seq 1 100000 | sort -rn | head -n 3
seq 1 100000 | md5sum
seq 1 100000 >big46
wc -lc big46
sha256sum big46
tail -n 1 big46
rm big46
