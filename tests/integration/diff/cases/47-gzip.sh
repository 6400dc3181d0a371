# gzip and gunzip round trips on the storage node
cp words.txt g47
gzip g47
ls g47*
gunzip g47.gz
cmp g47 words.txt && echo same
gzip -c <data.csv | gzip -dc
rm g47
