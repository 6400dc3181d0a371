# && and || chains and their statuses
true && echo yes || echo no
false && echo yes || echo no
test -f words.txt && echo "words.txt is a file"
test -d nosuch || echo "nosuch is not a directory"
grep -q kiwi words.txt && grep -q lemon words.txt && echo both
false || false || echo "third"
false && true; echo "status $?"
