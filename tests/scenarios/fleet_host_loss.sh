#!/bin/sh
# fleet_host_loss: three hosts copy one pair through a coordination table
# (docs/fleet.md); in the middle of the backfill one whole host (its
# supervisor, lease keeper and worker) is killed with SIGKILL while it owns
# segments with progress checkpointed. Its leases expire and the two
# survivors take them over ("Lease claimed: segment#N (expired)"), going on
# from the checkpoints: both exit 0, the independent reader finds the copy
# equal, and every segment item is done with items adding up to the
# source's (a segment redone from its start would count its items twice);
# those it had progress in were resumed from their checkpoints.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/fleethosts.sh"

N=9000
SEGS=12
FLEET_PAIRS="orders"

ddbl_start
# Every Scan page takes a while: a segment lasts several seconds, so
# the killed host's segments are not done when it dies.
echo '[{"target": "Scan", "fault": "slow", "ms": 400}]' >"$T/rules.json"
proxy_start "$T/rules.json"
fleet_tables orders $N
fleet_plan "$T/plan.yml" "$PROXY" $SEGS 50 orders
fleet_create "$T/plan.yml"

for h in 1 2 3; do
	fleet_start $h "$T/plan.yml"
done

# Host 1 owns a segment under way, with less than half of a segment's
# (N / SEGS) items checkpointed.
fleet_under_way 1 $((N / SEGS / 2))
fleet_kill 1
mv "$T/owned" "$T/progressed"
log "host 1 killed; it had progress in: $(tr '\n' ' ' <"$T/progressed")"
# The killed host's segments, not done (else the test is void).
fleet_held 1 "$T/owned" || fail "cannot read $FLEET_TABLE"
[ -s "$T/owned" ] || fail "host 1's segments were done before it died"

fleet_wait 2
fleet_wait 3
fleet_equal orders $SEGS $N >/dev/null

# Each unit host 1 owned at its death was taken as expired by a survivor.
fleet_leases "$T"/host1.out "$T"/host2.out "$T"/host3.out >"$T/leases.txt"
while read -r p u; do
	s=${u#segment#}
	grep -q "^host[23] claimed $p $s  *(expired)" "$T/leases.txt" ||
	    fail "$p $u of the dead host was not taken as expired: $(grep " $p $s " "$T/leases.txt")"
done <"$T/owned"
# Those with progress went on from their checkpoints.
while read -r p u; do
	s=${u#segment#}
	grep -q "^host[23] claimed $p $s  *(expired), resuming from its checkpoint" \
	    "$T/leases.txt" ||
	    fail "$p $u was not resumed from its checkpoint: $(grep " $p $s " "$T/leases.txt")"
done <"$T/progressed"
fleet_once "$T/leases.txt" orders $SEGS
# A survivor never loses a lease here: the dead host writes nothing.
if grep -q "^host[23] lost " "$T/leases.txt"; then
	fail "a survivor lost a lease: $(grep "^host[23] lost " "$T/leases.txt")"
fi
log "taken over: $(grep -c "^host[23] claimed .*(expired)" "$T/leases.txt") expired leases"
log "ok"
