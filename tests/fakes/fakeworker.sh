#!/bin/sh
# fakeworker.sh: a scripted stand-in for ddb-sync-worker (DDB_SYNC_WORKER),
# so the supervisor can be tested against workers that misbehave. The
# behaviour is the pair's input table name: good, garbage, overlong,
# nohello, crash, hang (ignores SIGTERM), and the session rules of
# proto/PROTOCOL.md: secondhello, afterdone, truncated (EOF inside a line),
# wrongpid, silent (no hello at all), nodone (exit 0 without done), exit3
# (exit 3 without a fatal error), stubborn (breaks the protocol and ignores
# SIGTERM; notes the SIGTERM in $DDB_SYNC_FAKE_PIDDIR/stubborn.term).
name=""
table=""
for a in "$@"; do
	case "$a" in
	--pair-name=*) name=${a#--pair-name=} ;;
	--input-table=*) table=${a#--input-table=} ;;
	esac
done
say() { printf '%s\n' "$1" >&3; }
[ -n "${DDB_SYNC_FAKE_PIDDIR:-}" ] && echo $$ >"$DDB_SYNC_FAKE_PIDDIR/$table.pid"
hello() { say "{\"v\":2,\"type\":\"hello\",\"pid\":$$,\"pair\":\"$name\",\"version\":\"fake\"}"; }

case "$table" in
good)
	hello
	say '{"v":2,"type":"phase","phase":"backfill","state":"running","items":0,"duration_ms":0,"detail":""}'
	say '{"v":2,"type":"log","level":"info","msg":"fake worker copying"}'
	say '{"v":2,"type":"warning","code":"throttled","msg":"fake warning line"}'
	sleep 0.3
	say '{"v":2,"type":"phase","phase":"backfill","state":"complete","items":42,"duration_ms":300,"detail":""}'
	say '{"v":2,"type":"phase","phase":"stream","state":"skipped","items":0,"duration_ms":0,"detail":""}'
	say '{"v":2,"type":"done","status":"complete"}'
	exit 0 ;;
garbage)
	hello
	say 'this is not JSON at all'
	sleep 5 ;;
overlong)
	hello
	head -c 40000 /dev/zero | tr '\0' 'x' >&3
	sleep 5 ;;
nohello)
	say '{"v":2,"type":"done","status":"complete"}'
	sleep 5 ;;
crash)
	hello
	echo "fake worker: about to crash" >&2
	exit 1 ;;
secondhello)
	hello
	hello
	sleep 5 ;;
afterdone)
	hello
	say '{"v":2,"type":"done","status":"complete"}'
	say '{"v":2,"type":"log","level":"info","msg":"one more thing"}'
	sleep 5 ;;
truncated)
	hello
	printf '%s' '{"v":2,"type":"log","level":"info","msg":"cut sh' >&3
	exit 0 ;;
wrongpid)
	say "{\"v\":2,\"type\":\"hello\",\"pid\":1,\"pair\":\"$name\",\"version\":\"fake\"}"
	sleep 5 ;;
silent)
	sleep 30 ;;
nodone)
	hello
	exit 0 ;;
exit3)
	hello
	say '{"v":2,"type":"error","code":"Nope","fatal":false,"msg":"not fatal"}'
	exit 3 ;;
stubborn)
	trap 'echo TERM >>"${DDB_SYNC_FAKE_PIDDIR:-/tmp}/stubborn.term"' TERM
	hello
	say 'not JSON'
	# wait, unlike a foreground sleep, lets the trap run at once.
	while :; do sleep 1 & wait $!; done ;;
hang)
	trap '' TERM INT
	hello
	say '{"v":2,"type":"phase","phase":"backfill","state":"running","items":0,"duration_ms":0,"detail":""}'
	while :; do sleep 1; done ;;
esac
exit 1
