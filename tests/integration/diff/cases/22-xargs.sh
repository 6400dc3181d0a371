# xargs: batching, -n, running applets from a list
seq 10 | xargs echo
printf 'a\nb\nc\n' | xargs -n 2 echo
ls *.txt | xargs wc -l
echo words.txt numbers.txt | xargs -n 1 head -n 1
echo | xargs -r echo not printed
