# fleet.sh: helpers of the fleet scenarios (docs/fleet.md), sourced after
# harness.sh: several hosts simulated as supervisors on one machine, each
# with its own state directory, sharing one coordination table.

# Short lease timers, so that a lost host's leases expire in seconds.
export DDB_SYNC_LEASE_MS=6000 DDB_SYNC_LEASE_RENEW_MS=1000 \
    DDB_SYNC_LEASE_MARGIN_MS=2500 DDB_SYNC_LEASE_ROUND_MS=1000 \
    DDB_SYNC_REQUEST_TIMEOUT_MS=2000

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
