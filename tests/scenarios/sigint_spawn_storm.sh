#!/bin/sh
# sigint_spawn_storm: one Ctrl-C is one SIGINT for the supervisor, even when
# it lands while a worker is being forked. Workers that crash at once are
# restarted without delay, so forks are always under way; then SIGINT goes
# to the supervisor's whole process group, as a terminal sends it (a child
# not yet in its own group gets it too). Each round the supervisor must
# begin one graceful shutdown ("SIGINT: stopping workers") and never take
# the signal twice ("Stopping at once", exit 130), which it did when a
# child still had the supervisor's handlers between fork and setpgid
# (supervisor/child.c blocks signals across fork, as tmux's job.c does).
# The race is narrow: the rounds make a regression likely to show, not
# certain.
. "$(dirname "$0")/../lib/harness.sh"

command -v setsid >/dev/null 2>&1 || { log "no setsid: skipped"; exit 77; }

export DDB_SYNC_WORKER="$ROOT/tests/fakes/fakeworker.sh"
export DDB_SYNC_RESTART_BASE_MS=0 DDB_SYNC_MAX_QUICK_DEATHS=1000
export DDB_SYNC_SHUTDOWN_TIMEOUT_MS=5000
{
	echo "plan:"
	for i in 1 2 3 4 5 6; do
		echo "  - name: p$i"
		echo "    input: {table: crash, region: us-east-1}"
		echo "    output: {table: crash-copy-$i}"
	done
} >"$T/plan.yml"

storming() { [ "$(grep -c "Worker crashed" "$T/out$1.log")" -ge 20 ]; }

ROUNDS=${ROUNDS:-15}
r=1
while [ $r -le "$ROUNDS" ]; do
	# setsid: a process group of its own, led by ddb-sync (setsid does
	# not fork here: a background job does not lead a group).
	setsid "$BIN/ddb-sync" --config-file "$T/plan.yml" \
	    --state-dir "$T/state" --status=off >"$T/out$r.log" 2>&1 &
	sup=$!
	track $sup
	wait_for 60 "restarts (round $r)" storming $r
	pgid=$(ps -o pgid= -p $sup | tr -d ' ')
	[ "$pgid" = "$sup" ] || fail "ddb-sync is not its group's leader ($pgid)"
	kill -INT "-$sup"
	wait $sup
	rc=$?
	n=$(grep -c "SIGINT: stopping workers" "$T/out$r.log")
	if grep -q "Stopping at once" "$T/out$r.log" || [ "$rc" -eq 130 ]; then
		tail -n 20 "$T/out$r.log"
		fail "round $r: one SIGINT was taken twice (exit $rc)"
	fi
	expect_eq "graceful shutdowns (round $r)" "$n" 1
	r=$((r + 1))
done
log "$ROUNDS rounds of SIGINT during a spawn storm: one shutdown each"
exit 0
