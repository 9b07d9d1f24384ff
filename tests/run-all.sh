#!/bin/sh
# run-all.sh: the whole suite: unit tests, then every scenario in
# tests/scenarios/ (each a shell script: exit 0 pass, 77 skip, else fail).
# SCENARIOS="a b" runs only those, JOBS=N that many at a time. Ends with
# "N passed, N failed".
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
# Scenarios run JOBS at a time (default: one per CPU): each starts its own
# servers on free loopback ports and works in its own temporary directory,
# so they do not share anything. Each one's output is printed whole when it
# ends; the tally below follows the list's order.
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
rdir=$(mktemp -d "${TMPDIR:-/tmp}/ddb-sync-runs.XXXXXX")
# The longest first, so that the pool ends together.
first="governor_shared crash_points spool_long_backfill spool_full control
    backfill_kill_worker tls_reuse supervisor_stdout_stall fuzz
    backfill_kill_supervisor governor_write_limit spool_kill"
ordered=""
for f in $first; do
	case " $(echo $list) " in
	*"tests/scenarios/$f.sh"*) ordered="$ordered tests/scenarios/$f.sh" ;;
	esac
done
for s in $list; do
	case " $ordered " in *" $s "*) ;; *) ordered="$ordered $s" ;; esac
done
printf '%s\n' $ordered | xargs -P "$jobs" -I{} tests/run-scenario.sh "$rdir" {}
for s in $ordered; do
	name=$(basename "$s" .sh)
	rc=1
	[ -f "$rdir/$name.rc" ] && read -r rc secs <"$rdir/$name.rc"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	elif [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
	else
		failed=$((failed + 1))
		failures="$failures $name"
	fi
done
rm -rf "$rdir"
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
