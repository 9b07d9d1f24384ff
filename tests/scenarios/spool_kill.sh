#!/bin/sh
# spool_kill: kill -9 while the stream is read into the spool and while the
# spool is applied (issue 13). On the Streams simulator (shards roll over
# every 4 s), with Scan answers held 1 s so the backfill lasts about 30 s
# and a writer changing the source all through it:
#  1. the worker dies right after a spool commit, before the checkpoint
#     says so (crash point spool-committed): the restart reads on from the
#     spool's last record, not from the older checkpoint;
#  2. it is killed by hand while spooling, and the whole of ddb-sync is
#     stopped (SIGINT) and started again during the backfill;
#  3. in the second run it dies in the middle of applying the spool, a
#     batch written but its positions not saved (crash point spool-applied,
#     batches of 300 records): the restart applies that batch again.
# The destination converges to the source (the independent reader), with
# no gap and no error, so nothing was lost or applied out of order.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
sim_start --scan-delay-ms 1000 --rollover-ms 4000 --split-p 0.3 \
    --max-open-shards 4 --seed 31
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_RESTART_BASE_MS=200 DDB_SYNC_SPOOL_APPLY_RECORDS=300
lock="$T/state/pairs/src/lock"
run() {
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
	    --page-size 100 --total-segments 1 --state-dir "$T/state" \
	    --status=off >>"$T/out.log" 2>&1 &
	sup=$!
	track $sup
}
crashes() { grep -c 'Worker crashed (killed by signal 9' "$T/out.log"; }

DDB_SYNC_CRASH_AT=spool-committed DDB_SYNC_CRASH_AFTER=15 \
    DDB_SYNC_CRASH_FILE="$T/crash1" run
sim_writer 100 150 3000
wait_for 60 "the backfill" grep -q "Backfill starting" "$T/out.log"
wait_for 60 "the crash after a spool commit" test -e "$T/crash1"
wait_for 30 "its restart" sh -c "[ \$(grep -c 'Worker crashed' '$T/out.log') -ge 1 ]"
wait_for 30 "a new worker" sh -c "kill -0 \$(cat $lock) 2>/dev/null"
wait_for 30 "the restarted worker to find the spool" \
    grep -q "Spool: .* kept from the last run" "$T/out.log"
sleep 3
grep -q "Backfill complete" "$T/out.log" && fail "the backfill ended too soon"
pid=$(cat "$lock")
kill -9 "$pid" || fail "worker $pid not running"
log "killed worker $pid while spooling"
wait_for 30 "a new worker" sh -c "[ \"\$(cat $lock 2>/dev/null)\" != \"$pid\" ] && kill -0 \$(cat $lock) 2>/dev/null"
sleep 2
grep -q "Backfill complete" "$T/out.log" && fail "the backfill ended too soon"
kill -INT $sup
wait $sup || fail "the first run exited $?"

# Second run: dies while applying the spool.
DDB_SYNC_CRASH_AT=spool-applied DDB_SYNC_CRASH_AFTER=3 \
    DDB_SYNC_CRASH_FILE="$T/crash2" run
wait_for 120 "the backfill to end" grep -q "Backfill complete" "$T/out.log"
touch "$T/stop-writer"
wait $mut || fail "writer failed"
wait_for 60 "the crash while applying" test -e "$T/crash2"
sim_converge src dst 180
stop_ok $sup "$T/out.log"
ddbtool compare src dst || fail "destination differs"

expect_eq "crash lines" "$(crashes)" 3
grep -q "Applying the spool" "$T/out.log" || fail "the spool was not applied"
grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
grep -q "FAILED" "$T/out.log" && fail "the pair failed"
# The second crash came after the backfill: while the spool was applied.
c=$(grep -n 'Worker crashed' "$T/out.log" | tail -1 | cut -d: -f1)
b=$(grep -n 'Backfill complete' "$T/out.log" | head -1 | cut -d: -f1)
[ "$c" -gt "$b" ] || fail "the last crash was not in the apply"
[ "$(sim_stat j.rollovers)" -ge 5 ] || fail "fewer than 5 rollovers"
exit 0
