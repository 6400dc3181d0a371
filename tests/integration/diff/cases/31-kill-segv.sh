# the shell sends itself SIGSEGV: exit status 128 + 11
echo before
kill -SEGV $$
echo not reached
