#!/bin/sh
# Runs the libFuzzer harnesses built in build/fuzz/bin (docs/fuzzing.md).
#
#   run.sh fuzz [NAME...]   each harness (default: all) for $FUZZ_SECONDS
#                           (default 60), in turn; the new inputs that add
#                           coverage go into tests/fuzz/corpus/NAME/, crashes
#                           into build/fuzz/crashes/
#   run.sh check [NAME...]  each corpus once (regressions), then
#                           $FUZZ_CHECK_SECONDS (default 20) of fuzzing on a
#                           temporary copy, so nothing is written into the
#                           repository; one line per harness, and
#                           $FUZZ_RESULTS/fuzz-NAME.rc and .log, which
#                           tests/summarize.py counts (tests/run.sh sets
#                           FUZZ_RESULTS=build/results)
#
# One process per harness, no -jobs or -fork (-jobs would send the output to
# fuzz-N.log in the current directory); check runs one harness per core at a
# time (FUZZ_JOBS), fuzz one after the other.
set -u
cd "$(dirname "$0")/../.." || exit 2
mode=$1
shift
# No names: every harness.
if [ $# -eq 0 ]; then
	for f in tests/fuzz/*.c; do
		n=${f#tests/fuzz/}
		set -- "$@" "${n%.c}"
	done
fi
seconds=${FUZZ_SECONDS:-60}
check_seconds=${FUZZ_CHECK_SECONDS:-20}
results=${FUZZ_RESULTS:-build/fuzz/results}
crashes=build/fuzz/crashes
mkdir -p "$results" "$crashes"
# Leaks are findings; -fno-sanitize-recover makes UBSan findings crashes too.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# Options every run shares. max_len bounds the inputs: the config reader gets
# a whole file's worth, the others a large answer's.
opts() {
	dict=tests/fuzz/$1.dict
	len=4096
	[ "$1" = config ] && len=8192
	echo "-max_len=$len -timeout=10 -rss_limit_mb=2048 -detect_leaks=1" \
		"-print_final_stats=1 -artifact_prefix=$crashes/$1-" \
		"$([ -f "$dict" ] && echo "-dict=$dict")"
}

# One harness: its log and exit status into $results (fuzz-NAME.log, .rc).
run_one() {
	name=$1
	bin=build/fuzz/bin/$name
	corpus=tests/fuzz/corpus/$name
	mkdir -p "$corpus"
	if [ "$mode" = fuzz ]; then
		# New inputs go to a scratch directory (the first one named), then
		# only those that add coverage are merged into the corpus: libFuzzer
		# alone keeps hundreds of near-duplicates a minute.
		new=$(mktemp -d)
		# shellcheck disable=SC2046
		{
			"$bin" $(opts "$name") -max_total_time="$seconds" "$new" "$corpus"
			rc=$?
			"$bin" $(opts "$name") -merge=1 "$corpus" "$new" || rc=$?
		} >"$results/fuzz-$name.log" 2>&1
		rm -rf "$new"
	else
		tmp=$(mktemp -d)
		cp -R "$corpus/." "$tmp/"
		# shellcheck disable=SC2046
		{
			echo "== regressions: every input of $corpus once"
			"$bin" $(opts "$name") -runs=0 "$corpus" &&
				echo "== ${check_seconds}s of fuzzing on a copy of the corpus" &&
				"$bin" $(opts "$name") -max_total_time="$check_seconds" "$tmp"
		} >"$results/fuzz-$name.log" 2>&1
		rc=$?
		rm -rf "$tmp"
	fi
	echo "$rc" >"$results/fuzz-$name.rc"
}

# The line for one harness that has run, from its .rc and .log.
report_one() {
	name=$1
	rc=$(cat "$results/fuzz-$name.rc")
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz $name: FAILED (exit $rc); reproducer and stack:"
		grep -E "^artifact_prefix|Test unit written to|^==[0-9]+==|^    #|broken promise|runtime error|^SUMMARY" \
			"$results/fuzz-$name.log" | head -60
		echo "(full log: $results/fuzz-$name.log; run again: build/fuzz/bin/$name <reproducer>)"
	else
		echo "fuzz $name: ok, $(grep -E '^stat::number_of_executed_units' "$results/fuzz-$name.log" |
			tail -1 | sed 's/.*: *//') runs, corpus $(find "tests/fuzz/corpus/$name" -type f | wc -l) inputs"
	fi
}

# check runs FUZZ_JOBS harnesses at a time (default: one per core), each a
# single process with its own short run: the same fuzzing per harness in
# half the time on two cores. fuzz runs them in turn, as it always did.
jobs=1
[ "$mode" = check ] && jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
failed=0
while [ $# -gt 0 ]; do
	batch=""
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
		[ "$mode" = fuzz ] && echo "fuzz $1: ${seconds}s"
		run_one "$1" &
		batch="$batch $1"
		i=$((i + 1))
		shift
	done
	wait
	for name in $batch; do
		report_one "$name"
	done
done
[ "$failed" -eq 0 ]
