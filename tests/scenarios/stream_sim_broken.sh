#!/bin/sh
# stream_sim_broken: a Streams endpoint whose DescribeStream loops (the same
# LastEvaluatedShardId forever), then one that names a parent that never
# existed. The worker neither loops nor grows: it lists again with
# backoff, then exits with a clear message and the supervisor restarts
# it; once the endpoint heals the pair streams on and converges.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
# More than one page of shards.
sim_start --prefill-shards 250 --seed 6
sim_post /__config '{"describe_loop": true}' >/dev/null || fail "config"
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_RESTART_BASE_MS=200
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --backfill=false --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>&1 &
sup=$!
track $sup
lock="$T/state/pairs/src/lock"
hwm() {
	pid=$(cat "$lock" 2>/dev/null) &&
	    awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null
}
wait_for 60 "a listing retried" grep -q \
    "warning: DescribeStream: LastEvaluatedShardId is the shard.*asking again" \
    "$T/out.log"
sleep 3
h=$(hwm)
log "worker peak RSS while the listing loops: ${h:-?} KiB"
[ -n "$h" ] || fail "no worker to measure"
[ "$h" -lt 102400 ] || fail "worker grew to $h KiB"
wait_for 90 "the loop to be given up" grep -q \
    "DescribeStream: LastEvaluatedShardId is the shard the page was asked to start after.*restarting the worker" \
    "$T/out.log"
wait_for 60 "a restart" grep -q "Worker restarted (restart 1" "$T/out.log"
sim_post /__config '{"describe_loop": false}' >/dev/null || fail "config"
ddbtool mutate src 300 --keys 100 --prefix b --seed 1 >/dev/null ||
    fail "writer"
sim_converge src dst 120

# A parent that never existed, on the newest shard (open, or known with
# its real parent).
sim_post /__config '{"rollover_ms": 2000}' >/dev/null || fail "config"
rolled() { [ "$(sim_get /__stats | node -e 'let s = "";
    process.stdin.on("data", (d) => s += d).on("end", () =>
    console.log(JSON.parse(s).rollovers))')" -ge 2 ]; }
wait_for 60 "rollovers" rolled
# The shard given the false parent stays open while it is tried.
sim_post /__config '{"rollover_ms": 600000}' >/dev/null || fail "config"
sim_post /__config '{"unknown_parent": true}' >/dev/null || fail "config"
wait_for 90 "the unknown parent to be given up" grep -Eq \
    "DescribeStream: shard .* (names a parent that is neither listed nor known|is listed with another parent than before).*restarting the worker" \
    "$T/out.log"
n=$(grep -c "Worker restarted" "$T/out.log")
[ "$n" -ge 1 ] || fail "no restart"
sim_post /__config '{"unknown_parent": false}' >/dev/null || fail "config"
ddbtool mutate src 300 --keys 100 --prefix b --seed 2 >/dev/null ||
    fail "writer"
sim_converge src dst 120
stop_ok $sup "$T/out.log"
ddbtool compare src dst || fail "destination differs"
grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
exit 0
