# cat of files from the storage node; -n numbers lines, -A shows tabs and ends
cat words.txt data.csv
cat -n odd.txt
cat -A odd.txt
