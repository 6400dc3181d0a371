# t-fs-errors: file errors come back through gmmd as the errno Linux would
# give, each printed like coreutils with a non-zero exit: ENOENT, ENOTDIR,
# EISDIR, EEXIST, ENOTEMPTY, ENAMETOOLONG, ELOOP, and ENOSPC on a small disk
# (after which rm frees the space and a put succeeds).
. "$(dirname "$0")/lib.sh"

out=$(tess up --pnodes 0 --mnodes 0 --disk-size 8M) || fail "tess up: $out"

expect_err 1 "^tess: fs cat /nope: No such file or directory$" tess fs cat /nope
expect_err 1 "fs cat /etc/passwd/x: Not a directory$" tess fs cat /etc/passwd/x
expect_err 1 "fs cat /etc: Is a directory$" tess fs cat /etc
expect_err 1 "fs mkdir /etc: File exists$" tess fs mkdir /etc
expect_err 1 "fs rmdir /etc: Directory not empty$" tess fs rmdir /etc
long=$(printf 'n%.0s' $(seq 256))
expect_err 1 ": File name too long$" tess fs mkdir "/tmp/$long"
tess fs ln -s /tmp/b /tmp/a || fail "ln -s /tmp/b /tmp/a"
tess fs ln -s /tmp/a /tmp/b || fail "ln -s /tmp/a /tmp/b"
expect_err 1 "fs cat /tmp/a: Too many levels of symbolic links$" tess fs cat /tmp/a
expect_err 1 "fs rm /nope: No such file or directory$" tess fs rm /nope
expect_err 1 "fs ls /nope: No such file or directory$" tess fs ls /nope

# ENOSPC: a 16 MiB file does not fit on an 8 MiB disk.
big=$TESS_IT_ROOT/errors.16m
small=$TESS_IT_ROOT/errors.1m
head -c $((16 << 20)) /dev/urandom >"$big"
head -c $((1 << 20)) /dev/urandom >"$small"
expect_err 1 "fs put /tmp/big: No space left on device$" tess fs put "$big" /tmp/big
avail=$(tess fs df | awk 'NR == 2 { print $4 }')
ok "df after ENOSPC: avail $avail"
tess fs rm /tmp/big || fail "rm /tmp/big after ENOSPC"
tess fs put "$small" /tmp/small || fail "put after rm freed the space"
tess fs get /tmp/small - | cmp -s - "$small" || fail "/tmp/small reads back different"
ok "rm freed the space; a 1 MiB put and get succeed"
tess down >/dev/null || fail "tess down"
tess fsck >/dev/null 2>&1 || fail "not clean after ENOSPC: $(tess fsck 2>&1 | tail -n 5)"
ok "tess fsck clean after ENOSPC"
