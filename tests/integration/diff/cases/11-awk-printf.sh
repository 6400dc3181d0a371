# awk formatting, math and string functions
awk 'BEGIN { printf "%5.2f|%-6s|%03d|%x|%e\n", 3.14159, "ab", 7, 255, 12345.678 }'
awk 'BEGIN { print sqrt(2), int(-3.7), 2^10, 10 % 3, length("hello") }'
awk '{ print toupper(substr($0, 1, 3)), index($0, "an") }' words.txt | head -n 5
awk 'BEGIN { n = split("a:b:c:d", parts, ":"); print n, parts[3] }'
awk 'BEGIN { s = "foo bar foo"; gsub(/foo/, "baz", s); print s }'
