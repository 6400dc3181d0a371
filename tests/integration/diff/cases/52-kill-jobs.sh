# signals to background jobs: a sleeping one, and one looping without system calls.
# The shell's own job notices ("Terminated", "Killed") depend on whether the job
# is reaped by `wait` or by the SIGCHLD handler first, a race on Linux too: they
# go to /dev/null, the statuses are compared.
(
sleep 10 &
kill $!
wait $!
echo "sleep: $?"
sh -c 'while :; do :; done' &
p=$!
sleep 0.2
kill -9 $p
wait $p
echo "busy loop: $?"
kill -0 $p 2>/dev/null; echo "after: $?"
) 2>/dev/null
