# writers killed by SIGPIPE when the reader leaves early
yes | head -n 3
seq 1000000 | head -n 2
set -o pipefail
yes | head -n 1 >/dev/null; echo "pipefail status: $?"
