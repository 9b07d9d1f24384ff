#!/bin/sh
# stream_kill_worker: kill -9 the worker during the stream phase, several
# times; it resumes from its per-shard checkpoints (no replay from the
# start: the writes seen by the proxy stay close to the changes made) and
# the destination ends equal to the source.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
proxy_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
export DDB_SYNC_RESTART_BASE_MS=200 DDB_SYNC_CHECKPOINT_INTERVAL_MS=0
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --input-streams-endpoint-url "$ENDPOINT" \
    --output-endpoint-url "$PROXY" --backfill=false --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
wait_for 30 "the stream to start" grep -q "Streaming started" "$T/out.log"

M=4000
ddbtool mutate src $M --keys 3000 --prefix k --seed 11 &
mut=$!
track $mut
lock="$T/state/pairs/src/lock"
ck="$T/state/pairs/src/checkpoint.json"
kills=0
while [ $kills -lt 3 ]; do
	sleep 2
	pid=$(cat "$lock")
	kill -9 "$pid" 2>/dev/null || fail "worker $pid not running"
	kills=$((kills + 1))
	log "killed worker $pid"
	wait_for 20 "a new worker" sh -c "[ \"\$(cat $lock 2>/dev/null)\" != \"$pid\" ] && kill -0 \$(cat $lock) 2>/dev/null"
done
wait $mut || fail "mutator failed"
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 120 "the destination to converge" converged
kill -INT $sup
wait $sup
rc=$?
cat "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc"
ddbtool compare src dst || fail "destination differs"

expect_eq "crash lines" "$(grep -c 'Worker crashed (killed by signal 9' "$T/out.log")" 3
n=$(grep -c "Resuming stream from checkpoint" "$T/out.log")
[ "$n" -ge 3 ] || fail "resumed $n times from checkpoints, want 3"
proxy_get /__stats >"$T/stats.json"
w=$(json "$T/stats.json" 'j.puts + j.deletes')
bound=$((M + kills * 1000))
log "stream writes $w for $M changes after $kills kills (bound $bound)"
[ "$w" -le "$bound" ] || fail "$w writes: the stream was replayed from the start"
