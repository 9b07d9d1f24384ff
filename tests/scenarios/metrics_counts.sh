#!/bin/sh
# metrics_counts: what the supervisor counts itself, on /metrics, against
# scripted workers (tests/fakes/fakeworker.sh): protocol errors and
# restarts of a worker that sends garbage until its pair FAILED, the items
# of a pair whose phase completed, workers up, a phase still running.
. "$(dirname "$0")/../lib/harness.sh"

command -v curl >/dev/null 2>&1 || { log "curl not installed: skipped"; exit 77; }

export DDB_SYNC_WORKER="$ROOT/tests/fakes/fakeworker.sh"
export DDB_SYNC_RESTART_BASE_MS=100 DDB_SYNC_MAX_QUICK_DEATHS=3
export DDB_SYNC_HELLO_TIMEOUT_MS=1000 DDB_SYNC_STOP_GRACE_MS=1000
export DDB_SYNC_SHUTDOWN_TIMEOUT_MS=1000 DDB_SYNC_FAKE_PIDDIR=$T
{
	echo "plan:"
	for t in hang good garbage; do
		echo "  - input: {table: $t, region: us-east-1}"
		echo "    output: {table: $t-copy}"
	done
} >"$T/plan.yml"
port=$(free_port)
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=off --metrics-listen "127.0.0.1:$port" >"$T/out.log" 2>&1 &
sup=$!
track $sup
wait_for 60 "the garbage pair to fail" grep -q "\[garbage\].*Pair FAILED" "$T/out.log"
wait_for 30 "the good pair to finish" grep -q "\[good\].*Backfill complete" "$T/out.log"
curl -sf -m 10 "http://127.0.0.1:$port/metrics" >"$T/m.txt" || fail "GET /metrics"
# sample NAME PAIR [LABELS]: the value of one series.
sample() {
	grep "^$1{pair=\"$2\",source_table=\"$2\",destination_table=\"$2-copy\"${3:+,$3}} " \
	    "$T/m.txt" | sed 's/.* //'
}
expect_eq "protocol errors of garbage" \
    "$(sample ddb_sync_errors_total garbage 'class="protocol"')" 3
expect_eq "restarts of garbage" "$(sample ddb_sync_worker_restarts_total garbage)" 2
expect_eq "garbage failed" \
    "$(sample ddb_sync_pair_state garbage 'state="failed"')" 1
expect_eq "garbage not running" \
    "$(sample ddb_sync_pair_state garbage 'state="running"')" 0
expect_eq "protocol errors of good" \
    "$(sample ddb_sync_errors_total good 'class="protocol"')" 0
expect_eq "items written by good" "$(sample ddb_sync_items_written_total good)" 42
expect_eq "good's backfill" \
    "$(sample ddb_sync_phase_state good 'phase="backfill",state="complete"')" 1
expect_eq "good's progress" "$(sample ddb_sync_backfill_progress_ratio good)" 1
expect_eq "hang's backfill" \
    "$(sample ddb_sync_phase_state hang 'phase="backfill",state="running"')" 1
expect_eq "hang running" "$(sample ddb_sync_pair_state hang 'state="running"')" 1
expect_eq "workers up" "$(sed -n 's/^ddb_sync_workers_up //p' "$T/m.txt")" 1
expect_eq "pairs" "$(sed -n 's/^ddb_sync_pairs //p' "$T/m.txt")" 3
"$BIN/ddb-sync" ctl --state-dir "$T/state" status >"$T/status.json" ||
    fail "ctl status"
expect_eq "ctl status: protocol errors of garbage" \
    "$(json "$T/status.json" 'j.status.pairs[2].errors.protocol')" 3
expect_eq "ctl status: restarts of garbage" \
    "$(json "$T/status.json" 'j.status.pairs[2].restarts')" 2
kill -INT $sup
wait $sup
rc=$?
# A FAILED pair (garbage) makes even a requested stop exit 1.
expect_eq "exit status after SIGINT" "$rc" 1
log "ok"
