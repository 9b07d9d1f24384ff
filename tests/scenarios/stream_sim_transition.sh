#!/bin/sh
# stream_sim_transition: the worker is killed at the shard-transition crash
# point (a parent shard done and saved, its child about to start) on the
# Streams simulator, whose shards roll over every 2 s. A writer hammers a
# few keys, so a child applied before its parent, or a change dropped at
# the transition, would leave the destination different; it converges.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
sim_start --rollover-ms 2000 --split-p 0.3 --max-open-shards 4 --seed 3

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_RESTART_BASE_MS=200
export DDB_SYNC_CRASH_AT=shard-transition DDB_SYNC_CRASH_AFTER=3
export DDB_SYNC_CRASH_FILE="$T/crashed"
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --backfill=false --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the stream to start" grep -q "Streaming started" "$T/out.log"
ddbtool mutate src 1200 --keys 40 --prefix h --seed 5 >/dev/null ||
    fail "writer"
wait_for 120 "the crash" test -e "$T/crashed"
ddbtool mutate src 600 --keys 40 --prefix h --seed 6 >/dev/null ||
    fail "writer"
sim_converge src dst 120
stop_ok $sup "$T/out.log"
ddbtool compare src dst || fail "destination differs"
expect_eq "crash lines" "$(grep -c 'Worker crashed (killed by signal 9' "$T/out.log")" 1
grep -q "Resuming stream from checkpoint" "$T/out.log" || fail "no resume"
sim_get /__stats >"$T/stats.json"
[ "$(json "$T/stats.json" j.rollovers)" -ge 3 ] || fail "too few rollovers"
exit 0
