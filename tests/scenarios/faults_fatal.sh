#!/bin/sh
# faults_fatal: a non-retryable error (ValidationException on the writes)
# stops that pair with a clear message, its checkpoint does not move past
# the items it could not write, and the other pair is not touched.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[{"target": "BatchWriteItem", "fault": "validation"}]
R
proxy_start "$T/rules.json"
for t in a-src a-dst b-src b-dst; do
	ddbtool create-table $t --hash pk:S
done
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table a-src --count 3000 2>/dev/null
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table b-src --count 3000 2>/dev/null
cat >"$T/plan.yml" <<P
plan:
  - input: {table: a-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: a-dst, endpoint_url: "$PROXY"}
    stream: {disabled: true}
  - input: {table: b-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: b-dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
P
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>&1
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 1
grep -q "\[a-src\] ⇨ \[a-dst\]: error: BatchWriteItem to a-dst failed: One or more parameter values were invalid" \
    "$T/out.log" || fail "no clear error for pair a"
grep -q "\[a-src\] ⇨ \[a-dst\]: error: Pair FAILED" "$T/out.log" || fail "pair a not failed"
grep -c "Worker crashed" "$T/out.log" | grep -qx 0 || fail "a permanent error was retried by restarts"
grep -q "\[b-src\] ⇨ \[b-dst\]: Backfill complete\. 3000 items written" \
    "$T/out.log" || fail "pair b did not complete"
ddbtool compare b-src b-dst || fail "pair b differs"
expect_eq "items in a-dst" "$(ddbtool count a-dst)" 0
n=$(json "$T/state/pairs/a-src/checkpoint.json" 'j.backfill.segments.reduce((a, s) => a + s.items, 0)')
expect_eq "items checkpointed for a" "$n" 0
