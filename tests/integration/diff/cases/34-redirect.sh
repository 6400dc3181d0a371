# >, >>, <, 2>, 2>&1, fd 3 and read
echo one >r34
echo two >>r34
cat r34
wc -l <r34
ls nosuch 2>err34; echo "status $?"
cat err34
ls nosuch words.txt >out34 2>&1; cat out34
exec 3<r34
read -r line <&3
echo "first: $line"
read -r line <&3
echo "second: $line"
exec 3<&-
rm r34 err34 out34
