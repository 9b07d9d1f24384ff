#!/bin/sh
# fleet_spread: three hosts (three supervisors, each with its own state
# directory) copy a three-pair plan through one coordination table
# (docs/fleet.md). All three exit 0; the independent reader finds every
# pair equal and every segment item done, owned by nobody, with items
# adding up to the source's; each host claimed segments; with no host
# lost, each segment was claimed once, plus once for each time a host
# handed it to another (balancing), never taken as expired or lost, and
# done once.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/lib/fleethosts.sh"

N=3000
SEGS=12
FLEET_PAIRS="alpha beta gamma"

ddbl_start
# Scans wait (throttled) until all three hosts are up, so that a host
# slow to start still finds work; then every Scan page takes a while, so
# that the copy spans several balancing rounds.
echo '[{"target": "Scan", "fault": "throttle"}]' >"$T/rules.json"
proxy_start "$T/rules.json"
export DDB_SYNC_RETRY_CAP_MS=1000 DDB_SYNC_THROTTLE_BASE_MS=100
for p in $FLEET_PAIRS; do
	fleet_tables "$p" $N
done
# shellcheck disable=SC2086
fleet_plan "$T/plan.yml" "$PROXY" $SEGS 50 $FLEET_PAIRS
fleet_create "$T/plan.yml"

for h in 1 2 3; do
	fleet_start $h "$T/plan.yml"
done
# Each host's heartbeat is an item of the pair "#hosts".
hosts_up() {
	fleet_units "$T/units.json" &&
	    [ "$(grep -c '"pair":{"S":"#hosts"}' "$T/units.json")" -ge 3 ]
}
wait_for 180 "three host heartbeats in $FLEET_TABLE" hosts_up
proxy_post /__rules '[{"target": "Scan", "fault": "slow", "ms": 100}]'
log "three hosts up; copying"

for h in 1 2 3; do
	fleet_wait $h
done

# The copies and the table, as the independent client reads them.
for p in $FLEET_PAIRS; do
	fleet_equal "$p" $SEGS $N >"$T/switches.$p"
done

fleet_leases "$T"/host1.out "$T"/host2.out "$T"/host3.out >"$T/leases.txt"
if grep -q '^[^ ]* [^ ]* ? ' "$T/leases.txt"; then
	fail "lease lines naming no pair: $(grep '^[^ ]* [^ ]* ? ' "$T/leases.txt" | head -5)"
fi
# Each host did a share of the work.
for h in 1 2 3; do
	n=$(grep -c "^host$h claimed " "$T/leases.txt")
	log "host $h claimed $n segments"
	[ "$n" -gt 0 ] || fail "host $h claimed no segment: $(tail -n 20 "$T/host$h.out")"
done
# No failover here: nothing expired, nothing lost.
if grep -q " lost \| claimed .* (expired)" "$T/leases.txt"; then
	fail "a lease expired or was lost with every host alive: $(grep " lost \| claimed .* (expired)" "$T/leases.txt" | head -5)"
fi
# Once each, plus once per handover. Every claim logged is in the
# table's switches (which also counts a claim whose answer was lost).
for p in $FLEET_PAIRS; do
	s=0
	claims=0
	while [ $s -lt $SEGS ]; do
		c=$(grep -c "^[^ ]* claimed $p $s " "$T/leases.txt")
		h=$(grep -c "^[^ ]* handed $p $s " "$T/leases.txt")
		[ "$c" -eq $((h + 1)) ] ||
		    fail "$p segment#$s: claimed $c times, handed over $h times: $(grep " $p $s " "$T/leases.txt")"
		claims=$((claims + c))
		s=$((s + 1))
	done
	fleet_once "$T/leases.txt" "$p" $SEGS
	sw=$(cat "$T/switches.$p")
	log "$p: $claims claims logged, switches $sw"
	[ "$sw" -ge "$claims" ] ||
	    fail "$p: the table counts $sw claims, the hosts logged $claims"
done
proxy_get /__stats >"$T/stats.json"
log "items written: $(json "$T/stats.json" 'j.puts') for $((3 * N))"
log "ok"
