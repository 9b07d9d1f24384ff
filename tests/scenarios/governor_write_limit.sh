#!/bin/sh
# governor_write_limit: a pair limited to output.write_capacity: 300 writes
# 270-330 WCU/s averaged over every 20 s window after the first 10 s, as
# the fault proxy counts the ConsumedCapacity DynamoDB Local reports in its
# answers (items of about 700 bytes: 1 WCU each). The copy is complete
# (checked by the independent reader).
#
# A loaded machine: an unlimited copy of the same items first measures what
# this DynamoDB Local can take. Should that ceiling be under the band, the
# lower bound cannot be asked for (and the scenario says so), but the limit
# must still never be exceeded.
. "$(dirname "$0")/../lib/harness.sh"

LIMIT=300
ITEMS=${GOV_ITEMS:-13000}	# about 43 s at the limit

ddbl_start
proxy_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
ddbtool create-table calib --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count "$ITEMS" \
    --size 700 --prefix k 2>"$T/load.log" || fail "load"

# The endpoint's ceiling: an unlimited copy into another table.
cat >"$T/calib.yml" <<EOF
plan:
  - name: calib
    input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: calib, endpoint_url: "$PROXY"}
    stream: {disabled: true}
EOF
"$BIN/ddb-sync" --config-file "$T/calib.yml" --state-dir "$T/calib-state" \
    --status off >"$T/calib.log" 2>&1 || fail "calibration copy failed"
proxy_get /__stats >"$T/calib.json"
node "$ROOT/tests/node/capwindows.js" "$T/calib.json" \
    BatchWriteItem:calib 1 >"$T/calib-w.json"
CEIL=$(json "$T/calib-w.json" 'Math.round(j.max === null ? j.total : j.max)')
WCU=$(json "$T/calib-w.json" 'Math.round(j.total)')
log "unlimited: $WCU WCU for $ITEMS items, at most $CEIL WCU/s in a second"
# Every item costs 1 WCU, or the band below means nothing.
[ "$WCU" -ge "$ITEMS" ] && [ "$WCU" -le $((ITEMS + ITEMS / 50)) ] ||
    fail "items are not 1 WCU each: $WCU WCU for $ITEMS items"
proxy_post /__reset

cat >"$T/plan.yml" <<EOF
plan:
  - name: limited
    input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: dst, endpoint_url: "$PROXY", write_capacity: $LIMIT}
    stream: {disabled: true}
EOF
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status plain --status-interval 2s >"$T/out.log" 2>"$T/err.log" ||
    fail "ddb-sync failed: $(tail -n 20 "$T/out.log")"
ddbtool compare src dst || fail "dst differs from src"
proxy_get /__stats >"$T/stats.json"
node "$ROOT/tests/node/capwindows.js" "$T/stats.json" BatchWriteItem:dst 20 \
    --skip 10 >"$T/w.json"
log "20 s windows: $(json "$T/w.json" \
    '"" + j.windows + " windows, min " + j.min + ", max " + j.max')"
log "per second: $(json "$T/w.json" 'j.series.join(" ")')"
[ "$(json "$T/w.json" 'j.windows')" -ge 5 ] ||
    fail "the copy was too short for 20 s windows after the first 10 s"
json "$T/w.json" "j.max <= $LIMIT * 1.1" | grep -q true ||
    fail "a 20 s window averaged $(json "$T/w.json" j.max) WCU/s, over $LIMIT + 10%"
# Not one second far above the limit either (the bucket holds 1 s worth).
json "$T/w.json" "Math.max(...j.series) <= $LIMIT * 2" | grep -q true ||
    fail "a second took $(json "$T/w.json" 'Math.max(...j.series)') WCU"
if [ "$CEIL" -lt $((LIMIT * 12 / 10)) ]; then
	log "this DynamoDB Local takes at most $CEIL WCU/s now: below the" \
	    "band's need, so only 'never above' is asserted"
else
	json "$T/w.json" "j.min >= $LIMIT * 0.9" | grep -q true ||
	    fail "a 20 s window averaged $(json "$T/w.json" j.min) WCU/s, under $LIMIT - 10%"
fi
# The status table shows the limit next to the rate.
grep -q "dst .*/$LIMIT WCU/s" "$T/err.log" ||
    fail "no status row with the limit: $(grep dst "$T/err.log" | tail -n 2)"
grep -q "writes limited to $LIMIT.0 WCU/s" "$T/out.log" ||
    fail "the worker did not log its limit"
log "ok"
