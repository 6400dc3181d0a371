# a seven-process pipeline
cat words.txt | sort | uniq | grep -v '^$' | tr a-z A-Z | head -n 5 | tail -n 2
cat access.log | awk '{ print $1 }' | sort | uniq -c | sort -rn | head -n 2 | wc -l
