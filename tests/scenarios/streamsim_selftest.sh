#!/bin/sh
# streamsim_selftest: the Streams simulator (tests/node/streamsim.js) that
# the stream scenarios run against behaves like AWS's DynamoDB Streams, as
# seen by an independent client (AWS's SDK for JavaScript and raw HTTP,
# tests/node/streamcheck.js): paging over more than 100 shards, every
# record of DynamoDB Local's own stream exactly once and in per-key order
# across rollovers and splits, iterator types, expiry, trims, clock skew,
# x-amz-crc32, the broken-endpoint modes, slow answers.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
# Written before the simulator starts: it reads DynamoDB Local's stream
# from its beginning.
ddbtool put-items src 30 --prefix early || fail "put-items"
# The simulator reads DynamoDB Local's stream through faults: it must
# neither lose nor repeat a record (checked by "records" below).
cat >"$T/rules.json" <<'R'
[
 {"target": "GetRecords", "fault": "expired_iterator", "p": 0.05},
 {"target": "GetRecords", "fault": "reset_after", "p": 0.03},
 {"target": "GetRecords", "fault": "truncate", "p": 0.03},
 {"target": "GetRecords", "fault": "500", "p": 0.03},
 {"target": "GetShardIterator", "fault": "503", "p": 0.1},
 {"target": "DescribeStream", "fault": "throttle", "p": 0.1},
 {"target": "ListStreams", "fault": "badjson", "p": 0.1}
]
R
proxy_start "$T/rules.json"
sim_start --target "$PROXY" --split-p 0.5 --max-open-shards 6 \
    --prefill-shards 250 --seed 12

stat() { sim_get /__stats >"$T/stats.json" && json "$T/stats.json" "$1"; }
at_least() { [ "$(stat "$1")" -ge "$2" ]; }

# The history is closed; it keeps at most half of --max-open-shards open.
wait_for 60 "the stream to be found" at_least j.streams 1
expect_eq "closed shards at start" "$(stat j.shards.closed)" 250
[ "$(stat j.shards.open)" -le 3 ] || fail "too many open shards"
sim_post /__config '{"rollover_ms": 1000}' >/dev/null || fail "config"

simtool() { node "$ROOT/tests/node/ddbtool.js" --endpoint "$SIM" "$@"; }
check() {
	node "$ROOT/tests/node/streamcheck.js" --sim "$SIM" \
	    --ddbl "$ENDPOINT" "$1" src ${2:+"$2"} ${3:+"$3"} ||
	    fail "streamcheck $1"
}
# Table calls go through the simulator; the writes cross rollovers and
# splits (shards roll every second).
simtool mutate src 600 --keys 40 --seed 3 || fail "mutate"
wait_for 120 "eight rollovers" at_least j.rollovers 8
simtool mutate src 200 --keys 40 --seed 4 || fail "mutate"
sim_post /__config '{"rollover_ms": 0}' >/dev/null || fail "config"
sim_post /__sync >/dev/null || fail "sync"
log "$(stat 'JSON.stringify({shards: j.shards, records: j.records,
    rollovers: j.rollovers, splits: j.splits, follower: j.follower})')"
at_least j.splits 1 || fail "no split"
at_least j.follower.errors 5 || fail "the follower met too few faults"

check tree --min 250
check records
check iterators
check latest
check hooks
check wire
check expire
for skew in 600000 -600000; do
	sim_post /__config "{\"skew_ms\": $skew}" >/dev/null || fail "skew"
	check skew --skew "$skew"
done
sim_post /__config '{"skew_ms": 0}' >/dev/null
check modes
check delays --ms 1500
check trim
check trim-next
log "$(stat 'JSON.stringify({errors: j.errors, iterators: j.iterators,
    shards: j.shards})')"
