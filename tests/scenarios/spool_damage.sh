#!/bin/sh
# spool_damage: a spool changed while its pair is stopped (issue 13). A run
# is stopped (SIGINT) in the middle of a backfill with several spool
# segments (spool_max_bytes 2 MiB: segments of 256 KiB; changes written in
# rounds, so that commits fill segments one after the other) holding
# changes not applied yet. Then, one at a time, restoring the spool after each:
#  1. its oldest segment removed: the pair stops with SpoolLost, naming the
#     missing segment, instead of applying around it;
#  2. a byte of a committed segment changed: SpoolCorrupt, naming the file
#     and the offset;
#  3. with the spool intact it goes on, and then with the whole spool
#     directory removed: the changes are read again from the stream (a
#     warning says so), and the copy converges (the independent reader).
# Nothing is skipped silently, and the checkpoint is never harmed.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

sim_tables
sim_start --scan-delay-ms 1500 --seed 61
# No handoff margin: the load's own records are not spooled, only the
# rounds of changes below.
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
export DDB_SYNC_HANDOFF_MARGIN_MS=0
# The load's records in the simulated stream, stamped before the run.
sim_post /__sync >/dev/null || fail "sync"
sleep 2
spool="$T/state/pairs/src/spool"
n=0
run() {
	n=$((n + 1))
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
	    --page-size 100 --total-segments 1 --state-dir "$T/state" \
	    --spool-max-bytes 2MiB --status=off >"$T/out$n.log" 2>&1 &
	sup=$!
	track $sup
}
segs() { ls "$spool" 2>/dev/null | grep -c '\.seg$'; }
three() { [ "$(segs)" -ge 3 ]; }

run
wait_for 60 "the backfill" grep -q "Backfill starting" "$T/out1.log"
for i in 1 2 3 4; do
	three && break
	ddbtool mutate src 600 --keys 3000 --prefix k --seed $i >/dev/null ||
	    fail "writer"
	sleep 1
done
wait_for 30 "three spool segments" three
kill -INT $sup
wait $sup || fail "the first run exited $?"
grep -q "Backfill complete" "$T/out1.log" && fail "the backfill ended: void"
cp -a "$spool" "$T/spool.saved"
cp "$T/state/pairs/src/checkpoint.json" "$T/ck.saved"
first=$(ls "$spool" | grep '\.seg$' | sort | head -1)
log "segments: $(ls "$spool" | tr '\n' ' ')"

# 1. The oldest segment removed.
rm "$spool/$first"
run
wait $sup
rc=$?
cat "$T/out$n.log"
expect_eq "exit status, a segment removed" "$rc" 1
grep -q "FAILED: SpoolLost" "$T/out$n.log" || fail "not SpoolLost"
grep -q "$first to .* are missing" "$T/out$n.log" ||
    fail "the missing segment is not named"
cmp -s "$T/state/pairs/src/checkpoint.json" "$T/ck.saved" ||
    fail "the checkpoint changed"
rm -rf "$spool" && cp -a "$T/spool.saved" "$spool"

# 2. A committed byte changed (in the oldest segment, a whole one).
printf 'XXXX' | dd of="$spool/$first" bs=1 seek=200 conv=notrunc \
    2>/dev/null || fail "dd"
run
wait $sup
rc=$?
cat "$T/out$n.log"
expect_eq "exit status, a segment damaged" "$rc" 1
grep -q "FAILED: SpoolCorrupt" "$T/out$n.log" || fail "not SpoolCorrupt"
grep -q "$first" "$T/out$n.log" || fail "the file is not named"
grep -q "offset" "$T/out$n.log" || fail "the offset is not named"
rm -rf "$spool" && cp -a "$T/spool.saved" "$spool"

# 3. Intact: it goes on from the spool; stopped again, the whole spool
# removed: read again from the stream.
run
wait_for 60 "the spool found" grep -q "kept from the last run" "$T/out$n.log"
sleep 2
kill -INT $sup
wait $sup || fail "run $n exited $?"
rm -rf "$spool"
run
wait_for 120 "the backfill to end" grep -q "Backfill complete" "$T/out$n.log"
grep -q "holds none of the records the checkpoint says were spooled" \
    "$T/out$n.log" || fail "no warning about the removed spool"
sim_converge src dst 180
stop_ok $sup "$T/out$n.log" 30
ddbtool compare src dst || fail "destination differs"
grep -q "Changes were lost" "$T/out$n.log" && fail "a gap was reported"
exit 0
