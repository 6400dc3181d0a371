# /dev/null and /dev/zero (the process node serves them; see docs/process.md); id.
# Bare `id` is left out: its groups= part shows the supplementary groups of
# whoever started the test on the host (none in a vNode).
echo hidden >/dev/null
cat /dev/null | wc -c
head -c 8 /dev/zero | od -An -tx1
test -c /dev/null && echo "/dev/null is a character device"
ls nosuch 2>/dev/null; echo "status $?"
id -u
id -un
id -gn
