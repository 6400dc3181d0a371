# find by name, type and depth in a tree made here
mkdir -p t21/a/b t21/c
touch t21/a/x.txt t21/a/b/y.txt t21/c/z.log t21/top.txt
find t21 | sort
find t21 -type d | sort
find t21 -name '*.txt' | sort
find t21 -maxdepth 1 -type f
find t21 -name nothing
rm -r t21
