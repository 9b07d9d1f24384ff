#!/bin/sh
# backfill_kill_supervisor: kill -9 the supervisor mid-backfill; its worker
# notices and exits; a new run on the same state directory resumes from the
# checkpoint and completes with the destination equal to the source.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
N=40000
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count $N \
    --size 300 2>/dev/null || fail "load"

run() {
	exec "$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --stream=false --page-size 200 --max-inflight 2 \
	    --state-dir "$T/state" --status=off "$@"
}
export DDB_SYNC_CHECKPOINT_INTERVAL_MS=0
(run >"$T/out1.log" 2>&1) &
sup=$!
track $sup
ck="$T/state/pairs/src/checkpoint.json"
wait_for 60 "backfill progress" sh -c "[ -s $ck ] && node -e '
    const j = JSON.parse(require(\"fs\").readFileSync(\"$ck\"));
    process.exit(j.backfill.segments.reduce((a, s) => a + s.items, 0) > 5000 ? 0 : 1)'"
wpid=$(cat "$T/state/pairs/src/lock")
kill -9 $sup
wait $sup 2>/dev/null
# The orphaned worker must not carry on alone.
wait_for 20 "the worker to exit after its supervisor died" sh -c "! kill -0 $wpid 2>/dev/null"
before=$(json "$ck" 'j.backfill.segments.reduce((a, s) => a + s.items, 0)')
[ "$before" -lt $N ] || fail "backfill finished before the kill; test is void"
log "supervisor killed; checkpoint at $before items"

(run >"$T/out2.log" 2>&1) || fail "second run failed: $(cat "$T/out2.log")"
cat "$T/out2.log"
grep -q "Resuming backfill from checkpoint" "$T/out2.log" || fail "did not resume"
grep -q "Backfill complete\. $N items written" "$T/out2.log" || fail "no completion line"
ddbtool compare src dst || fail "destination differs"
