# ls -l with the date column replaced (clocks differ); modes, links, owners, sizes
# and symlink targets compared exactly. Directory sizes and "total" depend on the
# file system's block size (ext2 here, the host's /tmp there): not shown.
mkdir l28 l28/dir
printf abc >l28/f1
printf 0123456789 >l28/f2
chmod 600 l28/f1
chmod 755 l28/f2
ln -s f1 l28/link
ls -l l28 | grep -v '^total' | grep -v '^d' | sed -E 's/ [A-Z][a-z]{2} +[0-9]+ +([0-9]+:[0-9]+|[0-9]{4}) / DATE /'
ls -ld l28/dir | awk '{ print $1, $2, $3, $4 }'
ls -ln l28/f1 | awk '{ print $1, $3, $4, $5 }'
rm -r l28
