# printf formats and escapes
printf '%s-%05d-%x-%o-%.3f\n' abc 42 255 8 3.14159
printf '%-10s|%10s|\n' left right
printf '%c%c\n' A B
printf 'tab\there\\n literal\n'
printf '%d %d\n' 1 2 3 4
printf '%b\n' 'a\tb'
printf '%s\n' "$(printf '%03d' 5)"
