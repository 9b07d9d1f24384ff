#!/bin/sh
# verify_lag: ddb-sync verify waits out the copy's stream lag before it
# reads a difference again. A copy streams, then stops; its checkpoint is
# made to say that its stream was 8 s behind a moment ago. A verify with
# --recheck-delay 1s, over a destination with one item deleted, says that
# the copy's stream is behind and rechecks after 9 s (the lag plus the
# margin), then reports the item missing. The same checkpoint measured
# five minutes ago is of a copy that no longer runs: the recheck waits the
# margin alone.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES || fail "src"
ddbtool create-table dst --hash pk:S || fail "dst"
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 300 \
    --size 100 --prefix k 2>/dev/null || fail "load"

export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
pairflags="--input-table src --output-table dst --input-endpoint-url $ENDPOINT
    --output-endpoint-url $ENDPOINT --state-dir $T/state --status=off"
# shellcheck disable=SC2086
"$BIN/ddb-sync" $pairflags >"$T/copy.log" 2>&1 &
sup=$!
track $sup
wait_for 120 "the stream to catch up" grep -q "Caught up" "$T/copy.log"
kill -INT $sup
wait $sup
expect_eq "copy exit status" "$?" 0
ck=$T/state/pairs/src/checkpoint.json
grep -q '"lag_at_ms"' "$ck" || fail "the copy's checkpoint has no stream lag"

# lag AGO_MS: the copy's checkpoint says 8 s behind, measured AGO_MS ago.
lag() {
	node -e 'const fs = require("fs"), f = process.argv[1];
	    const j = JSON.parse(fs.readFileSync(f, "utf8"));
	    j.stream.lag_ms = 8000;
	    j.stream.lag_at_ms = Date.now() - Number(process.argv[2]);
	    fs.writeFileSync(f, JSON.stringify(j, null, 2) + "\n");' "$ck" "$1"
}
ddbtool delete dst '{"pk":{"S":"k42"}}' 2>>"$T/ddbtool.log" ||
    fail "delete k42"
[ "$(ddbtool count dst)" -eq 299 ] || fail "k42 was not deleted"

# verify N: a fresh verify (report and checkpoint of its own).
verify() {
	rm -f "$T/state/pairs/src/verify.ckpt"
	# shellcheck disable=SC2086
	"$BIN/ddb-sync" verify $pairflags --recheck-delay 1s \
	    --report "$T/report$1.jsonl" >"$T/verify$1.log" 2>&1
	echo $?
}

lag 500
start=$(date +%s)
rc=$(verify 1)
secs=$(($(date +%s) - start))
cat "$T/verify1.log"
expect_eq "verify exit status (different)" "$rc" 1
grep -q "The copy's stream is [89]s.* behind: differences are read again after 9s" \
    "$T/verify1.log" || fail "the lag is not waited out, or not said"
grep -q "1 missing, 0 extra, 0 different" "$T/verify1.log" ||
    fail "k42 is not reported missing"
[ "$secs" -ge 9 ] || fail "the verify took ${secs}s, less than the lag"

# A lag measured five minutes ago: no copy runs, the margin alone.
lag 300000
rc=$(verify 2)
expect_eq "second verify exit status" "$rc" 1
grep -q "stream is .* behind" "$T/verify2.log" &&
    fail "an old lag was waited out: $(cat "$T/verify2.log")"
grep -q "1 missing, 0 extra, 0 different" "$T/verify2.log" ||
    fail "second verify: k42 is not reported missing"
log "ok (first verify ${secs}s)"
