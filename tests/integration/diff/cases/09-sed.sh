# sed: ranges, substitution, deletion, several expressions, hold space
sed -n '2,4p' words.txt
sed 's/a/A/g' words.txt | head -n 4
sed -e '/^[a-m]/d' -e 's/$/!/' words.txt
sed -n '$=' words.txt
sed '1!G;h;$!d' numbers.txt
echo 'key=value' | sed -E 's/([a-z]+)=([a-z]+)/\2=\1/'
