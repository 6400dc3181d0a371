# exit statuses of commands and subshells; the script's own status is 7
sh -c 'exit 3'; echo "sh: $?"
(exit 42); echo "subshell: $?"
false; echo "false: $?"
! true; echo "negated: $?"
exit 7
