# $( ) and backquotes, nested, in arithmetic and in strings
n=$(wc -l <words.txt)
echo "lines: $n"
echo "$(echo "$(echo nested twice)")"
echo "sum: $(( $(wc -l <numbers.txt) + `wc -l <data.csv` ))"
first=$(head -n 1 words.txt); echo "first=$first"
