#!/bin/sh
# run-all.sh: the whole suite: unit tests, then every scenario in
# tests/scenarios/ (each a shell script: exit 0 pass, 77 skip, else fail).
# SCENARIOS="a b" runs only those. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD

# Under ASan/UBSan, reports go to files instead of changing how the
# programs exit (a worker that dies of a report would only be restarted);
# any report at the end is a failure.
sandir=""
case "$BUILD" in
*san*)
	sandir=$(mktemp -d "${TMPDIR:-/tmp}/ddb-sync-san.XXXXXX")
	export ASAN_OPTIONS="log_path=$sandir/asan:exitcode=0:detect_leaks=1"
	export UBSAN_OPTIONS="log_path=$sandir/ubsan:print_stacktrace=1:halt_on_error=0"
	;;
esac

out=$(mktemp)
tests/run-units.sh "$@" | tee "$out"
summary=$(tail -n 1 "$out")
rm -f "$out"
up=$(echo "$summary" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
uf=$(echo "$summary" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
passed=${up:-0}
failed=${uf:-1}
skipped=0
failures=""

if [ -n "${SCENARIOS:-}" ]; then
	list=""
	for s in $SCENARIOS; do
		list="$list tests/scenarios/$s.sh"
	done
else
	list=$(ls tests/scenarios/*.sh 2>/dev/null)
fi
for s in ${SKIP_SCENARIOS:-}; do
	list=$(echo "$list" | tr ' ' '\n' | grep -v "/$s.sh$")
done
for s in $list; do
	name=$(basename "$s" .sh)
	start=$(date +%s)
	printf '=== scenario %s\n' "$name"
	# A hung scenario must fail alone, not eat the CI's time: timeout(1)
	# signals the scenario's whole process group (servers included), the
	# harness's trap stops what it started.
	timeout -k 30 "${SCENARIO_TIMEOUT:-600}" sh "$s"
	rc=$?
	[ "$rc" -eq 124 ] && echo "$name: timed out after ${SCENARIO_TIMEOUT:-600}s"
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		printf -- '--- PASS %s (%ss)\n' "$name" "$secs"
		passed=$((passed + 1))
	elif [ "$rc" -eq 77 ]; then
		printf -- '--- SKIP %s\n' "$name"
		skipped=$((skipped + 1))
	else
		printf -- '--- FAIL %s (exit %s, %ss)\n' "$name" "$rc" "$secs"
		failed=$((failed + 1))
		failures="$failures $name"
	fi
done
if [ -n "$sandir" ]; then
	if [ -n "$(ls -A "$sandir")" ]; then
		echo "=== sanitizer reports"
		cat "$sandir"/*
		failed=$((failed + 1))
		failures="$failures sanitizers"
	else
		echo "sanitizers: no reports"
	fi
	rm -rf "$sandir"
fi
[ -n "$failures" ] && echo "failed scenarios:$failures"
[ "$skipped" -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
