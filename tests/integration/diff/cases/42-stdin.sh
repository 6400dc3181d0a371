# the program's stdin comes from tess run (here a file)
sort -n | head -n 4
