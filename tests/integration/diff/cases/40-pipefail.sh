# pipeline statuses with and without pipefail
false | true; echo "last: $?"
true | false; echo "last: $?"
set -o pipefail
false | true; echo "pipefail: $?"
(exit 3) | (exit 0); echo "pipefail: $?"
