# #! scripts run by execve (Linux's binfmt_script): the interpreter with its one
# optional argument (the rest of the line, inner spaces kept), $0 and the
# arguments, a relative interpreter, a chain of scripts as deep as Linux allows
# (5; one more is ELOOP), a missing interpreter (the shell's 127), one that
# cannot be run (126), and "#!" with no name (ENOEXEC: the shell runs the file).
mkdir -p sb && cd sb || exit 1
printf '#!/bin/busybox sh\necho "hello: $0 [$1] [$2]"\nexit 4\n' >hello
printf '#!/bin/busybox sh -e\necho unreachable\n' >twowords
printf '#!  /bin/busybox\techo   one  two \t\n' >echoarg
printf '#!/nope/sh\necho unreachable\n' >missing
printf '#!/etc/passwd\n' >notexec
printf '#!/tmp\n' >isdir
printf '#!\necho "no interpreter: the shell ran me"\n' >noname
printf '#!hello\n' >relative
printf '#!/bin/busybox sh\necho "s0: $0 $*"\n' >s0
for i in 1 2 3 4 5; do
	printf '#!%s/s%d x%d\n' "$PWD" $((i - 1)) $i >s$i
done
chmod +x *
./hello a "b c"; echo "hello: $?"
"$PWD/hello" z; echo "absolute: $?"
./twowords; echo "twowords: $?"
./echoarg x; echo "echoarg: $?"
./missing; echo "missing: $?"
./notexec; echo "notexec: $?"
./isdir; echo "isdir: $?"
./noname; echo "noname: $?"
./relative y; echo "relative: $?"
./s4 a b; echo "s4: $?"
./s5 a b; echo "s5: $?"
sh -c 'exec ./s1 via exec'; echo "exec: $?"
cd .. && rm -rf sb
