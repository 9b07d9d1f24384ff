#!/bin/sh
# metrics_prometheus: a real Prometheus (Debian's package) scrapes a running
# two-pair copy every second. Its query API then has, for each pair,
# ddb_sync_items_written_total equal to the items the independent reader
# counts once the backfill is done, and a stream latency series during the
# stream phase. promtool accepts the page and configs/ (alerting rules);
# the Grafana dashboard and the rules use only metrics the page has.
. "$(dirname "$0")/../lib/harness.sh"

for c in prometheus promtool curl; do
	command -v $c >/dev/null 2>&1 || { log "$c not installed: skipped"; exit 77; }
done

promtool check rules "$ROOT/configs/prometheus-rules.yml" >"$T/rules.log" 2>&1 ||
    { cat "$T/rules.log"; fail "promtool check rules configs/prometheus-rules.yml"; }

ddbl_start
for t in a-src a-dst b-src b-dst; do
	ddbtool create-table "$t" --hash pk:S --stream NEW_AND_OLD_IMAGES \
	    2>>"$T/ddbtool.log" || fail "create-table $t"
done
load() { "$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" "$@" 2>/dev/null; }
load --table a-src --count 3000 --size 200 --prefix k || fail "load a-src"
load --table b-src --count 1200 --size 200 --prefix k || fail "load b-src"

mport=$(free_port)
cat >"$T/plan.yml" <<PLAN
plan:
  - input: {table: a-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: a-dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
  - input: {table: b-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: b-dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
PLAN
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=off --metrics-listen "127.0.0.1:$mport" >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "/metrics" curl -sf -m 5 "http://127.0.0.1:$mport/metrics"

pport=$(free_port)
cat >"$T/prometheus.yml" <<PROM
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ddb-sync
    static_configs:
      - targets: ["127.0.0.1:$mport"]
PROM
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom-data" \
    --web.listen-address="127.0.0.1:$pport" >"$T/prometheus.log" 2>&1 &
track $!
P=http://127.0.0.1:$pport
wait_for 120 "Prometheus to be ready" curl -sf -m 5 "$P/-/ready"

# pq QUERY: the query API's answer in $T/q.json.
pq() {
	curl -sf -m 10 -G --data-urlencode "query=$1" "$P/api/v1/query" \
	    >"$T/q.json"
}
# value QUERY PAIR: the value of the series for pair, or nothing.
value() {
	pq "$1" && json "$T/q.json" "(j.data.result.find((r) =>
	    r.metric.pair === '$2') || {value: [0, '']}).value[1]"
}

wait_for 180 "both backfills" sh -c "[ \$(grep -c 'Streaming started' '$T/out.log') -eq 2 ]"
na=$(ddbtool count a-src)
nb=$(ddbtool count b-src)
written() { [ "$(value ddb_sync_items_written_total a-src)" = "$na" ] &&
    [ "$(value ddb_sync_items_written_total b-src)" = "$nb" ]; }
wait_for 60 "Prometheus to have every item written ($na, $nb)" written
pq 'ddb_sync_items_written_total{job="ddb-sync"}'
expect_eq "series of ddb_sync_items_written_total" \
    "$(json "$T/q.json" 'j.data.result.length')" 2
expect_eq "destination label" \
    "$(value 'ddb_sync_items_written_total{destination_table="a-dst"}' a-src)" "$na"
wait_for 60 "backfill progress 1" sh -c "
    curl -sf -G --data-urlencode 'query=min(ddb_sync_backfill_progress_ratio)' \
    '$P/api/v1/query' | grep -q '\"1\"'"

# The stream phase: changes come in, latency series exist for both pairs.
ddbtool mutate a-src 300 --keys 200 --prefix k --seed 5 2>>"$T/ddbtool.log" ||
    fail "mutate a-src"
ddbtool mutate b-src 100 --keys 100 --prefix k --seed 6 2>>"$T/ddbtool.log" ||
    fail "mutate b-src"
latency() { pq 'ddb_sync_stream_latency_seconds' &&
    [ "$(json "$T/q.json" 'j.data.result.length')" -eq 2 ]; }
wait_for 120 "a stream latency series for both pairs" latency
applied() { [ "$(value ddb_sync_stream_records_applied_total a-src)" -ge 300 ] &&
    [ "$(value ddb_sync_stream_records_applied_total b-src)" -ge 100 ]; }
wait_for 120 "the changes to be counted as applied" applied
pq 'sum(ddb_sync_pair_state{state="running"})'
expect_eq "pairs running" "$(json "$T/q.json" 'j.data.result[0].value[1]')" 2
pq 'ddb_sync_workers_up'
expect_eq "workers up" "$(json "$T/q.json" 'j.data.result[0].value[1]')" 2

# The page passes promtool; the dashboard and the rules name only metrics
# the page has.
curl -sf -m 10 "http://127.0.0.1:$mport/metrics" >"$T/metrics.txt" ||
    fail "GET /metrics"
promtool check metrics <"$T/metrics.txt" >"$T/check.log" 2>&1 ||
    { cat "$T/check.log"; fail "promtool check metrics"; }
sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T/metrics.txt" | sort -u >"$T/have"
for f in "$ROOT/configs/grafana-dashboard.json" "$ROOT/configs/prometheus-rules.yml"; do
	grep -o 'ddb_sync_[a-z_]*\|process_[a-z_]*' "$f" | sort -u >"$T/want"
	[ -s "$T/want" ] || fail "$f names no metric"
	missing=$(comm -23 "$T/want" "$T/have")
	[ -z "$missing" ] || fail "$f uses metrics /metrics does not have: $missing"
done
json "$ROOT/configs/grafana-dashboard.json" 'j.panels.length' >/dev/null ||
    fail "the dashboard is not JSON"

kill -INT $sup
wait $sup
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/out.log"; fail "ddb-sync exited $rc after SIGINT"; }
ddbtool compare a-src a-dst || fail "a-dst differs"
ddbtool compare b-src b-dst || fail "b-dst differs"
log "ok"
