# variables: defaults, lengths, prefix/suffix stripping, export to children
u=; echo "${u:-default} ${#HOME}"
p=/a/b/c.tar.gz
echo "${p##*/} ${p%.gz} ${p#/a/} ${p%%.*}"
export EXPORTED=yes
sh -c 'echo "child sees $EXPORTED"'
NOTEXPORTED=no; sh -c 'echo "child sees [$NOTEXPORTED]"'
echo "$HOME $USER $PATH"
set -- a b c; echo "$# $2 $*"
