#!/bin/sh
# spool_long_backfill: a backfill longer than the stream's retention, with
# the spool (issue 13). The simulator keeps 30 s of changes (told to the
# worker); Scan answers are held 3.5 s, so the backfill of 30 pages takes
# at least 90 s, three times the retention. A writer changes the source all
# through the backfill, keys already scanned included. The stream is read
# into the spool from the backfill's start, so the changes the stream
# trims meanwhile are on disk: the destination converges to the source as
# the independent reader sees it, with no gap. While the backfill runs,
# `ctl list` shows the spool's size; once everything is applied, no
# segment file is left. The same run without the spool ends in the gap error
# (stream_sim_trim_backfill).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
sim_start --retention-ms 30000 --scan-delay-ms 3500 --rollover-ms 10000 \
    --seed 12
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_STREAM_RETENTION_MS=30000 DDB_SYNC_HANDOFF_MARGIN_MS=0
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --page-size 100 --total-segments 1 --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the backfill" grep -q "Backfill starting" "$T/out.log"
grep -q "Spool: reading the stream while the backfill runs" "$T/out.log" ||
    fail "the spool was not started with the backfill"

# Changes all through the backfill, 200 every 2 s.
sim_writer 0 200 3000 2

spooled() {
	"$BIN/ddb-sync" ctl status --state-dir "$T/state" >"$T/status" 2>&1 &&
	    grep -Eq '"spool_bytes": ?[1-9]' "$T/status" &&
	    "$BIN/ddb-sync" ctl list --state-dir "$T/state" >"$T/list" 2>&1 &&
	    grep -q "SPOOL" "$T/list" &&
	    grep -Eq "[0-9.]+[KMG]?i?B/[0-9hms]+" "$T/list"
}
wait_for 60 "ctl status and ctl list to show the spool" spooled
cat "$T/list"
wait_for 300 "the backfill to end" grep -q "Backfill complete" "$T/out.log"
touch "$T/stop-writer"
wait $mut || fail "writer failed"
sim_converge src dst 180
# Everything is applied and checkpointed: no segment file is left.
nosegs() { ! ls "$T/state/pairs/src/spool" | grep -q '\.seg$'; }
wait_for 30 "the applied spool to be deleted" nosegs
stop_ok $sup "$T/out.log"
ddbtool compare src dst || fail "destination differs"

grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
sim_get /__stats >"$T/stats.json"
[ "$(json "$T/stats.json" j.records.trimmed)" -gt 0 ] ||
    fail "nothing was trimmed: the run proves nothing"
# The backfill outlived the retention three times over.
ck="$T/state/pairs/src/checkpoint.json"
took=$(json "$ck" 'j.backfill.completed_ms - j.backfill.started_ms')
log "backfill took $took ms"
[ "$took" -ge 90000 ] || fail "the backfill took only $took ms"
expect_eq "checkpoint says spool" "$(json "$ck" j.stream.spool)" true
exit 0
