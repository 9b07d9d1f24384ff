#!/bin/sh
# control: operator control through the control socket while two pairs copy.
# "ddb-sync ctl list" shows both running with their pids; "stop A" stops
# only A (its worker exits, its checkpoint stays put while B's grows);
# "restart B" replaces B's worker; "start A" resumes A from its checkpoint;
# kill -9 of a worker by pid restarts it and list counts the restart; both
# copies end equal to their sources. Also: unknown pair (exit 1), no
# supervisor (exit 1), usage errors (exit 2), the socket's mode, a stale
# socket replaced at start and the socket removed at exit.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
for t in a-src a-dst b-src b-dst; do
	ddbtool create-table $t --hash pk:S || fail "create $t"
done
N=20000
for t in a-src b-src; do
	"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table $t --count $N \
	    --size 200 2>>"$T/load.log" || fail "load $t"
done

# Small pages, one write in flight, each write slowed down by the proxy:
# the backfill lasts long enough to be steered while it runs. The delay
# is lifted once the steering is done.
echo '[{"target": "BatchWriteItem", "fault": "slow", "ms": 40}]' >"$T/rules"
proxy_start "$T/rules"
cat >"$T/plan.yml" <<PLAN
plan:
  - name: A
    input: {table: a-src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: a-dst, endpoint_url: "$PROXY"}
    stream: {disabled: true}
    total_segments: 2
    page_size: 20
    max_inflight: 1
  - name: B
    input: {table: b-src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: b-dst, endpoint_url: "$PROXY"}
    stream: {disabled: true}
    total_segments: 2
    page_size: 20
    max_inflight: 1
PLAN
export DDB_SYNC_CHECKPOINT_INTERVAL_MS=0 DDB_SYNC_RESTART_BASE_MS=200

S=$T/state
ctl() { "$BIN/ddb-sync" ctl --state-dir "$S" "$@"; }
# field PAIR EXPR: a field of PAIR in "ctl --json list" (p is the pair).
field() {
	ctl --json list >"$T/list.json" || return 1
	json "$T/list.json" "(p => $2)(j.pairs.find((p) => p.name === '$1'))"
}
# items PAIR: items its checkpoint says are written.
items() {
	f="$S/pairs/$1/checkpoint.json"
	[ -s "$f" ] || { echo 0; return; }
	json "$f" 'j.backfill.segments.reduce((a, s) => a + s.items, 0)'
}
items_at_least() { [ "$(items "$1")" -ge "$2" ]; }
# listed PAIR REGEX: PAIR's row of "ctl list" matches REGEX (after NAME).
listed() { ctl list | grep -q "^$1  *$2"; }
# restarted PAIR OLDPID [MIN_RESTARTS]: a new worker, restarts counted.
restarted() {
	[ "$(field "$1" "p.pid !== null && p.pid !== $2 &&
	    p.restarts >= ${3:-0}")" = true ]
}

# Before any supervisor: a clear error, exit 1.
ctl list >"$T/o" 2>"$T/e"
expect_eq "ctl without a state directory: exit" $? 1
grep -q "no ddb-sync is running with state directory $S" "$T/e" ||
    fail "no clear error without a supervisor: $(cat "$T/e")"
# A socket left by a run that died (nobody listens): refused, then replaced.
mkdir -m 700 "$S"
node -e 'require("net").createServer().listen(process.argv[1],
    () => process.exit(0))' "$S/control.sock" || fail "stale socket"
[ -S "$S/control.sock" ] || fail "no stale socket to replace"
ctl list >"$T/o" 2>"$T/e"
expect_eq "ctl on a stale socket: exit" $? 1
grep -q "left from a run that ended" "$T/e" ||
    fail "no clear error on a stale socket: $(cat "$T/e")"

"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$S" \
    --status=off >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup

# list: both running, each with its worker's pid.
wait_for 30 "A to be backfilling" listed A 'running  *[0-9]*  *running '
wait_for 30 "B to be backfilling" listed B 'running  *[0-9]*  *running '
expect_eq "socket mode" "$(stat -c %a "$S/control.sock")" 600
ctl list >"$T/list.txt" || fail "ctl list"
cat "$T/list.txt"
head -n 1 "$T/list.txt" | grep -q \
    '^NAME  *STATE  *PID  *BACKFILL  *STREAM  *WRITTEN  *RCU/S  *WCU/S  *RESTARTS  *LAST-ERROR$' ||
    fail "list header: $(head -n 1 "$T/list.txt")"
for p in A B; do
	pid=$(field $p 'p.pid')
	kill -0 "$pid" 2>/dev/null || fail "pair $p: pid '$pid' is not alive"
	expect_eq "pair $p worker pid" "$pid" "$(cat "$S/pairs/$p/lock")"
	grep -q "^$p  *running  *$pid  *running  *[a-z]*  " "$T/list.txt" ||
	    fail "no list row for $p"
