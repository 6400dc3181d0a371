# cd in subshells does not leak; pwd is the same path in both worlds
(cd / && pwd)
pwd
cd .. && cd - >/dev/null && basename "$(pwd)"
dirname /a/b/c; basename /a/b/c.txt .txt
