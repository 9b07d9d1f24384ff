#!/bin/sh
# run-scenario.sh DIR SCRIPT: run one scenario for run-all.sh, under a
# timeout, into DIR/NAME.log; record "RC SECONDS" in DIR/NAME.rc; then print
# the log whole, under a lock, so that parallel scenarios never interleave.
dir=$1
s=$2
name=$(basename "$s" .sh)
start=$(date +%s)
{
	printf '=== scenario %s\n' "$name"
	# A hung scenario must fail alone, not eat the CI's time: timeout(1)
	# signals the scenario's whole process group (servers included), the
	# harness's trap stops what it started.
	timeout -k 30 "${SCENARIO_TIMEOUT:-600}" sh "$s" </dev/null
	rc=$?
	[ "$rc" -eq 124 ] &&
	    echo "$name: timed out after ${SCENARIO_TIMEOUT:-600}s"
	echo "$rc" >"$dir/$name.rc.tmp"
} >"$dir/$name.log" 2>&1
rc=$(cat "$dir/$name.rc.tmp")
secs=$(($(date +%s) - start))
if [ "$rc" -eq 0 ]; then
	line="--- PASS $name (${secs}s)"
elif [ "$rc" -eq 77 ]; then
	line="--- SKIP $name"
else
	line="--- FAIL $name (exit $rc, ${secs}s)"
fi
echo "$line" >>"$dir/$name.log"
echo "$rc $secs" >"$dir/$name.rc"
flock "$dir/.lock" cat "$dir/$name.log"
exit 0
