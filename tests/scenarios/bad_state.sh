#!/bin/sh
# bad_state: truncated, corrupt, foreign-version and wrong-plan checkpoint
# files are refused with a clear message and left as they are; a state
# directory that cannot be created or fills up is reported; a second
# supervisor on the same state directory is refused. Nothing is lost.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
ddbtool create-table other --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 2>/dev/null

run() {
	dir=$1
	shift
	"$BIN/ddb-sync" --input-table src --input-endpoint-url "$ENDPOINT" \
	    --output-endpoint-url "${OUT_EP:-$ENDPOINT}" --stream=false \
	    --state-dir "$dir" --status=off "$@"
}
run "$T/good" --output-table dst >"$T/good.log" 2>&1 || fail "first run failed"
ck="$T/good/pairs/src/checkpoint.json"
cp "$ck" "$T/ck.orig"

n=0
refused() {
	want=$1
	n=$((n + 1))
	rm -rf "$T/s$n"
	mkdir -p "$T/s$n/pairs/src"
	chmod 700 "$T/s$n" "$T/s$n/pairs" "$T/s$n/pairs/src"
	cp "$T/ck.bad" "$T/s$n/pairs/src/checkpoint.json"
	sum=$(sha256sum <"$T/ck.bad")
	run "$T/s$n" --output-table "${2:-dst}" >"$T/o$n.log" 2>&1
	rc=$?
	expect_eq "exit status, case $n" "$rc" 2
	grep -q "$want" "$T/o$n.log" || fail "case $n: no '$want' in: $(cat "$T/o$n.log")"
	expect_eq "checkpoint untouched, case $n" \
	    "$(sha256sum <"$T/s$n/pairs/src/checkpoint.json")" "$sum"
	grep -q "Resuming\|Backfill starting" "$T/o$n.log" && fail "case $n: it started anyway"
}
size=$(wc -c <"$T/ck.orig")
head -c $((size / 2)) "$T/ck.orig" >"$T/ck.bad"
refused "is unusable"
printf '\000\001garbage\377' >"$T/ck.bad"
refused "is unusable"
node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
    j.version = 99; process.stdout.write(JSON.stringify(j))' "$T/ck.orig" >"$T/ck.bad"
refused "newer"
cp "$T/ck.orig" "$T/ck.bad"
refused "does not match" other
: >"$T/ck.bad"
refused "is unusable"

# A state directory that cannot be created.
run /dev/null/state --output-table dst >"$T/nodir.log" 2>&1
expect_eq "exit status for an impossible state dir" "$?" 2
grep -q "/dev/null/state" "$T/nodir.log" || fail "state dir not named: $(cat "$T/nodir.log")"

# A second supervisor on a state directory in use. The first one's writes
# are answered 50 ms late (a proxy), so it is still running, however fast
# the machine.
echo '[{"target": "BatchWriteItem", "fault": "slow", "ms": 50}]' >"$T/rules"
proxy_start "$T/rules"
export DDB_SYNC_MAX_INFLIGHT=1
OUT_EP=$PROXY run "$T/busy" --output-table other --page-size 50 \
    >"$T/busy1.log" 2>&1 &
first=$!
track $first
wait_for 20 "the first supervisor" test -S "$T/busy/control.sock" -o -s "$T/busy/supervisor.lock"
run "$T/busy" --output-table other >"$T/busy2.log" 2>&1
expect_eq "exit status of the second supervisor" "$?" 2
grep -q "in use by another ddb-sync" "$T/busy2.log" || fail "not refused: $(cat "$T/busy2.log")"
kill -INT $first
wait $first
unset DDB_SYNC_MAX_INFLIGHT

# A full state directory: checkpoints cannot be written; the pair stops
# with the reason and the copy is not reported complete.
if mkdir -p "$T/full" && mount -t tmpfs -o size=48k tmpfs "$T/full" 2>/dev/null; then
	head -c 40000 /dev/zero >"$T/full/filler" 2>/dev/null
	DDB_SYNC_MAX_QUICK_DEATHS=2 DDB_SYNC_RESTART_BASE_MS=100 \
	    run "$T/full/state" --output-table other >"$T/full.log" 2>&1
	rc=$?
	umount "$T/full"
	[ "$rc" -ne 0 ] || fail "a full state directory went unnoticed"
	grep -q "No space left on device" "$T/full.log" || fail "no reason: $(cat "$T/full.log")"
	grep -q "Backfill complete" "$T/full.log" && fail "reported complete without checkpoints"
else
	log "no tmpfs mount here: full-disk case skipped"
fi
log "$n bad checkpoints refused"
