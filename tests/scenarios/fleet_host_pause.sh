#!/bin/sh
# fleet_host_pause: two hosts copy one pair through a coordination table
# (docs/fleet.md). Host 1 is stopped whole (SIGSTOP: supervisor, lease
# keeper, worker) while it owns segments under way; host 2 takes them all
# over as expired; then host 1 continues (SIGCONT). Host 1 must find that
# it lost each of them ("Lease lost: segment#N: ...", a failed condition
# or its deadline passed) and stop them without a checkpoint; both hosts
# exit 0, the independent reader finds the copy equal, and every segment
# item is done with items adding up to the source's.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/fleet.sh"

N=8000
SEGS=8
FLEET_PAIRS="orders"

ddbl_start
# Every Scan page takes a while: a segment lasts longer than a lease.
echo '[{"target": "Scan", "fault": "slow", "ms": 400}]' >"$T/rules.json"
proxy_start "$T/rules.json"
fleet_tables orders $N
fleet_plan "$T/plan.yml" "$PROXY" $SEGS 50 orders
fleet_create "$T/plan.yml"

fleet_start 1 "$T/plan.yml"
fleet_start 2 "$T/plan.yml"

# Host 1 owns a segment under way (its id holds its supervisor's pid).
pid1=$(fleet_pid 1)
owned() {
	fleet_units "$T/units.json" &&
	    fleet_owned "$T/units.json" "$pid1" 1 $((N / SEGS / 2)) \
	    >"$T/owned" && [ -s "$T/owned" ]
}
wait_for 240 "host 1 to own a segment with progress" owned
wait_for 60 "host 1's claim line" fleet_has 1 "Lease claimed: segment#"
fleet_stop 1
fleet_units "$T/units.json"
fleet_owned "$T/units.json" "$pid1" 0 $((N + 1)) >"$T/owned"
[ -s "$T/owned" ] || fail "host 1's segments were done before it stopped"
log "host 1 stopped; it owns: $(tr '\n' ' ' <"$T/owned")"

# Host 2 takes every one of them once they expired.
taken() {
	fleet_units "$T/units.json" &&
	    fleet_owned "$T/units.json" "$pid1" 0 $((N + 1)) >"$T/still" &&
	    [ ! -s "$T/still" ]
}
wait_for 240 "host 2 to take host 1's leases" taken
fleet_has 2 "Lease claimed: segment#[0-9]+ \(expired\)" ||
    fail "host 2 took the leases but logged no expired claim"
fleet_cont 1
log "host 1 continued"

fleet_wait 1
fleet_wait 2
ddbtool compare orders-src orders-dst || fail "orders-dst differs"
fleet_units "$T/units.json"
fleet_check_done "$T/units.json" orders $SEGS $N >/dev/null ||
    fail "coordination table: see above"

fleet_leases "$T"/host1.out "$T"/host2.out >"$T/leases.txt"
while read -r p u; do
	s=${u#segment#}
	grep -q "^host2 claimed $p $s  *(expired)" "$T/leases.txt" ||
	    fail "$p $u was not taken as expired: $(grep " $p $s " "$T/leases.txt")"
	grep "^host1 lost $p $s " "$T/leases.txt" >"$T/lost" ||
	    fail "host 1 did not report losing $p $u: $(grep " $p $s " "$T/leases.txt")"
	grep -Eq "ConditionalCheckFailed|deadline" "$T/lost" ||
	    fail "host 1 lost $p $u for another reason: $(cat "$T/lost")"
done <"$T/owned"
# Host 2 never loses a lease: the paused host's writes all fail.
if grep -q "^host2 lost " "$T/leases.txt"; then
	fail "host 2 lost a lease: $(grep "^host2 lost " "$T/leases.txt")"
fi
log "ok"
