#!/bin/sh
# faults_backfill: under a steady mix of faults (throttling of three kinds,
# 500/503, partial UnprocessedItems, resets before and after the request,
# answers slower than the client's timeout, truncated bodies, wrong
# x-amz-crc32, malformed JSON) the backfill finishes and the destination
# equals the source.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[
 {"target": "*", "fault": "throttle", "p": 0.04},
 {"target": "*", "fault": "throttling", "p": 0.03},
 {"target": "BatchWriteItem", "fault": "limit", "p": 0.03},
 {"target": "*", "fault": "500", "p": 0.03},
 {"target": "*", "fault": "503", "p": 0.03},
 {"target": "BatchWriteItem", "fault": "unprocessed", "p": 0.15, "frac": 0.4},
 {"target": "*", "fault": "reset_before", "p": 0.02},
 {"target": "*", "fault": "reset_after", "p": 0.02},
 {"target": "*", "fault": "slow", "p": 0.01, "ms": 2500},
 {"target": "*", "fault": "truncate", "p": 0.02},
 {"target": "*", "fault": "badcrc", "p": 0.03},
 {"target": "*", "fault": "badjson", "p": 0.02}
]
R
proxy_start "$T/rules.json"
ddbtool create-table src --hash pk:S --range sk:N
ddbtool create-table dst --hash pk:S --range sk:N
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 15000 \
    --size 400 2>/dev/null || fail "load"

export DDB_SYNC_REQUEST_TIMEOUT_MS=1500 DDB_SYNC_RETRY_CAP_MS=1000
export DDB_SYNC_THROTTLE_BASE_MS=50
# The minute of samples shrunk to about a second (60 ticks of 20 ms), so
# sustained throttling is reported however fast the run is.
export DDB_SYNC_PROGRESS_INTERVAL_MS=20 DDB_SYNC_THROTTLE_WARN_COUNT=3
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --page-size 300 --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>"$T/err.log"
rc=$?
tail -n 5 "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(tail -n 20 "$T/out.log")"
ddbtool compare src dst || fail "destination differs"
grep -q "warning: Sustained throttling" "$T/out.log" ||
    fail "sustained throttling was not reported"
proxy_get /__stats >"$T/stats.json"
json "$T/stats.json" 'JSON.stringify(j.faults)'
for f in throttle throttling limit 500 503 unprocessed reset_before \
    reset_after slow truncate badcrc badjson; do
	n=$(json "$T/stats.json" "j.faults['$f'] || 0")
	[ "$n" -gt 0 ] || fail "fault $f was never injected; raise its rate"
done
