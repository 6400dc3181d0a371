# od and dd on file data
printf 'ABC\001\n' | od -c
od -An -tx1 -N 8 words.txt
dd if=words.txt bs=4 count=3 2>/dev/null; echo
dd if=words.txt bs=1 skip=6 count=6 2>/dev/null
