#!/bin/sh
# supervisor_stdout_stall: the supervisor's stdout is a pipe that nobody
# reads for a minute (a paused pager, a terminal at XOFF, a slow journald).
# Meanwhile the control socket answers, the worker copies (its backfill
# completes, in its worker.log and in "ctl list") and then streams; log
# lines that do not fit the bounded queue are dropped and counted. Once a
# reader comes, the log flows again (with the count of what was dropped),
# and the supervisor stops cleanly on SIGINT.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
N=3000
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count $N \
    2>"$T/load.log" || fail "load"

S=$T/state
ctl() { "$BIN/ddb-sync" ctl --state-dir "$S" "$@"; }
# The queue for stdout is tiny here, so that lines are dropped for sure.
export DDB_SYNC_STDOUT_MAX_BYTES=4096
# stdout: a pipe kept full by a filler (whatever the pipe's size), read
# only after 60 s and once this script says so.
{
	(head -c 300000 /dev/zero | tr '\0' 'x'; echo) &
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --state-dir "$S" --status=off --progress-interval 100ms \
	    2>"$T/err.log"
	echo $? >"$T/rc"
} | {
	sleep 60
	while [ ! -e "$T/go" ]; do sleep 1; done
	cat >"$T/out.log"
} &
track $!
start=$(date +%s)

wait_for 30 "the supervisor" test -S "$S/control.sock"
sup=$(cat "$S/supervisor.lock")
track "$sup"
L=$S/pairs/src/worker.log
# The worker goes on: its backfill completes, in its log and for ctl.
wait_for 50 "the backfill to complete" grep -q "Backfill complete. $N items" "$L"
wait_for 20 "streaming" grep -q "Streaming started" "$L"
ctl list >"$T/list.txt" || fail "ctl list did not answer"
cat "$T/list.txt"
grep -q "^src  *running  *[0-9]*  *complete  *running " "$T/list.txt" ||
    fail "ctl list: $(cat "$T/list.txt")"
# ... all while nobody has read stdout.
[ -e "$T/out.log" ] && fail "the reader started too early: not a stall"
[ $(($(date +%s) - start)) -lt 60 ] ||
    log "slow machine: the checks took more than the stall"

# A reader at last: the log flows, with what was dropped counted.
touch "$T/go"
wait_for 120 "the log to flow" grep -q "log lines\? dropped: stdout was not read" "$T/out.log"
kill -INT "$sup"
wait_for 60 "the supervisor to stop" test -s "$T/rc"
expect_eq "exit status" "$(cat "$T/rc")" 0
wait_for 30 "the reader to finish" grep -q "Resources: supervisor" "$T/out.log"
grep -q "SIGINT: stopping workers" "$T/out.log" || fail "no shutdown line on stdout"
grep -q "Stream stopped" "$L" || fail "the worker did not stop cleanly: $(tail -n 5 "$L")"
# The pair's own log kept every line.
for want in "Backfill starting" "Backfill complete" "Streaming started" \
    "Stream stopped"; do
	grep -q "$want" "$L" || fail "worker.log lacks '$want'"
done
ddbtool compare src dst || fail "the copy differs"
