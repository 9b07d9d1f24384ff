#!/bin/sh
# backfill_kill_worker: kill -9 the worker several times mid-backfill; the
# supervisor restarts it, it resumes from its checkpoint, the copy completes
# and equals the source, and the items written twice stay within the pages
# that were buffered when it died.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
proxy_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
N=40000
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count $N \
    --size 300 2>/dev/null || fail "load"

PAGE=200
SEGS=4
PERSEG=2
export DDB_SYNC_CHECKPOINT_INTERVAL_MS=0 DDB_SYNC_PAGES_PER_SEGMENT=$PERSEG
export DDB_SYNC_RESTART_BASE_MS=200 DDB_SYNC_MAX_INFLIGHT=2
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --page-size $PAGE --total-segments $SEGS \
    --state-dir "$T/state" --status=off >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup

ck="$T/state/pairs/src/checkpoint.json"
lock="$T/state/pairs/src/lock"
items_done() {
	[ -s "$ck" ] && json "$ck" 'j.backfill.segments.reduce((a, s) => a + s.items, 0)'
}
kills=0
last=0
while [ $kills -lt 3 ]; do
	# Let it make progress past the previous kill, then kill it.
	wait_for 60 "backfill progress" sh -c "n=\$(node -e '
	    try { const j = JSON.parse(require(\"fs\").readFileSync(\"$ck\"));
	    console.log(j.backfill.segments.reduce((a, s) => a + s.items, 0)); }
	    catch (e) { console.log(0) }'); [ \$n -gt $((last + 2000)) ]"
	pid=$(cat "$lock")
	kill -0 "$pid" 2>/dev/null || fail "worker $pid not running"
	kill -9 "$pid"
	kills=$((kills + 1))
	last=$(items_done)
	log "killed worker $pid at $last items checkpointed"
	wait_for 20 "a new worker" sh -c "[ \"\$(cat $lock 2>/dev/null)\" != \"$pid\" ] && kill -0 \$(cat $lock) 2>/dev/null"
done

wait $sup
rc=$?
cat "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc"
ddbtool compare src dst || fail "destination differs"

n=$(grep -c "Worker crashed (killed by signal 9" "$T/out.log")
expect_eq "crash lines" "$n" 3
n=$(grep -c "Resuming backfill from checkpoint" "$T/out.log")
expect_eq "resume lines" "$n" 3
# The supervisor says what each restart resumed from (the worker's hello)
# and how old the checkpoint was (its checkpoint messages).
n=$(grep -c "Worker restarted (restart [1-3], pid [0-9]*) from its checkpoint: backfill: [0-9]*/$SEGS segments done, [0-9]* items" "$T/out.log")
expect_eq "restart lines naming the checkpoint" "$n" 3
n=$(grep -c "Worker crashed (killed by signal 9 (Killed)); restarting in [0-9a-z]* from its checkpoint (at most [0-9a-z]* old)" "$T/out.log")
expect_eq "crash lines with the checkpoint's age" "$n" 3
grep -q "Backfill complete\. $N items written" "$T/out.log" ||
    fail "no completion line with $N items"

proxy_get /__stats >"$T/stats.json"
puts=$(json "$T/stats.json" 'j.puts')
redo=$((puts - N))
bound=$((3 * SEGS * PERSEG * PAGE))
log "items written $puts for $N: $redo rewritten after 3 kills (bound $bound)"
[ "$redo" -ge 0 ] || fail "fewer writes ($puts) than items ($N)"
[ "$redo" -le "$bound" ] || fail "rewrote $redo items, more than $bound"
