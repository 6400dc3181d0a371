# wc on files and on stdin
wc words.txt numbers.txt data.csv
wc -l <words.txt
wc -c odd.txt
wc -w access.log
