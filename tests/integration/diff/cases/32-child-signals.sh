# children killed by signals, seen by the parent shell as 128 + n
sh -c 'kill -TERM $$'; echo "TERM: $?"
sh -c 'kill -9 $$'; echo "KILL: $?"
sh -c 'kill -INT $$'; echo "INT: $?"
sh -c 'kill -USR1 $$'; echo "USR1: $?"
sh -c 'kill -SEGV $$'; echo "SEGV: $?"
