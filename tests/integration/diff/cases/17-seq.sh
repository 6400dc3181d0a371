# seq: ranges, steps, separators, widths
seq 5
seq 2 3 20
seq -s, 10
seq -w 8 11
seq 5 -1 1 | tr '\n' ' '; echo
