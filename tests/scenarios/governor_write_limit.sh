#!/bin/sh
# governor_write_limit: a pair limited to output.write_capacity: 300 writes
# 270-330 WCU/s averaged over every 20 s window after the first 10 s, as
# the fault proxy counts the ConsumedCapacity DynamoDB Local reports in its
# answers (items of about 700 bytes: 1 WCU each). The copy is complete
# (checked by the independent reader); the worker logs its limit and the
# status table shows it next to the rate.
#
# A loaded machine: an unlimited copy of the same items first measures what
# this DynamoDB Local can take. Should that ceiling be under the band, the
# lower bound cannot be asked for (and the scenario says so), but the limit
# must still never be exceeded.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/governor.sh"

LIMIT=300
ITEMS=${GOV_ITEMS:-13000}	# about 43 s at the limit

ddbl_start
proxy_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
ddbtool create-table ceil --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count "$ITEMS" \
    --size 700 --prefix k 2>"$T/load.log" || fail "load"

# The endpoint's ceiling: an unlimited copy into another table.
gov_ceiling src ceil
# Every item costs 1 WCU, or the band below means nothing.
[ "$WCU" -ge "$ITEMS" ] && [ "$WCU" -le $((ITEMS + ITEMS / 50)) ] ||
    fail "items are not 1 WCU each: $WCU WCU for $ITEMS items"

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
gov_windows w dst 20 --skip 10
gov_check w 'j.windows >= 5' \
    "the copy was too short for 20 s windows after the first 10 s"
gov_check w "j.max <= $LIMIT * 1.1" \
    "a 20 s window averaged $(json "$T/w.json" j.max) WCU/s, over $LIMIT + 10%"
# Not one second far above the limit either (the bucket holds 1 s worth).
gov_check w "Math.max(...j.series) <= $LIMIT * 2" \
    "a second took $(json "$T/w.json" 'Math.max(...j.series)') WCU"
if [ "$CEIL" -lt $((LIMIT * 12 / 10)) ]; then
	log "this DynamoDB Local takes at most $CEIL WCU/s now: below the" \
	    "band's need, so only 'never above' is asserted"
else
	gov_check w "j.min >= $LIMIT * 0.9" \
	    "a 20 s window averaged $(json "$T/w.json" j.min) WCU/s, under $LIMIT - 10%"
fi
grep -q "dst .*/$LIMIT WCU/s" "$T/err.log" ||
    fail "no status row with the limit: $(grep dst "$T/err.log" | tail -n 2)"
grep -q "writes limited to $LIMIT.0 WCU/s" "$T/out.log" ||
    fail "the worker did not log its limit"
log "ok"
