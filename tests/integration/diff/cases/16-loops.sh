# for, while, until loops, break and continue
for i in 1 2 3; do echo "i=$i"; done
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	[ $i -eq 3 ] && continue
	[ $i -eq 7 ] && break
	printf '%d ' $i
done
echo
n=3
until [ $n -eq 0 ]; do echo "n=$n"; n=$((n - 1)); done
for f in *.txt; do echo "$f: $(wc -l <"$f")"; done
while read -r name city amount; do echo "$city/$name"; done <<X
a b 1
c d 2
X
