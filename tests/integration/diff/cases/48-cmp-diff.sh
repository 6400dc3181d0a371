# cmp and diff: identical and differing files, statuses
cp words.txt d48
cmp words.txt d48; echo "cmp same: $?"
sed 's/kiwi/KIWI/' words.txt >d48
cmp words.txt d48; echo "cmp differ: $?"
diff words.txt d48 | grep '^[-+][^-+]'; echo "diff: $?"
rm d48
