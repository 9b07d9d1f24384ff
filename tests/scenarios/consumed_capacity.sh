#!/bin/sh
# consumed_capacity: a pair with consumed_capacity: false leaves
# ReturnConsumedCapacity out of every Scan and BatchWriteItem (backfill and
# stream), still copies everything, and its status row shows the WCU rate
# as unknown ("-"), not 0. A pair left at the default asks for it in every
# Scan and BatchWriteItem. Each pair goes through its own counting proxy.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
proxy_start
P_OFF=$PROXY
proxy_start
P_ON=$PROXY
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst-off --hash pk:S
ddbtool create-table dst-on --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    --size 300 --prefix k 2>/dev/null || fail "load"

cat >"$T/plan.yml" <<EOF
plan:
  - name: off
    input: {table: src, region: us-east-1, endpoint_url: "$P_OFF"}
    output: {table: dst-off, endpoint_url: "$P_OFF"}
    page_size: 500
    consumed_capacity: false
  - name: on
    input: {table: src, region: us-east-1, endpoint_url: "$P_ON"}
    output: {table: dst-on, endpoint_url: "$P_ON"}
    page_size: 500
EOF

export DDB_SYNC_POLL_MS=200
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status plain --status-interval 1s >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
streaming() {
	[ "$(grep -c "Streaming started" "$T/out.log")" -eq 2 ]
}
wait_for 120 "both pairs to stream" streaming
ddbtool mutate src 300 --keys 4000 --prefix k --seed 3 || fail "mutator"
converged() {
	ddbtool compare src dst-off >"$T/cmp-off.log" 2>&1 &&
	    ddbtool compare src dst-on >"$T/cmp-on.log" 2>&1
}
wait_for 120 "both destinations to converge" converged
# A snapshot taken once both rows have rates (a few seconds of samples).
rates() {
	grep -q "dst-off .* items/s .* - WCU/s" "$T/err.log" &&
	    grep -q "dst-on .* items/s .* [0-9<][0-9KMB.]* WCU/s" "$T/err.log"
}
wait_for 30 "status rows with rates" rates
kill -INT $sup
wait $sup
rc=$?
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(tail -n 20 "$T/out.log")"
ddbtool compare src dst-off || fail "dst-off differs after stop"
ddbtool compare src dst-on || fail "dst-on differs after stop"
# The pair without capacity never shows a number for it.
if grep -q "dst-off .* [0-9<][0-9KMB.]* WCU/s" "$T/err.log"; then
	grep "dst-off" "$T/err.log" | tail -n 3
	fail "dst-off showed a WCU rate it never asked for"
fi

PROXY=$P_OFF proxy_get /__stats >"$T/off.json"
PROXY=$P_ON proxy_get /__stats >"$T/on.json"
json "$T/off.json" 'JSON.stringify(j.targets) + " capacity " + JSON.stringify(j.capacity)'
json "$T/on.json" 'JSON.stringify(j.targets) + " capacity " + JSON.stringify(j.capacity)'
for t in Scan BatchWriteItem; do
	n=$(json "$T/off.json" "j.targets.$t || 0")
	[ "$n" -gt 0 ] || fail "pair off sent no $t"
	n=$(json "$T/on.json" "j.targets.$t || 0")
	[ "$n" -gt 0 ] || fail "pair on sent no $t"
	expect_eq "pair on: $t requests asking for capacity" \
	    "$(json "$T/on.json" "j.capacity.$t || 0")" "$n"
done
expect_eq "pair off: requests asking for capacity" \
    "$(json "$T/off.json" 'Object.values(j.capacity).reduce((a, b) => a + b, 0)')" 0
# The stream's writes went through the proxies too.
for f in off on; do
	n=$(json "$T/$f.json" 'j.puts')
	[ "$n" -gt 3000 ] || fail "pair $f: only $n puts (backfill and stream)"
done
log "ok"
