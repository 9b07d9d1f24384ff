#!/bin/sh
# stream_sim_expired: iterators expire on the Streams simulator while
# batches are being written (each BatchWriteItem answer held 300 ms, pages
# read ahead meanwhile). Reading resumes after the last record read and
# held (AFTER_SEQUENCE_NUMBER), never from TRIM_HORIZON or LATEST, and
# nothing is lost. An endpoint whose every new iterator expires before it
# is used gets warnings with pauses, not a silent spin; reading goes on
# once it heals.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
sim_start --write-delay-ms 300 --seed 5
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_STREAM_AHEAD_RECORDS=200
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$SIM" \
    --backfill=false --max-inflight 2 --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the stream to start" grep -q "Streaming started" "$T/out.log"
ddbtool mutate src 1500 --keys 400 --prefix e --seed 8 >/dev/null &
mut=$!
track $mut
# Expire every shard's iterators a few times, each after two more reads.
for i in 1 2 3 4; do
	sleep 2
	sim_post /__expire_iterators '{"after_calls": 2}' >/dev/null ||
	    fail "expire"
done
wait $mut || fail "writer"
sim_converge src dst 180
# An endpoint whose iterators expire before they can be used: no spin in
# silence; warnings with pauses (then a restart), and on once it heals.
sim_post /__config '{"iterator_ttl_ms": 1}' >/dev/null || fail "config"
wait_for 30 "the expiry warnings" grep -q \
    "a new iterator expired before any read, asking again" "$T/out.log"
sim_post /__config '{"iterator_ttl_ms": 900000}' >/dev/null || fail "config"
ddbtool mutate src 50 --keys 20 --prefix e --seed 9 >/dev/null || fail "writer"
sim_converge src dst 120
stop_ok $sup "$T/out.log"
ddbtool compare src dst || fail "destination differs"
log "iterators: $(sim_stat 'JSON.stringify(j.iterators)')"
[ "$(sim_stat j.iterators.expired)" -ge 2 ] || fail "too few expirations"
expect_eq "TRIM_HORIZON iterators" "$(sim_stat 'j.iterators.by_type.TRIM_HORIZON || 0')" 0
expect_eq "LATEST iterators" "$(sim_stat 'j.iterators.by_type.LATEST || 0')" 0
[ "$(sim_stat 'j.iterators.by_type.AFTER_SEQUENCE_NUMBER || 0')" -ge 2 ] ||
    fail "not resumed after the last record"
grep -q "iterator expired, re-acquiring" "$T/out.log" || fail "no expiry seen"
exit 0
