# shell traps on signals and on exit
trap 'echo got USR1' USR1
kill -USR1 $$
echo after
trap 'echo at exit' EXIT
trap - USR1
sh -c 'trap "echo child TERM; exit 9" TERM; kill -TERM $$; echo no'; echo "child: $?"
