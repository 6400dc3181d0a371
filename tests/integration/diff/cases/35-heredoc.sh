# here-documents, quoted and unquoted
x=expanded
cat <<END
value: $x
$(echo command)
END
cat <<'END'
value: $x
END
tr a-z A-Z <<END
shout $x
END
