# cp, mv, rm in a directory of the storage node
mkdir c25
cp words.txt c25/w
cd c25
mv w w2
ls
cmp w2 ../words.txt && echo same
cp w2 w3 && mv w3 renamed
ls
rm w2
ls
rm renamed
ls | wc -l
cd ..
rmdir c25
test -e c25 || echo gone
