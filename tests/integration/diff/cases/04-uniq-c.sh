# counting duplicates
sort words.txt | uniq -c
sort words.txt | uniq -d
sort words.txt | uniq -c | sort -k1,1nr -k2,2 | head -n 3
