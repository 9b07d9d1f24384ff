#!/bin/sh
# faults_stream: the stream phase under a mix of faults on every call
# (throttling, 5xx, resets, bad CRC, malformed JSON, expired iterators,
# partial UnprocessedItems): every change still arrives and the
# destination ends equal to the source. Unreadable answers to the stream
# calls are asked again, never taken for "the shard is closed".
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[
 {"target": "GetShardIterator", "fault": "badjson", "count": 2},
 {"target": "GetRecords", "fault": "badjson", "after": 3, "count": 1},
 {"target": "DescribeStream", "fault": "badjson", "after": 1, "count": 1},
 {"target": "GetRecords", "fault": "expired_iterator", "p": 0.05},
 {"target": "*", "fault": "throttle", "p": 0.04},
 {"target": "*", "fault": "500", "p": 0.03},
 {"target": "*", "fault": "503", "p": 0.02},
 {"target": "BatchWriteItem", "fault": "unprocessed", "p": 0.15, "frac": 0.5},
 {"target": "*", "fault": "reset_before", "p": 0.02},
 {"target": "*", "fault": "reset_after", "p": 0.02},
 {"target": "*", "fault": "badcrc", "p": 0.03},
 {"target": "*", "fault": "badjson", "p": 0.02},
 {"target": "*", "fault": "truncate", "p": 0.02}
]
R
proxy_start "$T/rules.json"
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    --size 200 --prefix k 2>/dev/null || fail "load"

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
export DDB_SYNC_RETRY_CAP_MS=1000 DDB_SYNC_THROTTLE_BASE_MS=50
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --state-dir "$T/state" --status=off >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 90 "the stream to start" grep -q "Streaming started" "$T/out.log"
ddbtool mutate src 2500 --keys 1500 --prefix k --seed 21 || fail "mutator"
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 120 "the destination to converge" converged
kill -INT $sup
wait $sup
rc=$?
tail -n 8 "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc"
ddbtool compare src dst || fail "destination differs"
grep -q "iterator expired, re-acquiring" "$T/state/pairs/src/worker.log" ||
    fail "no expired iterator was handled"
for op in GetShardIterator GetRecords DescribeStream; do
	grep -q "$op.*malformed response, asking again" \
	    "$T/state/pairs/src/worker.log" || fail "no malformed $op retried"
done
grep -q "shard [^ ]*: closed" "$T/state/pairs/src/worker.log" &&
    fail "the open shard was taken for closed"
proxy_get /__stats >"$T/stats.json"
json "$T/stats.json" 'JSON.stringify(j.faults)'
for op in GetRecords GetShardIterator DescribeStream; do
	n=$(json "$T/stats.json" "j.targets.$op || 0")
	[ "$n" -gt 0 ] || fail "no $op through the proxy"
done
