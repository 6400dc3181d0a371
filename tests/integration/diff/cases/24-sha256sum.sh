# sha256sum of files, of stdin, of a generated stream
sha256sum words.txt odd.txt
printf abc | sha256sum
seq 100000 | sha256sum
