#!/bin/sh
# stream_sim_trim: the trimmed-start rule on the Streams simulator, with a
# retention of 20 s (the simulator's and the worker's).
# 1. A shard whose first records were trimmed before the backfill started:
#    the scan has them, so reading on is right (no false gap), and the
#    destination converges.
# 2. A child shard whose first records are trimmed while a slow parent
#    keeps it waiting (the parent's writes are held 30 s): a gap, the pair
#    stops with the StreamGap error; nothing is skipped silently.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
ddbtool create-table src2 --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst2 --hash pk:S
ddbtool put-items src 100 --prefix a >/dev/null || fail "put-items"
sim_start --retention-ms 20000 --seed 4
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_STREAM_RETENTION_MS=20000 DDB_SYNC_HANDOFF_MARGIN_MS=0

# 1. Trimmed, older than the handoff.
trimmed() { [ "$(sim_stat j.records.trimmed)" -ge 100 ]; }
wait_for 90 "the first records to be trimmed" trimmed
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --state-dir "$T/state" --status=off >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the stream to start" grep -q "Streaming started" "$T/out.log"
wait_for 30 "the trimmed start to be checked" \
    grep -q "the trimmed records are older than the handoff" "$T/out.log"
ddbtool mutate src 200 --keys 100 --prefix a --seed 3 >/dev/null ||
    fail "writer"
sim_converge src dst 60
stop_ok $sup "$T/out.log"
grep -q "Changes were lost" "$T/out.log" && fail "a false gap"

# 2. Trimmed while waiting behind a slow parent.
arn=$(ddbtool describe src2 | node -e 'let s = "";
    process.stdin.on("data", (d) => s += d).on("end", () =>
    console.log(JSON.parse(s).Table.LatestStreamArn))')
"$BIN/ddb-sync" --input-table src2 --output-table dst2 \
    --input-endpoint-url "$SIM" --output-endpoint-url "$SIM" \
    --backfill=false --state-dir "$T/state2" --status=off \
    >"$T/out2.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the stream to start" grep -q "Streaming started" "$T/out2.log"
sim_post /__config '{"write_delay_ms": 30000}' >/dev/null || fail "config"
ddbtool mutate src2 20 --keys 10 --prefix p --seed 1 >/dev/null ||
    fail "writer"
held() { [ "$(sim_stat 'j.delayed.BatchWriteItem || 0')" -ge 1 ]; }
wait_for 30 "the parent's writes to be held" held
sim_post /__rollover "{\"stream\": \"$arn\", \"split\": false}" >/dev/null ||
    fail "rollover"
ddbtool mutate src2 20 --keys 10 --prefix p --seed 2 >/dev/null ||
    fail "writer"
wait $sup
rc=$?
cat "$T/out2.log"
expect_eq "exit status (trimmed behind a slow parent)" "$rc" 1
grep -q "error: shard .*: records were trimmed before they were read, and they may be newer than the handoff.*Changes were lost" \
    "$T/out2.log" || fail "no gap error"
grep -q "FAILED: StreamGap" "$T/out2.log" || fail "not the StreamGap error"
exit 0
