#!/bin/sh
# tls_reuse: a 100k-item copy over https keeps its TLS connections: the TLS
# front (stunnel) counts one handshake per connection, and the whole copy
# makes no more than the requests that can be in flight at once (writes,
# one Scan per segment) plus a few, never one per request. (100k items as
# the issue asks: about 3 minutes on a busy 2-core machine, DynamoDB Local
# being the bottleneck; TLS_REUSE_ITEMS shrinks it for a quick look.)
. "$(dirname "$0")/../lib/harness.sh"

ITEMS=${TLS_REUSE_ITEMS:-100000}
INFLIGHT=8
SEGMENTS=4

ddbl_start
ddbtool create-table src --hash pk:S --range sk:N
ddbtool create-table dst --hash pk:S --range sk:N
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count "$ITEMS" \
    --size 100 2>/dev/null || fail "load"
tls_front_start good
export AWS_CA_BUNDLE=$TLS_CA
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$TLS_URL" --output-endpoint-url "$TLS_URL" \
    --stream=false --max-inflight $INFLIGHT --total-segments $SEGMENTS \
    --page-size 1000 --no-consumed-capacity --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>&1 ||
    fail "copy over https: $(tail -n 20 "$T/out.log")"
tail -n 2 "$T/out.log"
grep -q "Backfill complete. $ITEMS items written" "$T/out.log" ||
    fail "the backfill did not report $ITEMS items"
n=$(tls_handshakes "$TLS_URL_LOG")
# Requests: about ITEMS/25 writes and ITEMS/1000 scans, thousands in all.
bound=$((INFLIGHT + SEGMENTS + 6))
log "$n TLS handshakes for $ITEMS items (at most $bound allowed)"
[ "$n" -ge 1 ] || fail "nothing went through the TLS front"
[ "$n" -le "$bound" ] ||
    fail "$n TLS handshakes for $ITEMS items: connections are not reused"
# Correctness over https is tls_https's; here one independent count.
expect_eq "items in the destination" "$(ddbtool count dst)" "$ITEMS"
