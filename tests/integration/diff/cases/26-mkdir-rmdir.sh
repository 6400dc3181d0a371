# mkdir -p, rmdir, rm -r, and their errors
mkdir -p d26/a/b/c
ls -R d26
mkdir d26; echo "mkdir existing: $?"
rmdir d26; echo "rmdir non-empty: $?"
rmdir d26/a/b/c
rm -r d26
test ! -e d26 && echo gone
rmdir nosuch; echo "rmdir missing: $?"
