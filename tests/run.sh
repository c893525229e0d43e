#!/bin/sh
# Runs every test: the C unit tests in the release and the sanitised builds,
# the fuzz harnesses (tests/fuzz/run.sh), then the black-box tests (pytest, real PostgreSQL, the sanitised daemons).
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

QPAYD_BIN_DIR="${QPAYD_BIN_DIR:-build/san/bin}" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	--junitxml="$results/pytest.xml" tests/blackbox
echo $? >"$results/pytest.rc"

exec /usr/bin/python3 tests/summarize.py "$results"
