#!/bin/sh
# spool_rollover: the spool across shard rollovers and splits (issue 13).
# The simulator rolls its shards over every 1.5 s, half the time splitting
# them (up to 6 open); Scan answers are held 500 ms, so the backfill lasts
# about 15 s, and a writer changes the same 300 keys all through it: every
# key's changes run along parent and child shards. All of it is read into
# the spool, children after their parents, while the backfill runs; then
# applied. The destination converges to the source (the independent
# reader); the checkpoint lists the shards the spool crossed, and the
# closed ones as done.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
sim_start --scan-delay-ms 500 --rollover-ms 1500 --split-p 0.5 \
    --max-open-shards 6 --seed 51
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=500
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --page-size 100 --total-segments 1 --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the backfill" grep -q "Backfill starting" "$T/out.log"
sim_writer 0 100 300 0
wait_for 120 "the backfill to end" grep -q "Backfill complete" "$T/out.log"
created=$(sim_stat j.shards.created)
splits=$(sim_stat j.splits)
log "during the backfill: $created shards created, $splits splits"
[ "$created" -ge 8 ] || fail "only $created shards during the backfill"
[ "$splits" -ge 1 ] || fail "no split during the backfill"
touch "$T/stop-writer"
wait $mut || fail "writer failed"
sim_converge src dst 180
stop_ok $sup "$T/out.log" 40
ddbtool compare src dst || fail "destination differs"
grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
grep -q "FAILED" "$T/out.log" && fail "the pair failed"
ck="$T/state/pairs/src/checkpoint.json"
n=$(json "$ck" 'j.stream.shards.length')
d=$(json "$ck" 'j.stream.shards.filter((s) => s.done).length')
log "checkpoint: $n shards, $d done"
[ "$n" -ge 8 ] || fail "only $n shards in the checkpoint"
[ "$d" -ge 4 ] || fail "only $d shards done"
exit 0
