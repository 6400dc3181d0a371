# signals to background jobs: a sleeping one, and one looping without system calls
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
