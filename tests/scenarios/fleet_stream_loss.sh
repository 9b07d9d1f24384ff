#!/bin/sh
# fleet_stream_loss: two hosts share a pair (docs/fleet.md); the backfill
# is split between them, then the stream's shard is a lease one of them
# holds. That host is frozen (SIGSTOP) until the other takes the shard
# over, then thawed: it reports the lease lost. Then the new owner is
# killed whole (kill -9 of its supervisor and worker) while changes keep
# coming: its lease expires, the first host takes the shard back from the
# checkpoint in the lease and the destination converges to the source (the
# independent reader). The host left stops on SIGINT, releasing its
# leases.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/fleet.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 2000 \
    2>/dev/null || fail "load"
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000 \
    DDB_SYNC_CHECKPOINT_INTERVAL_MS=0
fleet_two_hosts "$ENDPOINT" 50
claimed() { grep -l "Lease claimed: shard#" "$T/h1.out" "$T/h2.out"; }
wait_for 90 "a host to take the stream's shard" claimed
ddbtool mutate src 1500 --keys 1000 --prefix k --seed 11 &
mut=$!
track $mut
# Some changes applied and checkpointed in the shard's lease by its
# first owner (the table, read by the independent client), then it dies.
checkpointed() {
	ddbtool dump leases 2>/dev/null | grep '"kind":{"S":"shard"}' |
	    grep -q '"seq":{"S"'
}
wait_for 90 "the shard's lease to hold a checkpoint" checkpointed
if grep -q "Lease claimed: shard#" "$T/h1.out"; then
	first=1 second=2
else
	first=2 second=1
fi
eval "firstpid=\$host$first secondpid=\$host$second"
# The first owner is frozen until the other host takes the shard over,
# then thawed: it finds the lease lost, stops the shard (its batch in
# flight is the writer's fence's to drop) and moves no checkpoint.
fleet_pause "$firstpid"
log "host $first frozen"
wait_for 90 "host $second to take the shard over" \
    grep -q "Lease claimed: shard#.*(expired)" "$T/h$second.out"
fleet_resume "$firstpid"
wait_for 60 "host $first to find its shard lost" \
    grep -q "Lease lost: shard#" "$T/h$first.out"
# Then the new owner dies whole; the first host takes the shard back.
eval "lost=$second left=$first lostpid=\$host$second leftpid=\$host$first"
fleet_kill "$lostpid"
log "host $lost killed"
wait_for 90 "host $left to take the shard over" \
    grep -q "Lease claimed: shard#.*(expired), resuming from its checkpoint" \
    "$T/h$left.out"
wait $mut || fail "mutator failed"
converged() { ddbtool compare src dst >"$T/cmp.log" 2>&1; }
wait_for 120 "the destination to converge" converged
kill -INT "$leftpid"
wait "$leftpid"
rc=$?
cat "$T/h$left.out"
expect_eq "exit status of host $left after SIGINT" "$rc" 0
ddbtool compare src dst || fail "destination differs"
grep -q "Lease released: shard#" "$T/h$left.out" ||
    fail "host $left did not release its shard when stopped"
# Both hosts did part of the backfill's segments.
for h in 1 2; do
	n=$(grep -c "Lease claimed: segment#" "$T/h$h.out")
	log "host $h claimed $n segments"
done
grep -q "FAILED\|Changes were lost" "$T/h$left.out" && fail "host $left failed"
exit 0
