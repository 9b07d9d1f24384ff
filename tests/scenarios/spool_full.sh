#!/bin/sh
# spool_full: a spool bounded to its least size (spool_max_bytes 64 KiB,
# issue 13). A writer changes the source all through a backfill of about
# 15 s (Scan answers held 500 ms), far more than 64 KiB of changes:
#  1. with the stream's usual retention, reading the stream pauses when
#     the spool is full (back-pressure), the warning names the size and how
#     long the stream can still wait, and once the backfill is done the
#     applier frees the spool, reading goes on and the copy converges;
#  2. with a 30 s retention and a backfill of 90 s, the wait would outlast
#     the retention: the pair stops with the SpoolFull error before any
#     change ages out unread, and says what to do.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000

sim_start --scan-delay-ms 500 --rollover-ms 5000 --seed 41
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --page-size 100 --total-segments 1 --state-dir "$T/state" \
    --spool-max-bytes 64KiB --status=off >"$T/out.log" 2>&1 &
sup=$!
track $sup
sim_writer 200 150 3000
wait_for 60 "the backfill" grep -q "Backfill starting" "$T/out.log"
wait_for 60 "the spool-full warning" grep -q "Spool full" "$T/out.log"
grep "Spool full" "$T/out.log" | head -1 >"$T/warn"
cat "$T/warn"
grep -q "of spool_max_bytes 64KiB" "$T/warn" || fail "no bound in the warning"
grep -q "it can wait .* more before unread changes age out" "$T/warn" ||
    fail "no time left in the warning"
paused() {
	"$BIN/ddb-sync" ctl status --state-dir "$T/state" >"$T/status" 2>&1 &&
	    grep -Eq '"spool_paused": ?true' "$T/status" &&
	    "$BIN/ddb-sync" ctl list --state-dir "$T/state" >"$T/list" 2>&1 &&
	    grep -q "FULL" "$T/list"
}
wait_for 30 "ctl status to show the pause" paused
wait_for 120 "the backfill to end" grep -q "Backfill complete" "$T/out.log"
wait_for 60 "reading to go on" grep -q "Spool: room again" "$T/out.log"
touch "$T/stop-writer"
wait $mut || fail "writer failed"
sim_converge src dst 180
stop_ok $sup "$T/out.log" 40
ddbtool compare src dst || fail "destination differs"
grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
grep -q "FAILED" "$T/out.log" && fail "the pair failed"

# 2: the retention runs out first.
log "--- a 30 s retention: the pair must stop"
rm -f "$T/stop-writer"
ddbtool create-table dst2 --hash pk:S
sim_post /__config '{"retention_ms": 30000, "scan_delay_ms": 3000}' >/dev/null ||
    fail "sim config"
# No handoff margin: with 30 s of retention the stream has trimmed what
# came before the run, which the backfill covers.
export DDB_SYNC_STREAM_RETENTION_MS=30000 DDB_SYNC_HANDOFF_MARGIN_MS=0
"$BIN/ddb-sync" --input-table src --output-table dst2 \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --page-size 100 --total-segments 1 --state-dir "$T/state2" \
    --spool-max-bytes 64KiB --status=off >"$T/out2.log" 2>&1 &
sup=$!
track $sup
sim_writer 400 150 3000
wait $sup
rc=$?
touch "$T/stop-writer"
wait $mut
cat "$T/out2.log"
expect_eq "exit status" "$rc" 1
grep -q "FAILED: SpoolFull" "$T/out2.log" || fail "not the SpoolFull error"
grep -q "Stopped before anything is lost" "$T/out2.log" ||
    fail "the error does not say nothing was lost"
grep -q "spool_max_bytes" "$T/out2.log" || fail "the error names no remedy"
grep -q "Backfill complete" "$T/out2.log" &&
    fail "the backfill ended: the test proves nothing"
grep -q "Changes were lost" "$T/out2.log" && fail "a gap instead"
exit 0
