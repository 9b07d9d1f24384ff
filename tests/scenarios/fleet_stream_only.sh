#!/bin/sh
# fleet_stream_only: a pair without a backfill phase in a fleet (docs/
# fleet.md): two hosts agree on the stream's start once (recorded in the
# pair item, the same on both), one of them takes the shard's lease, and
# the stream's changes reach the destination (the independent reader).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/fleet.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 50 \
    --prefix old 2>/dev/null || fail "load"
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000 \
    DDB_SYNC_CHECKPOINT_INTERVAL_MS=0
fleet_two_hosts "$ENDPOINT" 50 "backfill: {disabled: true}"
streaming() {
	grep -q "Streaming started" "$T/h1.out" &&
	    grep -q "Streaming started" "$T/h2.out"
}
wait_for 90 "both hosts to stream" streaming
claimed() { grep -l "Lease claimed: shard#" "$T/h1.out" "$T/h2.out"; }
wait_for 90 "a host to take the shard" claimed
ddbtool mutate src 600 --keys 300 --prefix k --seed 5 || fail "mutate"
# The stream's records from each shard's start (as for one host without
# a backfill: the items loaded before are in them too) reach dst.
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 120 "the destination to converge" converged
kill -INT "$host1" "$host2"
wait "$host1"
rc1=$?
wait "$host2"
rc2=$?
expect_eq "exit status of host 1" "$rc1" 0
expect_eq "exit status of host 2" "$rc2" 0
s1=$(sed -n 's/.*Stream across the fleet, from \([0-9]*\) .*/\1/p' "$T/h1.out")
s2=$(sed -n 's/.*Stream across the fleet, from \([0-9]*\) .*/\1/p' "$T/h2.out")
[ -n "$s1" ] || fail "host 1 did not say the stream's start: $(cat "$T/h1.out")"
expect_eq "the stream's start, as both hosts use it" "$s1" "$s2"
cat "$T/h1.out" "$T/h2.out" | grep -q "FAILED\|Changes were lost" &&
    fail "a host failed"
exit 0
