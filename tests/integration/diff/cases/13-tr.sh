# tr: deletion, squeezing, classes, ranges
tr -d aeiou <words.txt | head -n 5
echo 'hello    world' | tr -s ' l'
tr '[:lower:]' '[:upper:]' <data.csv | tail -n 2
echo abc | tr 'a-c' 'x-z'
printf 'a\nb\nc\n' | tr '\n' ','; echo
