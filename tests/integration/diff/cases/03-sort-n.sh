# numeric sort, reverse, unique, by key
sort -n numbers.txt
sort -rn numbers.txt | head -n 3
sort -u words.txt
sort -t, -k3,3n data.csv
