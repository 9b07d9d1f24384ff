# fleet.sh: helpers of the fleet scenarios (docs/fleet.md), sourced after
# harness.sh: several hosts simulated as supervisors on one machine, each
# with its own state directory, sharing one coordination table.

# Lease timers short enough that a lost host's leases expire within the
# scenario, long enough that a busy machine (DynamoDB Local stalls of a
# few seconds) does not make healthy hosts lose theirs: L 20 s, the
# owner's deadline 12 s, renewals every 2 s.
export DDB_SYNC_LEASE_MS=20000 DDB_SYNC_LEASE_RENEW_MS=2000 \
    DDB_SYNC_LEASE_MARGIN_MS=8000 DDB_SYNC_LEASE_ROUND_MS=1000 \
    DDB_SYNC_REQUEST_TIMEOUT_MS=5000

# fleet_two_hosts INPUT_ENDPOINT PAGE_SIZE [KEY]: a plan copying src (read
# at INPUT_ENDPOINT) to dst in 4 segments through the coordination table
# "leases" of DynamoDB Local (KEY: one more key of the pair, such as
# "backfill: {disabled: true}"), the table created, and hosts 1 and 2
# started.
fleet_two_hosts() {
	cat >"$T/plan.yml" <<P
coordination:
  table: leases
  region: us-east-1
  endpoint_url: "$ENDPOINT"
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$1"}
    output: {table: dst, endpoint_url: "$ENDPOINT"}
    total_segments: 4
    page_size: $2
    ${3:-}
P
	fleet_table "$T/plan.yml"
	fleet_host 1 "$T/plan.yml"
	fleet_host 2 "$T/plan.yml"
}

# fleet_table PLAN: create the plan's coordination table.
fleet_table() {
	"$BIN/ddb-sync" --config-file "$1" --state-dir "$T/state0" \
	    --create-coordination-table >"$T/create.log" 2>&1 ||
	    fail "cannot create the coordination table: $(cat "$T/create.log")"
}

# fleet_host N PLAN: start host N (a supervisor, state directory
# $T/stateN, output $T/hN.out and $T/hN.err); sets hostN to its pid.
fleet_host() {
	"$BIN/ddb-sync" --config-file "$2" --state-dir "$T/state$1" \
	    --status=off >"$T/h$1.out" 2>"$T/h$1.err" &
	eval "host$1=$!"
	track $!
}

# fleet_kill PID: the whole host at once, as a power cut would: the
# supervisor is frozen first so that it neither restarts its workers nor
# lets them stop cleanly, then its workers and itself are killed.
fleet_kill() {
	kill -STOP "$1"
	wait_for 10 "the host's workers" pgrep -P "$1"
	pkill -KILL -P "$1"
	kill -KILL "$1"
	wait "$1" 2>/dev/null
}

# fleet_pause PID / fleet_resume PID: freeze and thaw a whole host.
fleet_pause() {
	kill -STOP "$1"
	pkill -STOP -P "$1"
}
fleet_resume() {
	pkill -CONT -P "$1"
	kill -CONT "$1"
}
