#!/bin/sh
# governor_throttle: an endpoint that throttles a third of the
# BatchWriteItem requests (ProvisionedThroughputExceededException), and
# leaves half the items of another tenth unprocessed, does not set off a
# retry storm: the copy completes and is equal to its source (independent
# reader), each item is sent fewer than 2 more times than once on average
# (counted by the proxy), and the controller took the writes in flight
# down (the worker logs it).
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[{"target": "BatchWriteItem", "fault": "throttle", "p": 0.33},
 {"target": "BatchWriteItem", "fault": "unprocessed", "p": 0.1, "frac": 0.5}]
R
proxy_start "$T/rules.json"
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
N=4000
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count $N \
    --size 300 2>"$T/load.log" || fail "load"
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --state-dir "$T/state" --status=off -v >"$T/out.log" \
    2>&1 || fail "ddb-sync failed: $(tail -n 20 "$T/out.log")"
ddbtool compare src dst || fail "destination differs"
proxy_get /__stats >"$T/stats.json"
log "$(json "$T/stats.json" '"requests " + j.targets.BatchWriteItem +
    ", faults " + JSON.stringify(j.faults) + ", puts " + j.puts +
    ", puts refused " + j.fault_puts')"
json "$T/stats.json" "(j.faults.throttle || 0) > 5" | grep -q true ||
    fail "the proxy throttled almost nothing: the test says nothing"
retries=$(json "$T/stats.json" "((j.puts + j.fault_puts - $N) / $N).toFixed(2)")
log "retries per item: $retries"
json "$T/stats.json" "(j.puts + j.fault_puts - $N) / $N < 2" | grep -q true ||
    fail "retry storm: $retries retries per item"
grep -q "writes in flight down to" "$T/out.log" ||
    fail "the controller never took the writes in flight down"
log "ok"
