#!/bin/sh
# Runs every test: the C unit tests in the release and the sanitised builds,
# the fuzz harnesses (tests/fuzz/run.sh), then the black-box tests (pytest, real PostgreSQL,
# the sanitised daemons) in streams.
# Ends with one line: check: N passed, M failed. Exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
results=build/results
rm -rf "$results"
mkdir -p "$results"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

for t in build/rel/tests/test_* build/san/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(echo "$t" | sed -e 's|^build/||' -e 's|/tests/|-|')
	"$t" >"$results/unit-$name.log" 2>&1
	echo $? >"$results/unit-$name.rc"
	if [ "$(cat "$results/unit-$name.rc")" -ne 0 ]; then
		echo "unit $name: FAILED"
		cat "$results/unit-$name.log"
	else
		echo "unit $name: $(grep -E '^\[  PASSED  \]' "$results/unit-$name.log" | head -1)"
	fi
done

# The fuzz harnesses: each corpus once (regressions), then a short run of
# FUZZ_CHECK_SECONDS (default 20) each; a crash prints its reproducer and stack.
FUZZ_RESULTS="$results" sh tests/fuzz/run.sh check

# The black-box modules in BLACKBOX_JOBS streams at once (default: one per
# core), balanced by tests/split.py: much of their time is spent waiting on
# daemons, timeouts and PostgreSQL. Each stream has its own PostgreSQL
# cluster (conftest.py) and log; the logs are shown one after the other.
jobs=${BLACKBOX_JOBS:-$(nproc 2>/dev/null || echo 1)}
# The pipe's right side is a subshell: it waits for its own streams.
/usr/bin/python3 tests/split.py "$jobs" | {
i=0
while read -r files; do
	i=$((i + 1))
	[ -n "$files" ] || continue
	# shellcheck disable=SC2086
	{
		QPAYD_BIN_DIR="${QPAYD_BIN_DIR:-build/san/bin}" /usr/bin/python3 -m pytest -q \
			-p no:cacheprovider --junitxml="$results/pytest-$i.xml" $files \
			>"$results/pytest-$i.log" 2>&1
		echo $? >"$results/pytest-$i.rc"
	} &
done
wait
}
for log in "$results"/pytest-*.log; do
	echo "== black-box stream ${log##*/pytest-}"
	cat "$log"
done

exec /usr/bin/python3 tests/summarize.py "$results"
