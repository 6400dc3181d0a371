# ls: names, -1, -a, -d, -F, -R, sorting options that do not depend on time
mkdir l27 l27/sub
printf 12345 >l27/five
printf 1 >l27/one
ln -s five l27/link
touch l27/.hidden
ls l27
ls -1 l27
ls -a l27
ls -A l27
ls -F l27
ls -d l27
ls -S l27
ls -r l27
ls -R l27
ls nosuch; echo "missing: $?"
rm -r l27
