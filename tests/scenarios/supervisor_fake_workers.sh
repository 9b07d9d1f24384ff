#!/bin/sh
# supervisor_fake_workers: the real supervisor against scripted workers that
# send garbage, overlong lines, no hello, crash, or ignore SIGTERM. Each is
# handled as that pair's failure (killed, restarted with backoff, then
# FAILED), never the supervisor's; the good pair completes; a worker that
# ignores SIGTERM is killed after the shutdown grace.
. "$(dirname "$0")/../lib/harness.sh"

export DDB_SYNC_WORKER="$ROOT/tests/fakes/fakeworker.sh"
export DDB_SYNC_RESTART_BASE_MS=100 DDB_SYNC_MAX_QUICK_DEATHS=3
plan() {
	{
		echo "plan:"
		for t in "$@"; do
			echo "  - input: {table: $t, region: us-east-1}"
			echo "    output: {table: $t-copy}"
		done
	} >"$T/plan.yml"
}
plan good garbage overlong nohello crash
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>&1
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 1
grep -q "\[good\] ⇨ \[good-copy\]: Backfill complete\. 42 items written" "$T/out.log" ||
    fail "the good pair did not complete"
grep -q "\[good\] ⇨ \[good-copy\]: warning: fake warning line" "$T/out.log" ||
    fail "a worker's warning was not logged"
for t in garbage overlong nohello; do
	grep -q "\[$t\] ⇨ \[$t-copy\]: error: protocol error from worker" "$T/out.log" ||
	    fail "no protocol error for $t"
done
grep -q "\[overlong\].*longer than the protocol maximum" "$T/out.log" || fail "overlong not named"
grep -q "\[nohello\].*first message is not hello" "$T/out.log" || fail "missing hello not named"
grep -q "\[crash\] ⇨ \[crash-copy\]: warning: worker: fake worker: about to crash" "$T/out.log" ||
    fail "the worker's stderr was not logged"
for t in garbage overlong nohello crash; do
	n=$(grep -c "\[$t\] ⇨ \[$t-copy\]: warning: Worker crashed" "$T/out.log")
	expect_eq "restarts of $t" "$n" 2
	grep -q "\[$t\] ⇨ \[$t-copy\]: error: Pair FAILED" "$T/out.log" || fail "$t not FAILED"
done
grep -q "fake warning line" "$T/state/pairs/good/worker.log" || fail "per-worker log incomplete"
grep -q "crash" "$T/state/pairs/good/worker.log" && fail "another pair's lines in good's log"

# A worker that ignores SIGTERM is killed after the grace period.
plan hang good
export DDB_SYNC_SHUTDOWN_TIMEOUT_MS=1000 DDB_SYNC_FAKE_PIDDIR=$T
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state2" \
    --status=off >"$T/out2.log" 2>&1 &
sup=$!
track $sup
wait_for 10 "the hanging worker" test -s "$T/hang.pid"
sleep 0.5
kill -INT $sup
wait $sup
rc=$?
cat "$T/out2.log"
expect_eq "exit status after SIGINT" "$rc" 0
grep -q "Workers did not stop in time; killing them" "$T/out2.log" || fail "no escalation"
kill -0 "$(cat "$T/hang.pid")" 2>/dev/null && fail "the hanging worker survived"
true
