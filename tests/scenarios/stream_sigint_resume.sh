#!/bin/sh
# stream_sigint_resume: stop with SIGINT and start again with the same state
# directory: it continues where it stopped (changes made while it was down
# arrive; nothing is replayed from the start).
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_IMAGE
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    --size 200 --prefix k 2>/dev/null || fail "load"

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
run() {
	exec "$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --state-dir "$T/state" --status=off
}
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }

(run >"$T/out1.log" 2>&1) &
sup=$!
track $sup
wait_for 60 "the stream to start" grep -q "Streaming started" "$T/out1.log"
ddbtool mutate src 500 --keys 4000 --prefix k --seed 3 || fail "mutator"
wait_for 60 "the destination to converge" converged
kill -INT $sup
wait $sup || fail "first run did not exit 0 after SIGINT"
grep -q "Stream stopped" "$T/state/pairs/src/worker.log" || fail "no clean stop"

# Changes while it is down.
ddbtool mutate src 500 --keys 4000 --prefix k --seed 4 || fail "mutator"
converged && fail "destination equal before restart: test is void"

(run >"$T/out2.log" 2>&1) &
sup=$!
track $sup
wait_for 60 "the destination to converge after restart" converged
kill -INT $sup
wait $sup || fail "second run did not exit 0"
cat "$T/out2.log"
grep -q "Backfill already complete" "$T/out2.log" || fail "backfill redone"
grep -q "Resuming stream from checkpoint" "$T/out2.log" || fail "stream did not resume"
ddbtool compare src dst || fail "destination differs"
