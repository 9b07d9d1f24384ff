#!/bin/sh
# verify_live: a copy streams src -> dst while a writer keeps changing the
# source; ddb-sync verify runs at the same time under the same state
# directory (its own lock, log and checkpoint). Differences seen while
# changes travel are read again after --recheck-delay (again while either
# side keeps changing), so once the writer has stopped the verify reports
# 0 differences, and says how many items it rechecked. The copy is not
# disturbed: its own checkpoint and log stay its own.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES || fail "src"
ddbtool create-table dst --hash pk:S || fail "dst"
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    --size 200 --prefix k 2>/dev/null || fail "load"

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --page-size 500 --max-inflight 4 --state-dir "$T/state" --status=off \
    >"$T/copy.log" 2>"$T/copy.err" &
sup=$!
track $sup
wait_for 180 "the stream phase" grep -q "Streaming started" "$T/copy.log"
# The stream first replays the load's records (the backfill overlaps
# them): let it catch up, so that its latency is what a delay covers.
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 180 "the stream to catch up" converged

# The writer runs while the verify starts; the verify outlasts it.
ddbtool mutate src 600 --keys 3000 --prefix k --seed 11 >/dev/null &
mut=$!
track $mut
"$BIN/ddb-sync" verify --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --page-size 50 --total-segments 4 --recheck-delay 5s \
    --state-dir "$T/state" --status=off >"$T/verify.log" 2>&1
rc=$?
wait $mut || fail "the writer failed"
cat "$T/verify.log"
expect_eq "verify exit status" "$rc" 0
grep -q "Verify found the tables equal: 0 missing, 0 extra, 0 different" \
    "$T/verify.log" || fail "no equal verdict"
grep -q "differences rechecked after a delay" "$T/verify.log" ||
    fail "the recheck is not said"
sum=$(grep '"kind":"summary"' "$T/state/pairs/src/verify-report.jsonl")
n=$(printf '%s' "$sum" | sed 's/.*"rechecked":\([0-9]*\).*/\1/')
log "rechecked $n items"
[ -e "$T/state/pairs/src/verify.log" ] || fail "no verify.log"
grep -q "Verify" "$T/state/pairs/src/worker.log" &&
    fail "the verify wrote into the copy's log"

# Still streaming; the copy converges and stops cleanly.
kill -0 $sup 2>/dev/null || fail "the copy stopped during the verify"
wait_for 120 "the copy to converge" converged
kill -INT $sup
wait $sup
expect_eq "copy exit status" "$?" 0

# A second verify, everything still: equal, nothing rechecked.
"$BIN/ddb-sync" verify --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --page-size 500 --state-dir "$T/state" --status=off \
    >"$T/verify2.log" 2>&1
expect_eq "second verify" "$?" 0
n=$(ddbtool count src)
grep -q " $n source items checked.*, 0 rechecked" "$T/verify2.log" ||
    fail "second verify: $(cat "$T/verify2.log")"
exit 0
