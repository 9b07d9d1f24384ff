#!/bin/sh
# metrics_http: /metrics from the plan's metrics.listen; 404 for other
# paths and 405 for other methods; 50 idle connections and one that sends
# a byte per second stall neither /metrics, nor the control socket, nor the
# status snapshots; "ctl status" agrees with the independent reader; a bad
# address, a port in use and a bad plan key end with exit status 2.
. "$(dirname "$0")/../lib/harness.sh"

command -v curl >/dev/null 2>&1 || { log "curl not installed: skipped"; exit 77; }

ddbl_start
for t in src dst; do
	ddbtool create-table "$t" --hash pk:S --stream NEW_AND_OLD_IMAGES \
	    2>>"$T/ddbtool.log" || fail "create-table $t"
done
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    --size 200 --prefix k 2>/dev/null || fail "load"

port=$(free_port)
cat >"$T/plan.yml" <<PLAN
metrics:
  listen: 127.0.0.1:$port
plan:
  - name: pair-one
    input: {table: src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
PLAN
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=plain --status-interval=200ms >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
M=http://127.0.0.1:$port/metrics
code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$@"; }
wait_for 120 "the stream phase" grep -q "Streaming started" "$T/out.log"
grep -q "Metrics for Prometheus at $M" "$T/out.log" ||
    fail "no line says where /metrics is"

# Other paths and methods.
expect_eq "GET /metrics" "$(code "$M")" 200
expect_eq "GET /metrics?x=1" "$(code "$M?x=1")" 200
expect_eq "GET /" "$(code "http://127.0.0.1:$port/")" 404
expect_eq "GET /metricsx" "$(code "${M}x")" 404
expect_eq "POST /metrics" "$(code -X POST "$M")" 405
expect_eq "DELETE /metrics" "$(code -X DELETE "$M")" 405
curl -s -D - -o /dev/null -m 10 -X POST "$M" | grep -qi '^Allow: GET, HEAD' ||
    fail "405 without an Allow header"
curl -s -m 10 "$M" | grep -q '^# TYPE ddb_sync_items_written_total counter' ||
    fail "no TYPE line for ddb_sync_items_written_total"

# ctl status against the independent reader, once the backfill is done.
n=$(ddbtool count src)
"$BIN/ddb-sync" ctl --state-dir "$T/state" status >"$T/status.json" ||
    fail "ctl status"
expect_eq "ctl status ok" "$(json "$T/status.json" 'j.ok')" true
expect_eq "items written (ctl status)" \
    "$(json "$T/status.json" 'j.status.pairs[0].items_written')" "$n"
expect_eq "items scanned (ctl status)" \
    "$(json "$T/status.json" 'j.status.pairs[0].items_scanned')" "$n"
expect_eq "backfill state" \
    "$(json "$T/status.json" 'j.status.pairs[0].backfill')" complete
expect_eq "pair name" "$(json "$T/status.json" 'j.status.pairs[0].name')" \
    pair-one
expect_eq "source table" \
    "$(json "$T/status.json" 'j.status.pairs[0].source_table')" src
# --json prints the same answer.
"$BIN/ddb-sync" ctl --state-dir "$T/state" --json status >"$T/status2.json" ||
    fail "ctl --json status"
expect_eq "ctl --json status" \
    "$(json "$T/status2.json" 'j.status.pairs[0].items_written')" "$n"
curl -s -m 10 "$M" >"$T/m1.txt"
grep -q "^ddb_sync_items_written_total{pair=\"pair-one\",source_table=\"src\",destination_table=\"dst\"} $n\$" \
    "$T/m1.txt" || fail "/metrics: items written is not $n"

# Changes applied by the stream are counted.
ddbtool mutate src 200 --keys 100 --prefix k --seed 3 2>>"$T/ddbtool.log" ||
    fail "mutate"
applied() {
	"$BIN/ddb-sync" ctl --state-dir "$T/state" status >"$T/st.json" &&
	    [ "$(json "$T/st.json" 'j.status.pairs[0].stream_records_applied')" -ge 200 ]
}
wait_for 120 "200 changes applied" applied
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 120 "the destination to converge" converged

# 50 idle connections and a byte-per-second client; meanwhile /metrics,
# the control socket and the status snapshots go on.
node "$ROOT/tests/node/slowclients.js" "$port" 50 8 >"$T/slow.log" 2>&1 &
slow=$!
track $slow
wait_for 30 "the slow clients" grep -q ready "$T/slow.log"
before=$(grep -c '^[0-9]\{4\}/' "$T/err.log")
for i in 1 2 3 4 5; do
	expect_eq "GET /metrics beside slow clients" "$(code "$M")" 200
	"$BIN/ddb-sync" ctl --state-dir "$T/state" list >/dev/null ||
	    fail "ctl list beside slow clients"
	sleep 1
done
after=$(grep -c '^[0-9]\{4\}/' "$T/err.log")
[ "$after" -gt "$((before + 2))" ] ||
    fail "status snapshots stalled beside slow clients ($before, then $after)"
wait $slow
held=$(sed -n 's/^done //p' "$T/slow.log")
[ "${held:-0}" -ge 40 ] ||
    fail "the idle connections were not held while the test ran ($held)"
expect_eq "GET /metrics after the slow clients" "$(code "$M")" 200

# promtool, when installed, accepts the page.
if command -v promtool >/dev/null 2>&1; then
	curl -s -m 10 "$M" | promtool check metrics >"$T/promtool.log" 2>&1 ||
	    { cat "$T/promtool.log"; fail "promtool check metrics"; }
fi

# A port in use (ours), an address that does not parse, a plan key that is
# wrong: exit status 2 with the reason.
bad() {
	want=$1
	shift
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --state-dir "$T/state2" --status=off "$@" >"$T/bad.out" 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || { cat "$T/bad.out"; fail "$*: exit $rc, want 2"; }
	grep -q "$want" "$T/bad.out" || { cat "$T/bad.out"; fail "$*: no '$want'"; }
}
bad "the port is in use" --metrics-listen "127.0.0.1:$port"
bad "is not ADDR:PORT" --metrics-listen "$port"
bad "not an IPv4 address" --metrics-listen "example.com:$port"
bad "from 1 to 65535" --metrics-listen 127.0.0.1:70000
bad "no interface of this host has that address" \
    --metrics-listen 192.0.2.1:"$port"
cat >"$T/bad.yml" <<PLAN
metrics: {listen: [1, 2]}
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
PLAN
"$BIN/ddb-sync" --config-file "$T/bad.yml" --state-dir "$T/state3" \
    >"$T/bad.out" 2>&1
expect_eq "bad metrics.listen: exit" "$?" 2
grep -q "metrics.listen: expected ADDR:PORT" "$T/bad.out" ||
    { cat "$T/bad.out"; fail "bad metrics.listen not explained"; }

kill -INT $sup
wait $sup
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/out.log"; fail "ddb-sync exited $rc after SIGINT"; }
ddbtool compare src dst || fail "destination differs after stop"
log "ok"
