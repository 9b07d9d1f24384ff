#!/bin/sh
# stream_sim_trim_backfill: the run of issue 12 that lost changes silently,
# without the spool (--no-spool: the stream is read after the backfill).
# The stream keeps 30 s of changes (the simulator's retention, told to the
# worker), the backfill takes longer (Scan answers held 1.5 s), and a
# writer changes the source meanwhile: changes from the backfill's first
# seconds are trimmed before the stream phase can read them. The pair must
# stop with the gap error, never stream on as if nothing was lost. With
# the spool the same run converges: spool_long_backfill.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
sim_start --retention-ms 30000 --scan-delay-ms 1500 --rollover-ms 5000 \
    --seed 11
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_STREAM_RETENTION_MS=30000
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --page-size 100 --total-segments 1 --state-dir "$T/state" --no-spool \
    --status=off >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the backfill" grep -q "Backfill starting" "$T/out.log"
ddbtool mutate src 400 --keys 3000 --prefix k --seed 4 >/dev/null ||
    fail "writer"
wait $sup
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 1
grep -q "FAILED: StreamGap" "$T/out.log" || fail "not the StreamGap error"
grep -q "Changes were lost" "$T/out.log" || fail "no gap error"
[ -e "$T/state/pairs/src/spool" ] && fail "a spool with --no-spool"
sim_get /__stats >"$T/stats.json"
[ "$(json "$T/stats.json" j.records.trimmed)" -gt 0 ] ||
    fail "nothing was trimmed: the run proves nothing"
exit 0
