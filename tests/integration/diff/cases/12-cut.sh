# cut by delimiter and by character
cut -d, -f1,3 data.csv
cut -c1-3 words.txt | head -n 5
cut -d' ' -f2- access.log | head -n 3