done
ctl --json list | grep -q '^{"v":1,"ok":true,"pairs":\[' ||
    fail "--json does not print the raw response"

# stop A: its worker goes, B carries on and A's checkpoint stays put.
wait_for 60 "A to make progress" items_at_least A 1000
apid=$(field A 'p.pid')
ctl stop A >"$T/o" || fail "ctl stop A: $(cat "$T/o")"
grep -q "^A: stopping: worker $apid writes its checkpoint" "$T/o" ||
    fail "stop A said: $(cat "$T/o")"
wait_for 20 "A to stop" sh -c "! kill -0 $apid 2>/dev/null"
wait_for 10 "A stopped in the list" listed A 'stopped  *- '
expect_eq "A pid once stopped" "$(field A 'p.pid')" null
a1=$(items A)
b1=$(items B)
wait_for 60 "B to copy 1000 more items" items_at_least B $((b1 + 1000))
expect_eq "A's checkpoint while stopped" "$(items A)" "$a1"
expect_eq "B state while A is stopped" "$(field B 'p.state')" running
log "A stopped at $a1 items; B went on from $b1 to $(items B)"
ctl stop A >"$T/o" 2>"$T/e"
expect_eq "stop of a stopped pair: exit" $? 1
grep -q "pair A is not running" "$T/e" || fail "second stop: $(cat "$T/e")"

# restart B while it runs: a new worker, from its checkpoint.
bpid=$(field B 'p.pid')
ctl restart B >"$T/o" || fail "ctl restart B: $(cat "$T/o")"
grep -q "^B: restarting: worker $bpid" "$T/o" || fail "restart B: $(cat "$T/o")"
wait_for 20 "B's new worker" restarted B "$bpid"
kill -0 "$bpid" 2>/dev/null && fail "B's old worker $bpid still runs"
grep -q "Worker restarted by the operator" "$S/pairs/B/worker.log" ||
    fail "no restart line in B's log"

# start A: it resumes from the checkpoint it stopped at.
ctl start A >"$T/o" || fail "ctl start A: $(cat "$T/o")"
grep -q "^A: running (worker [0-9]*)" "$T/o" || fail "start A: $(cat "$T/o")"
wait_for 20 "A to resume" grep -q "Resuming backfill from checkpoint: \
[0-9]*/2 segments done, $a1 items already written" "$S/pairs/A/worker.log"
ctl start A >"$T/o" 2>"$T/e"
expect_eq "start of a running pair: exit" $? 1
grep -q "pair A is already running" "$T/e" || fail "second start: $(cat "$T/e")"

# kill -9 of A's worker by pid: restarted, and list counts it.
apid=$(field A 'p.pid')
kill -9 "$apid"
wait_for 30 "A's worker restarted after kill -9" restarted A "$apid" 1
listed A 'running  *[0-9][0-9]*  *running  *[a-z]*  *[0-9][0-9]*  *[^ ]*  *[^ ]*  *1  ' ||
    fail "list after kill -9: $(ctl list)"

# Errors.
ctl stop nosuchpair >"$T/o" 2>"$T/e"
expect_eq "stop nosuchpair: exit" $? 1
grep -q "no pair named 'nosuchpair'" "$T/e" ||
    fail "unknown pair error: $(cat "$T/e")"
ctl frobnicate A >"$T/o" 2>"$T/e"
expect_eq "unknown command: exit" $? 2
ctl stop >"$T/o" 2>"$T/e"
expect_eq "stop without NAME: exit" $? 2
"$BIN/ddb-sync" ctl --state-dir "$T/elsewhere" list >"$T/o" 2>"$T/e"
expect_eq "ctl on a state dir with no supervisor: exit" $? 1
grep -q "no ddb-sync is running with state directory $T/elsewhere" "$T/e" ||
    fail "no clear error for another state dir: $(cat "$T/e")"

# Steering done: let the copies finish at full speed.
proxy_post /__rules '[]'
wait $sup
rc=$?
cat "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(cat "$T/err.log")"
ddbtool compare a-src a-dst || fail "a-dst differs"
ddbtool compare b-src b-dst || fail "b-dst differs"
grep -q "\[a-src\] ⇨ \[a-dst\]: Backfill complete\. $N items" "$T/out.log" ||
    fail "no completion line for A"
grep -q "\[a-src\] ⇨ \[a-dst\]: Stopping worker (operator request)" \
    "$T/out.log" || fail "the stop is not in the log"
grep -q "\[a-src\] ⇨ \[a-dst\]: warning: Worker crashed (killed by signal 9" \
    "$T/out.log" || fail "the kill is not in the log"
[ -e "$S/control.sock" ] && fail "control.sock left behind at exit"
ctl list >"$T/o" 2>"$T/e"
expect_eq "ctl after exit: exit" $? 1
grep -q "no ddb-sync is running" "$T/e" || fail "after exit: $(cat "$T/e")"
exit 0
