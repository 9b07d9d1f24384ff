#!/bin/sh
# sighup: per-worker log files are reopened on SIGHUP, as logrotate needs.
# While a backfill runs, its log is moved away and the supervisor gets
# SIGHUP: later lines land in a new file at the original path (mode 0600),
# the moved file keeps the earlier ones and gets no more. Twice, with a
# worker crash in between; the supervisor carries on and the copy is
# complete.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
N=10000
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count $N \
    --size 200 2>"$T/load.log" || fail "load"
# Slow writes keep the backfill running until the delay is lifted.
echo '[{"target": "BatchWriteItem", "fault": "slow", "ms": 100}]' >"$T/rules"
proxy_start "$T/rules"

export DDB_SYNC_CHECKPOINT_INTERVAL_MS=0 DDB_SYNC_RESTART_BASE_MS=200
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --page-size 20 --total-segments 2 --max-inflight 1 \
    --state-dir "$T/state" --status=off >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup

L=$T/state/pairs/src/worker.log
wait_for 30 "the backfill to start" grep -q "Backfill starting" "$L"

# hup N: the supervisor has logged N reopenings.
hup() { [ "$(grep -c 'SIGHUP: per-worker log files reopened' "$T/out.log")" -ge "$1" ]; }

# First rotation.
mv "$L" "$L.1"
kill -HUP $sup
wait_for 10 "the first reopening" hup 1
wait_for 10 "a new log file" test -f "$L"
expect_eq "mode of the new log" "$(stat -c %a "$L")" 600

# A crash, logged after the rotation: into the new file only.
ck=$T/state/pairs/src/checkpoint.json
progress() {
	[ -s "$ck" ] && [ "$(json "$ck" \
	    'j.backfill.segments.reduce((a, s) => a + s.items, 0)')" -gt 0 ]
}
wait_for 30 "a checkpoint with items" progress
pid=$(cat "$T/state/pairs/src/lock")
kill -9 "$pid"
wait_for 20 "the restart" grep -q "Resuming backfill from checkpoint" "$L"
grep -q "Worker crashed (killed by signal 9" "$L" ||
    fail "the crash is not in the new log: $(cat "$L")"
grep -q "Worker crashed" "$L.1" && fail "the moved log got a later line"
grep -q "Backfill starting" "$L.1" || fail "the moved log lost its lines"

# Second rotation, then the end of the copy.
mv "$L" "$L.2"
kill -HUP $sup
wait_for 10 "the second reopening" hup 2
wait_for 10 "a new log file" test -f "$L"
kill -0 $sup 2>/dev/null || fail "ddb-sync is gone after SIGHUP"
proxy_post /__rules '[]'
wait $sup
rc=$?
cat "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(cat "$T/err.log")"
grep -q "Backfill complete\. $N items written" "$L" ||
    fail "the completion is not in the newest log: $(cat "$L")"
for f in "$L.1" "$L.2"; do
	grep -q "Backfill complete" "$f" && fail "$f got the completion line"
done
grep -q "Worker crashed" "$L.2" || fail "the second file lost the crash"
ddbtool compare src dst || fail "destination differs"
exit 0
