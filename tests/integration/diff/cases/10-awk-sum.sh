# awk: field splitting, associative arrays, END blocks
awk -F, 'NR > 1 { s[$2] += $3; n[$2]++ } END { for (k in s) print k, s[k], n[k] }' data.csv | sort
awk '{ bytes += $5 } END { print NR, bytes, bytes / NR }' access.log
awk '$4 >= 400 { print $1, $3 }' access.log
