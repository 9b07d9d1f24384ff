#!/bin/sh
# stream_trimmed: resuming a shard whose checkpoint lies beyond the trim
# horizon (TrimmedDataAccessException) is a gap: reported as an error that
# stops the pair, not skipped.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
proxy_start
ddbtool create-table src --hash pk:S --stream NEW_IMAGE
ddbtool create-table dst --hash pk:S
export DDB_SYNC_POLL_MS=200
run() {
	exec "$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$PROXY" --output-endpoint-url "$ENDPOINT" \
	    --backfill=false --state-dir "$T/state" --status=off
}
(run >"$T/out1.log" 2>&1) &
sup=$!
track $sup
wait_for 30 "the stream to start" grep -q "Streaming started" "$T/out1.log"
ddbtool mutate src 100 --keys 50 --seed 5 || fail "mutator"
wait_for 30 "changes applied" sh -c "[ \$(node '$ROOT/tests/node/ddbtool.js' --endpoint '$ENDPOINT' count dst) -gt 0 ]"
sleep 1
kill -INT $sup
wait $sup || fail "first run failed"
n=$(json "$T/state/pairs/src/checkpoint.json" 'j.stream.shards.filter((s) => s.seq).length')
[ "$n" -gt 0 ] || fail "no shard checkpoint to resume from"

proxy_post /__rules '[{"target": "GetShardIterator", "fault": "trimmed"}]'
(run >"$T/out2.log" 2>&1)
rc=$?
cat "$T/out2.log"
expect_eq "exit status" "$rc" 1
grep -q "error: shard .*: its checkpoint is older than the stream's 24-hour retention. Changes were lost" \
    "$T/out2.log" || fail "no gap error"
grep -q "Pair FAILED" "$T/out2.log" || fail "pair not failed"
