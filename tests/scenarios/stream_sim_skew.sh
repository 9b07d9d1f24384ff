#!/bin/sh
# stream_sim_skew: the server's clock (Date, ApproximateCreationDateTime)
# is 10 minutes behind the host's, then 10 minutes ahead, while a writer
# changes keys the backfill has already scanned. The handoff is taken on
# the server's clock, so no change is lost either way; the skew is warned
# about.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 2000 \
    --size 100 --prefix k 2>/dev/null || fail "load"
# Scan pages held 600 ms: a backfill of some seconds.
sim_start --scan-delay-ms 600 --rollover-ms 3000 --seed 9

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=1000
n=0
for skew in -600000 600000; do
	n=$((n + 1))
	sim_post /__config "{\"skew_ms\": $skew}" >/dev/null || fail "skew"
	ddbtool create-table dst$n --hash pk:S
	"$BIN/ddb-sync" --input-table src --output-table dst$n \
	    --input-endpoint-url "$SIM" --output-endpoint-url "$ENDPOINT" \
	    --page-size 100 --total-segments 1 --state-dir "$T/state$n" \
	    --status=off >"$T/out$n.log" 2>&1 &
	sup=$!
	track $sup
	wait_for 60 "the backfill ($skew)" grep -q "Backfill starting" "$T/out$n.log"
	# Every key of the table: most of those changed early are scanned
	# already (the scan reads the table in one pass, slowly).
	ddbtool mutate src 200 --keys 2000 --prefix k --seed $n >/dev/null ||
	    fail "writer"
	grep -q "Streaming started" "$T/out$n.log" &&
	    fail "the backfill ended before the writer ($skew)"
	wait_for 120 "the stream ($skew)" grep -q "Streaming started" "$T/out$n.log"
	sim_converge src dst$n 120
	stop_ok $sup "$T/out$n.log"
	ddbtool compare src dst$n || fail "destination differs ($skew)"
	# Date has one-second resolution: "9m59s" or "10m".
	way=behind
	[ "$skew" -lt 0 ] && way=ahead
	grep -Eq "warning: This host's clock is (9m5[0-9]s|10m[0-9s]*) $way( of)? the server's" \
	    "$T/out$n.log" || fail "no clock_skew warning ($skew)"
	# The handoff is on the server's clock.
	started=$(json "$T/state$n/pairs/src/checkpoint.json" j.backfill.started_ms)
	now=$(date +%s%3N)
	d=$((started - now - skew))
	log "skew $skew: backfill start $((started - now)) ms from the host's now"
	[ "$d" -lt 60000 ] && [ "$d" -gt -600000 ] ||
	    fail "backfill start not on the server's clock ($skew)"
done
exit 0
