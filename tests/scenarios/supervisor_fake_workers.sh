#!/bin/sh
# supervisor_fake_workers: the real supervisor against scripted workers that
# send garbage, overlong lines, no hello, crash, or ignore SIGTERM, and that
# break each session rule of proto/PROTOCOL.md: a second hello, a message
# after done, a line cut short by EOF, a hello with another pid, no hello
# within the timeout, exit 0 without done, exit 3 without a fatal error.
# Each is that pair's failure (stopped, restarted with backoff, then FAILED),
# never the supervisor's; a protocol error is answered with SIGTERM, then
# SIGKILL after the grace; the good pair completes; a worker that ignores
# SIGTERM is killed after the shutdown grace.
. "$(dirname "$0")/../lib/harness.sh"

export DDB_SYNC_WORKER="$ROOT/tests/fakes/fakeworker.sh"
export DDB_SYNC_RESTART_BASE_MS=100 DDB_SYNC_MAX_QUICK_DEATHS=3
export DDB_SYNC_HELLO_TIMEOUT_MS=1000 DDB_SYNC_STOP_GRACE_MS=1000
export DDB_SYNC_FAKE_PIDDIR=$T
plan() {
	{
		echo "plan:"
		for t in "$@"; do
			echo "  - input: {table: $t, region: us-east-1}"
			echo "    output: {table: $t-copy}"
		done
	} >"$T/plan.yml"
}
rules="secondhello afterdone truncated wrongpid silent nodone stubborn"
plan good garbage overlong nohello crash $rules exit3
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
for t in garbage overlong nohello crash $rules; do
	n=$(grep -c "\[$t\] ⇨ \[$t-copy\]: warning: Worker crashed" "$T/out.log")
	expect_eq "restarts of $t" "$n" 2
	grep -q "\[$t\] ⇨ \[$t-copy\]: error: Pair FAILED" "$T/out.log" || fail "$t not FAILED"
done
# Each session rule, named.
perr() {
	grep -q "\[$1\] ⇨ \[$1-copy\]: error: protocol error from worker (pid [0-9]*): $2" \
	    "$T/out.log" || fail "$1: no protocol error '$2'"
}
perr secondhello "second hello"
perr afterdone "log after done"
perr truncated "the channel closed in the middle of a line"
perr wrongpid "hello from pid 1, but the worker started is pid"
perr silent "sent no hello within 1s of its start"
perr nodone "exited with status 0 without sending done"
perr stubborn "not valid JSON"
perr exit3 "exited with status 3 without reporting a fatal error"
# Exit 3 still means "do not restart me".
grep -q "\[exit3\] ⇨ \[exit3-copy\]: warning: Worker crashed" "$T/out.log" &&
    fail "exit3 was restarted"
grep -q "\[exit3\] ⇨ \[exit3-copy\]: error: Pair FAILED (worker exited with status 3)" \
    "$T/out.log" || fail "exit3 not FAILED at once"
# SIGTERM first, then SIGKILL once the grace is over.
test -s "$T/stubborn.term" || fail "the stubborn worker never got SIGTERM"
n=$(grep -c "\[stubborn\] ⇨ \[stubborn-copy\]: warning: Worker (pid [0-9]*) did not stop within 1s of SIGTERM; killing it" "$T/out.log")
expect_eq "SIGKILLs after the grace" "$n" 3
grep -q "\[stubborn\] ⇨ \[stubborn-copy\]: warning: Worker crashed (killed by signal 9" \
    "$T/out.log" || fail "the stubborn worker was not killed"
# A worker that stops on SIGTERM is not killed.
grep -q "\[secondhello\].*did not stop within" "$T/out.log" &&
    fail "a worker that stopped on SIGTERM was killed"
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
