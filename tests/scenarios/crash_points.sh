#!/bin/sh
# crash_points: the worker kills itself (SIGKILL) at each interesting moment
# (mid-page, between a write and its checkpoint, inside a checkpoint write
# before the rename, after a stream page is applied but not checkpointed;
# with the spool, after records are durable in it but before the
# checkpoint says so, and after a batch from it is applied but not
# checkpointed), at several depths; every run ends with the
# destination equal to the source, and the checkpoint on disk is always
# whole (it is read back after every crash).
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 4000 \
    --size 200 --prefix k 2>/dev/null || fail "load"
export DDB_SYNC_RESTART_BASE_MS=100 DDB_SYNC_POLL_MS=200
export DDB_SYNC_SHARD_REFRESH_MS=1000
# Many checkpoint writes, so each depth of the mid-write crash is reached.
export DDB_SYNC_CHECKPOINT_INTERVAL_MS=100

runs=0
crashes=0
# The shard-transition point (shard-done) exists too, but DynamoDB Local
# does not close shards within a test's time; lineage order is covered by
# the unit tests (test_lineage).
# stream-applied is the direct path's (--no-spool); spool-committed and
# spool-applied the spool's (the default).
for spec in scan-page:1 scan-page:5 batch-acked:1 batch-acked:6 \
    before-rename:1 before-rename:3 before-rename:6 stream-applied:1 \
    stream-applied:2 spool-committed:1 spool-committed:3 spool-applied:1 \
    spool-applied:2; do
	point=${spec%:*}
	after=${spec#*:}
	spool=--spool
	[ "$point" = stream-applied ] && spool=--no-spool
	{
		runs=$((runs + 1))
		dst=dst$runs
		ddbtool create-table $dst --hash pk:S
		export DDB_SYNC_CRASH_AT=$point DDB_SYNC_CRASH_AFTER=$after
		export DDB_SYNC_CRASH_FILE="$T/crashed$runs"
		"$BIN/ddb-sync" --input-table src --output-table $dst \
		    --input-endpoint-url "$ENDPOINT" \
		    --output-endpoint-url "$ENDPOINT" --page-size 200 \
		    --max-inflight 4 --state-dir "$T/state$runs" --status=off $spool \
		    >"$T/out$runs.log" 2>&1 &
		sup=$!
		track $sup
		wait_for 60 "streaming ($point/$after)" grep -q "Streaming started" "$T/out$runs.log"
		# Changes for the stream points to pass by.
		ddbtool mutate src 300 --keys 4000 --prefix k --seed $runs >/dev/null
		converged() { ddbtool compare src $dst >"$T/cmp$runs.log" 2>&1; }
		wait_for 90 "convergence ($point/$after)" converged
		kill -INT $sup
		wait $sup || fail "$point/$after: ddb-sync exited $?: $(cat "$T/out$runs.log")"
		unset DDB_SYNC_CRASH_AT DDB_SYNC_CRASH_AFTER DDB_SYNC_CRASH_FILE
		ck="$T/state$runs/pairs/src/checkpoint.json"
		json "$ck" 'j.format' >/dev/null || fail "$point/$after: checkpoint unreadable"
		ls -a "$T/state$runs/pairs/src" | grep -q '\.tmp\.' &&
		    fail "$point/$after: temp files left behind"
		if [ -e "$T/crashed$runs" ]; then
			crashes=$((crashes + 1))
			grep -q "Worker crashed (killed by signal 9" "$T/out$runs.log" ||
			    fail "$point/$after: crash not reported"
			log "$point after $after: crashed, resumed, equal"
		else
			fail "$point after $after: the point was not reached"
		fi
		ddbtool compare src $dst >/dev/null || fail "$point/$after: destination differs"
	}
done
log "$runs runs, $crashes crashes, all equal"
