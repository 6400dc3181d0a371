# extended regular expressions, counts, line numbers, inversion
grep -E '^(a|b)[a-z]+$' words.txt
grep -cE 'r{2}' words.txt
grep -nE 'x|z' words.txt
grep -vE 'a|e' words.txt
grep -E ' (4|5)[0-9]{2} ' access.log
