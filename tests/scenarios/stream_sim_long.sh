#!/bin/sh
# stream_sim_long: a long-lived stream of 5,000 shards on the Streams
# simulator, nearly all closed. The worker gets through them, streams on,
# and stays bounded: its peak RSS, and a checkpoint that loses the
# finished shards once they age out of the stream (the simulator's
# retention is cut to an hour: most of the history leaves). The figures
# (time to get through, CPU per DescribeStream pass, RSS, checkpoint size)
# are logged for bench/README.md; none is asserted against a clock.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

N=5000
RSS_MAX=102400
# Under ASan every call costs far more and its quarantine inflates RSS:
# a shorter history, and the RSS bound left to the plain build.
case "$BUILD" in
*san*) N=1500 RSS_MAX=1048576 ;;
esac
ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
sim_start --prefill-shards $N --seed 2
export DDB_SYNC_POLL_MS=500 DDB_SYNC_SHARD_REFRESH_MS=2000
t0=$(date +%s%3N)
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
    --backfill=false --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>&1 &
sup=$!
track $sup
ck="$T/state/pairs/src/checkpoint.json"
lock="$T/state/pairs/src/lock"
done_n() {
	json "$ck" 'j.stream.shards.filter((s) => s.done).length' 2>/dev/null
}
all_done() { [ "$(done_n)" -ge $N ]; }
wait_for 360 "$N shards done" all_done
t1=$(date +%s%3N)
pid=$(cat "$lock")
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# Steady state: the listing passes over every shard every 2 s.
c0=$(cpu)
d0=$(sim_stat j.ops.DescribeStream)
sleep 10
c1=$(cpu)
d1=$(sim_stat j.ops.DescribeStream)
listed=$(sim_stat j.shards.listed)
pages=$(((listed + 99) / 100))
passes=$(((d1 - d0) / pages))
tck=$(getconf CLK_TCK)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
size=$(wc -c <"$ck")
entries=$(json "$ck" 'j.stream.shards.length')
log "figures: $listed shards listed; through them in $((t1 - t0)) ms;" \
    "$passes listing passes in 10 s using $(((c1 - c0) * 1000 / tck)) ms CPU" \
    "($(( (c1 - c0) * 1000 / tck / (passes > 0 ? passes : 1) )) ms a pass);" \
    "peak RSS $hwm KiB; checkpoint $size bytes, $entries entries"
[ "$passes" -ge 1 ] || fail "no listing pass in 10 s"
[ "$hwm" -lt "$RSS_MAX" ] || fail "worker peak RSS $hwm KiB"
# Compact entries for finished shards: no position kept.
expect_eq "positions kept for done shards" \
    "$(json "$ck" 'j.stream.shards.filter((s) => s.done && s.seq).length')" 0

# It streams on.
ddbtool mutate src 200 --keys 100 --prefix l --seed 1 >/dev/null ||
    fail "writer"
sim_converge src dst 120

# The history ages out: the checkpoint follows the listing down.
sim_post /__config '{"retention_ms": 3600000}' >/dev/null || fail "config"
pruned() {
	l=$(sim_stat j.shards.listed) && e=$(json "$ck" 'j.stream.shards.length') &&
	    [ "$l" -lt $((N / 2)) ] && [ "$e" -le $((l + 2)) ]
}
wait_for 120 "the aged-out shards to leave the checkpoint" pruned
size2=$(wc -c <"$ck")
log "after ageing out: $(sim_stat j.shards.listed) listed, checkpoint $size2 bytes," \
    "$(json "$ck" 'j.stream.shards.length') entries"
[ "$size2" -lt "$size" ] || fail "the checkpoint did not shrink"
stop_ok $sup "$T/out.log" 20
grep -q "Changes were lost" "$T/out.log" && fail "a gap was reported"
exit 0
