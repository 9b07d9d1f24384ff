#!/bin/sh
# create_crash: the worker is killed right after CreateTable, before the new
# table's TTL is turned on. The restarted worker finds create.pending and
# finishes the creation (TTL on) instead of only comparing the table, then
# copies; nothing is left half made.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --ttl expires_at || fail "src"
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 300 \
    2>/dev/null || fail "load"

export DDB_SYNC_CRASH_AT=create-made DDB_SYNC_CRASH_FILE="$T/crashed"
export DDB_SYNC_RESTART_BASE_MS=200
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --create-output --no-stream --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>&1
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 0
[ -e "$T/crashed" ] || fail "the worker was not killed after CreateTable"
grep -q "Worker crashed" "$T/out.log" || fail "no crash logged"
grep -q "finishing the creation of destination table dst that an earlier run started" \
    "$T/out.log" || fail "the restarted worker did not finish the creation"
grep -q "Destination table dst created" "$T/out.log" || fail "not finished"
[ -e "$T/state/pairs/src/create.pending" ] && fail "create.pending left behind"
ddbtool describe dst >"$T/dst.json" || fail "no destination"
expect_eq "TTL on the destination" \
    "$(json "$T/dst.json" 'j.TimeToLive.TimeToLiveStatus + " " + j.TimeToLive.AttributeName')" \
    "ENABLED expires_at"
ddbtool compare src dst || fail "the copy differs"
exit 0
