#!/bin/sh
# Nanoseconds per request line (bench/logfmt.c), with this tree's
# common/log.c and, given a git revision, with that revision's log.c too;
# rounds alternate between the two. Needs only cc: log.c uses libc alone.
#
# Usage: bench/logfmt.sh [REV] [LINES] [ROUNDS]
#   bench/logfmt.sh HEAD~1 2000000 5   # before (HEAD~1) and after (this tree)
set -eu
cd "$(dirname "$0")/.."
rev=${1:-}
lines=${2:-2000000}
rounds=${3:-5}
out=build/bench
mkdir -p "$out"
flags="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g"

# shellcheck disable=SC2086
cc $flags -Icommon bench/logfmt.c common/log.c -o "$out/logfmt" -lpthread
if [ -n "$rev" ]; then
	old="$out/log-$(git rev-parse --short "$rev")"
	mkdir -p "$old"
	git show "$rev:common/log.c" > "$old/log.c"
	git show "$rev:common/log.h" > "$old/log.h"
	# shellcheck disable=SC2086
	cc $flags -I"$old" bench/logfmt.c "$old/log.c" -o "$old/logfmt" -lpthread
fi

i=0
while [ "$i" -lt "$rounds" ]; do
	if [ -n "$rev" ]; then
		printf '%s: ' "$rev"
		"$old/logfmt" "$lines"
	fi
	printf 'this tree: '
	"$out/logfmt" "$lines"
	i=$((i + 1))
done
