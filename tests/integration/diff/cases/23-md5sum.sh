# md5sum of files and stdin, and -c checking
md5sum words.txt numbers.txt data.csv
md5sum <access.log
md5sum words.txt >sums.23
md5sum -c sums.23
rm sums.23
