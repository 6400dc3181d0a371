# head and tail by lines and bytes
head -n 3 words.txt
tail -n 2 words.txt
head -c 10 data.csv; echo
tail -c 12 odd.txt; echo
tail -n +26 words.txt
