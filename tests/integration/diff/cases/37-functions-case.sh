# shell functions, recursion, case, local variables
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
fact 10
kind() {
	case $1 in
	*.txt) echo "$1: text" ;;
	*.csv|*.tsv) echo "$1: table" ;;
	[0-9]*) echo "$1: number" ;;
	*) echo "$1: other" ;;
	esac
}
for a in words.txt data.csv 42 x.bin; do kind $a; done
f() { local v=inner; echo $v; }
v=outer; f; echo $v
