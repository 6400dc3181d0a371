# uname's fixed fields; shell arithmetic
uname -s
uname -m
echo $(( 7 * 6 )) $(( 1 << 20 )) $(( -17 / 5 )) $(( -17 % 5 )) $(( 0x1f )) $(( 3 > 2 ))
