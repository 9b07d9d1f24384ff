#!/bin/sh
# fleet_host_pause: two hosts copy one pair through a coordination table
# (docs/fleet.md). Host 1 is stopped whole (SIGSTOP: supervisor, lease
# keeper, worker) while it owns segments under way; host 2 takes them all
# over as expired; then host 1 continues (SIGCONT). Host 1 must find that
# it lost each of them ("Lease lost: segment#N: ...", a failed condition
# or its deadline passed) and stop them without a checkpoint, nor any
# read or write for them: each host reaches the tables through a fault
# proxy of its own, and host 1's sends nothing from its SIGCONT until it
# could hold a segment again (a balancing round later). Both hosts exit
# 0, the independent reader finds the copy equal, and every segment item
# is done with items adding up to the source's.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/fleethosts.sh"

N=8000
SEGS=8
FLEET_PAIRS="orders"

ddbl_start
# Every Scan page takes a while: a segment lasts several seconds.
# One proxy a host: what host 1 sends is told apart. The plans differ in
# nothing else (the coordination table compares tables, not endpoints).
echo '[{"target": "Scan", "fault": "slow", "ms": 400}]' >"$T/rules.json"
proxy_start "$T/rules.json"
P1=$PROXY
proxy_start "$T/rules.json"
P2=$PROXY
fleet_tables orders $N
fleet_plan "$T/plan1.yml" "$P1" $SEGS 50 orders
fleet_plan "$T/plan2.yml" "$P2" $SEGS 50 orders
fleet_create "$T/plan1.yml"

fleet_start 1 "$T/plan1.yml"
fleet_start 2 "$T/plan2.yml"

# Host 1 owns a segment under way, less than half done.
fleet_under_way 1 $((N / SEGS / 2))
# Host 1's writes land but their answers are held: when it stops, one is
# in flight, and it times out while host 1 is stopped; sending it again
# after SIGCONT would write for a lease that is no longer host 1's.
http_ctl POST "$P1/__rules" '[{"target": "Scan", "fault": "slow", "ms": 400},
    {"target": "BatchWriteItem", "fault": "slow", "ms": 300000}]' >/dev/null
p1_writes() {
	http_ctl GET "$P1/__stats" >"$T/p1.json" &&
	    json "$T/p1.json" 'j.targets.BatchWriteItem || 0'
}
w0=$(p1_writes)
more_writes() { [ "$(p1_writes)" -gt "$w0" ]; }
wait_for 60 "a write of host 1 to be held" more_writes
fleet_stop 1
fleet_held 1 "$T/owned" || fail "cannot read $FLEET_TABLE"
[ -s "$T/owned" ] || fail "host 1's segments were done before it stopped"
log "host 1 stopped; it owns: $(tr '\n' ' ' <"$T/owned")"

# Host 2 takes every one of them once they expired.
taken() { fleet_held 1 "$T/still" && [ ! -s "$T/still" ]; }
wait_for 240 "host 2 to take host 1's leases" taken
fleet_has 2 "Lease claimed: segment#[0-9]+ \(expired\)" ||
    fail "host 2 took the leases but logged no expired claim"
http_ctl POST "$P1/__rules" '[{"target": "Scan", "fault": "slow", "ms": 400}]' >/dev/null
# Host 1 holds nothing from here until a round of its own asked host 2
# for a segment and a later one claimed it: at least a round.
cont_ms=$(date +%s%3N)
fleet_cont 1
log "host 1 continued"

fleet_wait 1
fleet_wait 2
fleet_equal orders $SEGS $N >/dev/null

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
# Nothing read or written for the lost leases after host 1 resumed.
http_ctl GET "$P1/__log" >"$T/p1.log" || fail "host 1's proxy log"
node -e '
const [file, from, to] = process.argv.slice(1).map((a, i) => i ? Number(a) : a);
const late = require("fs").readFileSync(file, "utf8").split("\n")
    .filter((l) => l).map((l) => JSON.parse(l))
    .filter((r) => (r.target === "Scan" || r.target === "BatchWriteItem") &&
	r.t >= from && r.t < to);
if (late.length) {
	console.error(late.length + " requests: " + late.slice(0, 5).map((r) =>
	    r.target + " at +" + (r.t - from) + " ms").join(", "));
	process.exit(1);
}' "$T/p1.log" "$cont_ms" $((cont_ms + DDB_SYNC_LEASE_ROUND_MS)) ||
    fail "host 1 read or wrote for lost leases after it resumed: see above"
log "ok"
