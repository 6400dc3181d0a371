# a missing command: 127 and the shell's message; a non-executable file: 126
nosuchcmd; echo "missing: $?"
./words.txt; echo "not executable: $?"
/nonexistent/prog; echo "no path: $?"
