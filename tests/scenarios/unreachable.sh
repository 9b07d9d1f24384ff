#!/bin/sh
# unreachable: an endpoint that refuses connections, or accepts them and
# never answers, is never retried in silence:
# - after about 5 s of retrying the log, worker.log and the pair's status
#   row say which call, where, why, and for how long;
# - a preflight that keeps failing gives up after a bounded time
#   (DDB_SYNC_PREFLIGHT_GIVE_UP_MS, 2 minutes by default, shrunk here) with
#   exit 2 and the reason;
# - SIGINT or SIGTERM during those retries stops the worker at once (the
#   supervisor's grace is shrunk to 5 s: a worker that waits it out fails);
# - an outage that heals is said to have healed, and the copy completes;
# - workers run with a core file size limit of 0.
. "$(dirname "$0")/../lib/harness.sh"

export DDB_SYNC_SHUTDOWN_TIMEOUT_MS=5000

# A port nobody listens on, and one that accepts and never answers.
DEAD=http://127.0.0.1:$(free_port)
node -e 'const s = require("net").createServer(() => {});
    s.listen(0, "127.0.0.1", () => require("fs").writeFileSync(
    process.argv[1], String(s.address().port)))' "$T/hole.port" &
track $!
wait_for 20 "the silent listener" test -s "$T/hole.port"
HOLE=http://127.0.0.1:$(cat "$T/hole.port")

# start NAME URL: a backfill from URL in the background; sets sup.
start() {
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$2" --output-endpoint-url "$2" \
	    --stream=false --state-dir "$T/state-$1" --status=plain \
	    --status-interval=500ms >"$T/$1.out" 2>"$T/$1.err" &
	sup=$!
	track $sup
}

# Refused connections: said after ~5 s, given up after the bound, exit 2.
DDB_SYNC_PREFLIGHT_GIVE_UP_MS=12000 start refused "$DEAD"
wait $sup
rc=$?
cat "$T/refused.out"
expect_eq "exit status after the preflight gave up" "$rc" 2
grep -q "warning: source DescribeTable at $DEAD failing for [0-9]*s, still retrying: NetworkError: .*onnect" \
    "$T/refused.out" || fail "no retry notice in the log"
grep -q "source DescribeTable at $DEAD failing for" \
    "$T/state-refused/pairs/src/worker.log" || fail "no retry notice in worker.log"
grep -q "RETRYING: source DescribeTable at $DEAD failing for" \
    "$T/refused.err" || fail "the status row did not say why it waits"
grep -q "DescribeTable at $DEAD kept failing for 12s, giving up" \
    "$T/refused.out" || fail "the preflight did not give up with its reason"

# No answer at all (the request times out): said the same way.
export DDB_SYNC_REQUEST_TIMEOUT_MS=1500
DDB_SYNC_PREFLIGHT_GIVE_UP_MS=10000 start silent "$HOLE"
wait $sup
rc=$?
expect_eq "exit status for an endpoint that never answers" "$rc" 2
grep -q "source DescribeTable at $HOLE failing for .*timed out" \
    "$T/silent.out" || fail "no notice of the timeouts: $(cat "$T/silent.out")"
unset DDB_SYNC_REQUEST_TIMEOUT_MS

# SIGINT while the preflight retries refused connections (default bound).
start sigint "$DEAD"
wait_for 60 "the retry notice" grep -q "failing for" "$T/sigint.out"
# Meanwhile: the worker, which holds credentials, can leave no core file.
wpid=$(cat "$T/state-sigint/pairs/src/lock")
grep -Eq "^Max core file size +0 +0 " "/proc/$wpid/limits" ||
    fail "the worker may dump core: $(grep core "/proc/$wpid/limits")"
kill -INT $sup
wait $sup
rc=$?
cat "$T/sigint.out"
expect_eq "exit status after SIGINT during the preflight" "$rc" 0
grep -q "did not stop in time" "$T/sigint.out" &&
    fail "the worker ignored SIGINT during the preflight"
grep -q "Stopped" "$T/sigint.out" || fail "no stop reported"

# SIGTERM while the worker waits for an answer that never comes.
start sigterm "$HOLE"
wait_for 30 "the first request" grep -q "credentials from" "$T/sigterm.out"
sleep 1
kill -TERM $sup
wait $sup
rc=$?
expect_eq "exit status after SIGTERM during a request" "$rc" 0
grep -q "did not stop in time" "$T/sigterm.out" &&
    fail "the worker ignored SIGTERM while waiting for an answer"

# An outage that heals: connections reset until the rules are cleared.
ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 1000 \
    2>/dev/null || fail "load"
echo '[{"target": "*", "fault": "reset_before"}]' >"$T/rules.json"
proxy_start "$T/rules.json"
start heals "$PROXY"
wait_for 60 "the retry notice" grep -q "failing for" "$T/heals.out"
proxy_post /__rules '[]'
wait $sup
rc=$?
tail -n 8 "$T/heals.out"
expect_eq "exit status after the outage healed" "$rc" 0
grep -q "source DescribeTable at $PROXY: recovered after [0-9]*s" \
    "$T/heals.out" || fail "the recovery was not reported"
grep -q "Backfill complete. 1000 items written" "$T/heals.out" ||
    fail "the copy did not complete"
ddbtool compare src dst || fail "destination differs"
