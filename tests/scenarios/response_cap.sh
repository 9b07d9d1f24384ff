#!/bin/sh
# response_cap: an endpoint that answers Scan with a body that never ends.
# The worker reads each such answer only up to the Scan cap (20 MiB),
# drops it as a transient error, says so, retries, and finishes the copy;
# it neither grows with the body nor dies of it.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    2>/dev/null || fail "load"
echo '[{"target": "Scan", "fault": "endless", "count": 3}]' >"$T/rules.json"
proxy_start "$T/rules.json"

export DDB_SYNC_RETRY_NOTICE_MS=1 DDB_SYNC_RETRY_BASE_MS=50
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --total-segments 1 --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>&1 || fail "ddb-sync failed: $(tail -n 20 "$T/out.log")"
tail -n 3 "$T/out.log"
proxy_get /__stats >"$T/stats.json"
expect_eq "endless answers sent" "$(json "$T/stats.json" "j.faults.endless")" 3
grep -q "ResponseTooLarge: the answer to Scan from $PROXY was longer than 20971520 bytes" \
    "$T/out.log" || fail "the cut-off answer was not reported"
grep -q "Backfill complete. 3000 items written" "$T/out.log" ||
    fail "the backfill did not complete"
ddbtool compare src dst || fail "destination differs"
# Memory: one capped answer at a time, not the endless body. (Sanitizer
# builds keep freed memory in quarantine: no bound there.)
peak=$(sed -n 's/.*workers .* largest peak \([0-9]*\) KiB.*/\1/p' "$T/out.log")
log "worker peak RSS ${peak} KiB"
case "$BUILD" in
*san*) ;;
*) [ "${peak:-0}" -gt 0 ] && [ "$peak" -lt 102400 ] ||
    fail "worker peak RSS ${peak} KiB: the body was not capped" ;;
esac
