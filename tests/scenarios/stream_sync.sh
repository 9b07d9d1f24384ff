#!/bin/sh
# stream_sync: writes (inserts, updates, deletes, several changes to one
# key) keep arriving during the backfill and during the stream; once the
# writer stops and the stream catches up, the destination equals the source.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 20000 \
    --size 200 --prefix k 2>/dev/null || fail "load"

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --page-size 500 --max-inflight 4 --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup

# Changes during the backfill: over loaded keys and new ones.
ddbtool mutate src 1500 --keys 25000 --prefix k --seed 7 &
mut=$!
track $mut
wait_for 120 "backfill completion" grep -q "Backfill complete" "$T/out.log"
wait $mut || fail "mutator failed during the backfill"
# Changes during the stream, concentrated on few keys: many per key.
ddbtool mutate src 1500 --keys 100 --prefix k --seed 8 || fail "mutator failed"
grep -q "Streaming started" "$T/out.log" || fail "stream phase did not start"

converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 120 "the destination to converge" converged
cat "$T/cmp.log"
kill -INT $sup
wait $sup
rc=$?
cat "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc after SIGINT"
ddbtool compare src dst || fail "destination differs after stop"
grep -q "Stream stopped" "$T/state/pairs/src/worker.log" || fail "no clean stream stop"
