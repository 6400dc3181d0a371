# stdout and stderr kept apart; error messages from applets
echo to-out
echo to-err >&2
cat nosuch
echo "cat: $?"
head -n 1 nosuch words.txt
echo "head: $?"
