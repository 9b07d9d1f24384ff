#!/bin/sh
# stream_retention: a backfill that runs close to the stream's retention
# warns (log and status); one that outlives it is reported as a gap, an
# error that stops the pair, never a silent "complete". Time is shrunk
# through the retention knobs. Without the spool (--no-spool): with it the
# stream is read from the backfill's start and the same run converges
# (spool_long_backfill).
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 6000 \
    --size 200 2>/dev/null || fail "load"

# Every Scan answered 100 ms late: 60 pages outlive the shrunk retention
# however fast the machine is. timeout(1): a regression must not hang here.
echo '[{"target": "Scan", "fault": "slow", "ms": 100}]' >"$T/rules.json"
proxy_start "$T/rules.json"
export DDB_SYNC_RETENTION_WARN_MS=1000 DDB_SYNC_STREAM_RETENTION_MS=2500
timeout 120 "$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$ENDPOINT" \
    --page-size 100 --max-inflight 1 --total-segments 1 --no-spool \
    --state-dir "$T/state" --status=off >"$T/out.log" 2>"$T/err.log"
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 1
grep -q "warning: Retention risk: the backfill has been running for" \
    "$T/out.log" || fail "no retention warning"
grep -q "error: .*longer than the stream's retention. Changes were lost" \
    "$T/out.log" || fail "no gap error"
grep -q "Pair FAILED" "$T/out.log" || fail "pair not failed"
grep -q "Streaming started" "$T/out.log" && fail "streamed despite the gap"
# Starting again does not hide the gap.
timeout 120 "$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --state-dir "$T/state" --status=off >"$T/out2.log" 2>&1
expect_eq "exit status of the second run" "$?" 1
grep -q "Changes were lost" "$T/out2.log" || fail "gap not reported again"
