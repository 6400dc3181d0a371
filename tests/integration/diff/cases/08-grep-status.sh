# grep's exit statuses: 0 match, 1 none, 2 error (with its message)
grep -q apple words.txt; echo "match: $?"
grep zzzz words.txt; echo "none: $?"
grep foo nosuch.txt; echo "error: $?"
