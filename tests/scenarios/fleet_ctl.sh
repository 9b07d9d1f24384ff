#!/bin/sh
# fleet_ctl: operator tools of a fleet (docs/fleet.md, "Seeing the fleet")
# on one host copying a backfill-only pair through the coordination table.
# While it runs: "ctl fleet" lists this host (its id, from "ctl fleet
# --json") and the pair's units, some owned by it; "ctl status" has the
# lease counts (numbers, not null) and "ctl list" a LEASES column; "ctl
# fleet stop NAME" sets the pair item's stop flag and "ctl fleet start
# NAME" clears it, as the independent client reads the item; a name the
# plan lacks is refused (exit 1). A plan without a coordination block:
# "ctl fleet" says so and exits 2, and its pairs show no lease counts.
# Then the copy completes and the independent reader finds it equal.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
for t in src dst one-src one-dst; do
	ddbtool create-table $t --hash pk:S || fail "create $t"
done
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 2000 \
    --size 200 2>>"$T/load.log" || fail "load src"
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table one-src \
    --count 400 --size 200 2>>"$T/load.log" || fail "load one-src"

# Every Scan page of the source is slowed down: the backfill lasts long
# enough to be looked at. The coordination table is reached directly.
echo '[{"target": "Scan", "fault": "slow", "ms": 700}]' >"$T/rules"
proxy_start "$T/rules"
cat >"$T/plan.yml" <<PLAN
coordination:
  table: fleet
  region: us-east-1
  endpoint_url: "$ENDPOINT"
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
    total_segments: 6
    page_size: 20
PLAN
cat >"$T/one.yml" <<PLAN
plan:
  - input: {table: one-src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: one-dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
    total_segments: 1
    page_size: 20
PLAN
export DDB_SYNC_LEASE_MS=6000 DDB_SYNC_LEASE_RENEW_MS=1000 \
    DDB_SYNC_LEASE_MARGIN_MS=2500 DDB_SYNC_LEASE_ROUND_MS=1000 \
    DDB_SYNC_REQUEST_TIMEOUT_MS=2000

"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/create" \
    --create-coordination-table >"$T/create.out" 2>&1 ||
    fail "cannot create the coordination table: $(cat "$T/create.out")"

S=$T/state
O=$T/one-state
ctl() { "$BIN/ddb-sync" ctl --state-dir "$S" "$@"; }

# One host alone (no coordination block): ctl fleet says so, exit 2.
"$BIN/ddb-sync" --config-file "$T/one.yml" --state-dir "$O" --status=off \
    >"$T/one.out" 2>&1 &
ONE=$!
track $ONE
wait_for 120 "the one-host supervisor's socket" test -S "$O/control.sock"
"$BIN/ddb-sync" ctl --state-dir "$O" fleet >"$T/o" 2>"$T/e"
expect_eq "ctl fleet without coordination: exit" $? 2
grep -q "fleet: the plan of the ddb-sync running with state directory $O has no coordination block" \
    "$T/e" || fail "no clear message without coordination: $(cat "$T/e")"
"$BIN/ddb-sync" ctl --state-dir "$O" status >"$T/one-status.json" ||
    fail "ctl status (one host)"
expect_eq "leases_held of a one-host pair" \
    "$(json "$T/one-status.json" 'j.status.pairs[0].leases_held')" null
"$BIN/ddb-sync" ctl --state-dir "$O" list >"$T/one-list" || fail "ctl list"
grep -q LEASES "$T/one-list" && fail "a LEASES column without a fleet: $(cat "$T/one-list")"

# The fleet's host.
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$S" --status=off \
    >"$T/sup.out" 2>&1 &
SUP=$!
track $SUP
wait_for 120 "the supervisor's socket" test -S "$S/control.sock"

# owned: ctl fleet --json lists this host and a unit of src it owns.
owned() {
	ctl fleet --json >"$T/fleet.json" 2>"$T/fleet.err" || return 1
	[ "$(json "$T/fleet.json" 'j.hosts.length === 1 &&
	    j.pairs.length === 1 && j.pairs[0].name === "src" &&
	    j.pairs[0].total_segments === 6 && !j.pairs[0].stop &&
	    j.pairs[0].units.some((u) => u.owner === j.hosts[0].host_id &&
	    !u.done)')" = true ]
}
wait_for 120 "a unit of src owned by this host in ctl fleet" owned
HOST=$(json "$T/fleet.json" 'j.hosts[0].host_id')
case $HOST in
"$(hostname)":*:*) ;;
*) fail "host id '$HOST' is not <hostname>:<pid>:<random>" ;;
esac
# The same as a table, for people.
ctl fleet >"$T/fleet.txt" 2>"$T/fleet.err" ||
    fail "ctl fleet: $(cat "$T/fleet.err")"
grep -q "^coordination table fleet (us-east-1): 1 host, 1 pair$" \
    "$T/fleet.txt" || fail "ctl fleet header: $(cat "$T/fleet.txt")"
