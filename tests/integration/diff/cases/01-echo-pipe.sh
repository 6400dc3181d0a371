# a two-stage pipeline
echo hello world | tr a-z A-Z
