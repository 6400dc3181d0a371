# expr arithmetic, strings, comparisons and its exit status (1 for 0 or "")
expr 3 + 4
expr 10 / 3
expr 10 % 3
expr length hello
expr substr hello 2 3
expr 5 \> 3
expr abc : 'a\(.\)'
expr 0 + 0; echo "status $?"
expr 1 / 0; echo "status $?"