grep -q "^$HOST  " "$T/fleet.txt" || fail "host not listed: $(cat "$T/fleet.txt")"
grep -q "^pair src: 6 segments, backfill started .*, stop flag not set; " \
    "$T/fleet.txt" || fail "pair item not listed: $(cat "$T/fleet.txt")"
grep -q "^  segment#[0-5]  $HOST  no  " "$T/fleet.txt" ||
    fail "no unit owned by $HOST: $(cat "$T/fleet.txt")"

# ctl status and ctl list count this host's leases of a pair in a fleet.
ctl status >"$T/status.json" || fail "ctl status"
expect_eq "leases_held is a count in a fleet" \
    "$(json "$T/status.json" 'typeof j.status.pairs[0].leases_held')" number
expect_eq "lease_conflicts is a count in a fleet" \
    "$(json "$T/status.json" 'typeof j.status.pairs[0].lease_conflicts')" number
held() {
	ctl status >"$T/status.json" &&
	    [ "$(json "$T/status.json" 'j.status.pairs[0].leases_held')" -gt 0 ]
}
wait_for 60 "ctl status to count the leases held" held
ctl list >"$T/list" || fail "ctl list"
grep -q "  LEASES  " "$T/list" || fail "no LEASES column in a fleet: $(cat "$T/list")"

# The fleet-wide stop flag, as the independent client reads the pair item.
pair_item() {
	ddbtool get fleet '{"pair":{"S":"src"},"unit":{"S":"#pair"}}'
}
ctl fleet stop src >"$T/o" 2>"$T/e" || fail "ctl fleet stop: $(cat "$T/e")"
grep -q "^src: fleet-wide stop flag set in coordination table fleet" "$T/o" ||
    fail "ctl fleet stop said: $(cat "$T/o")"
pair_item >"$T/pair" || fail "get the pair item"
grep -q '"stop":{"BOOL":true}' "$T/pair" || fail "stop flag not set: $(cat "$T/pair")"
# The host's worker sees the flag at its next round: it says so, hands
# its leases back once their writes are in, and takes none while it is
# set (ctl status counts none held).
wlog="$S/pairs/src/worker.log"
wait_for 60 "the worker to see the stop flag" \
    grep -q "Pair stopped across the fleet" "$wlog"
wait_for 60 "the worker to release its leases" \
    grep -q "Lease released: segment#" "$wlog"
none_held() {
	ctl status >"$T/status.json" &&
	    [ "$(json "$T/status.json" 'j.status.pairs[0].leases_held')" -eq 0 ]
}
wait_for 60 "no lease held while the pair is stopped" none_held
ctl fleet start src >"$T/o" 2>"$T/e" || fail "ctl fleet start: $(cat "$T/e")"
grep -q "^src: fleet-wide stop flag cleared" "$T/o" ||
    fail "ctl fleet start said: $(cat "$T/o")"
pair_item >"$T/pair" || fail "get the pair item"
grep -q '"stop":{"BOOL":false}' "$T/pair" ||
    fail "stop flag not cleared: $(cat "$T/pair")"
wait_for 60 "the worker to see the flag cleared" \
    grep -q "Pair started again across the fleet" "$wlog"
ctl fleet --json >"$T/fleet.json" || fail "ctl fleet --json"
expect_eq "stop in ctl fleet" "$(json "$T/fleet.json" 'j.pairs[0].stop')" false
# A name the plan lacks is refused before anything is written; usage.
ctl fleet stop nosuch >"$T/o" 2>"$T/e"
expect_eq "ctl fleet stop nosuch: exit" $? 1
grep -q "no pair named 'nosuch'" "$T/e" || fail "nosuch: $(cat "$T/e")"
ctl fleet stop >"$T/o" 2>"$T/e"
expect_eq "ctl fleet stop without NAME: exit" $? 2

# The copy completes; the supervisor exits 0, and so does the other one.
wait_for 400 "the fleet's backfill to finish" sh -c "! kill -0 $SUP"
wait $SUP
expect_eq "supervisor exit" $? 0
wait_for 200 "the one-host backfill to finish" sh -c "! kill -0 $ONE"
wait $ONE
expect_eq "one-host supervisor exit" $? 0
ddbtool compare src dst || fail "dst differs from src"
ddbtool compare one-src one-dst || fail "one-dst differs from one-src"
# Every unit done, none owned, read two items a page (the Scan's paging);
# no supervisor: ctl says so (exit 1).
"$BIN/ddb-sync-worker" coordination --table fleet --region us-east-1 \
    --endpoint-url "$ENDPOINT" --allow-insecure-http --list --json \
    --page-limit 2 >"$T/fleet.json" 2>"$T/e" ||
    fail "coordination --list: $(cat "$T/e")"
expect_eq "hosts read page by page" "$(json "$T/fleet.json" 'j.hosts.length')" 1
expect_eq "units done, unowned" "$(json "$T/fleet.json" \
    'j.pairs[0].units.length === 6 &&
    j.pairs[0].units.every((u) => u.done && u.owner === null)')" true
ctl fleet >"$T/o" 2>"$T/e"
expect_eq "ctl fleet after the end: exit" $? 1
log "ok: host $HOST, $(grep -c 'segment#' "$T/fleet.txt") units listed"
