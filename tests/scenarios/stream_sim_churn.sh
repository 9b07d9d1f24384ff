#!/bin/sh
# stream_sim_churn: backfill then stream through the Streams simulator while
# its shards roll over every 2 s with splits (at least 20 shards over the
# run). A writer puts, updates and deletes during both phases; the worker
# is killed (-9) three times, once in the backfill, and ddb-sync itself is
# restarted once. The destination converges to the source, as read by the
# independent client, and SIGINT exits 0.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
# Scan pages held 150 ms: a backfill of some seconds, long enough to be
# killed in and to take changes to keys it has already scanned.
sim_start --rollover-ms 2000 --split-p 0.5 --max-open-shards 6 \
    --scan-delay-ms 150 --seed 7

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_RESTART_BASE_MS=200 DDB_SYNC_CHECKPOINT_INTERVAL_MS=100
run() {
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
	    --page-size 100 --total-segments 2 --max-inflight 4 \
	    --state-dir "$T/state" --status=off >>"$T/out.log" 2>&1 &
	sup=$!
	track $sup
}
lock="$T/state/pairs/src/lock"
ck="$T/state/pairs/src/checkpoint.json"
kill_worker() {
	wait_for 30 "a worker" sh -c "kill -0 \$(cat $lock) 2>/dev/null"
	pid=$(cat "$lock")
	kill -9 "$pid" || fail "worker $pid not running"
	log "killed worker $pid ($1)"
	wait_for 30 "a new worker" sh -c "[ \"\$(cat $lock 2>/dev/null)\" != \"$pid\" ] && kill -0 \$(cat $lock) 2>/dev/null"
}

run
ddbtool mutate src 800 --keys 3000 --prefix k --seed 21 >/dev/null &
mut=$!
track $mut
wait_for 60 "the backfill to write" sh -c "grep -q 'Backfill starting' '$T/out.log'"
sleep 1
kill_worker backfill
wait_for 120 "the stream phase" grep -q "Streaming started" "$T/out.log"
kill_worker stream
sleep 3
kill_worker stream
wait $mut || fail "writer failed"

# ddb-sync restarted once, the writer going on meanwhile.
ddbtool mutate src 800 --keys 3000 --prefix k --seed 22 >/dev/null &
mut=$!
track $mut
kill -INT $sup
wait $sup || fail "first run exited $?"
run
wait $mut || fail "writer failed"

created() { [ "$(sim_stat j.shards.created)" -ge 20 ]; }
wait_for 120 "20 shards" created
sim_converge src dst 180
stop_ok $sup "$T/out.log"
ddbtool compare src dst || fail "destination differs"

sim_get /__stats >"$T/stats.json"
log "$(json "$T/stats.json" 'JSON.stringify({shards: j.shards,
    rollovers: j.rollovers, splits: j.splits,
    iterators: j.iterators})')"
[ "$(json "$T/stats.json" j.splits)" -ge 1 ] || fail "no split"
expect_eq "crash lines" "$(grep -c 'Worker crashed (killed by signal 9' "$T/out.log")" 3
c=$(grep -n 'Worker crashed' "$T/out.log" | head -1 | cut -d: -f1)
b=$(grep -n 'Backfill complete' "$T/out.log" | head -1 | cut -d: -f1)
[ "$c" -lt "$b" ] || fail "no crash during the backfill"
n=$(json "$ck" 'j.stream.shards.length')
log "checkpoint: $n shard entries"
[ "$n" -ge 10 ] || fail "only $n shards in the checkpoint"
grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
exit 0
