#!/bin/sh
# tls_https: ddb-sync over https, through a TLS front (stunnel) in front of
# DynamoDB Local with a CA and certificates made for this run.
# - With AWS_CA_BUNDLE naming the CA, a backfill and (on a fresh DynamoDB
#   Local) a stream phase copy everything over https.
# - With the system's CAs only, with a certificate for another host name
#   and with an expired certificate, the preflight fails at once (one
#   connection, exit 2) with a message naming the endpoint and what the TLS
#   library said.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
tls_certs
tls_front_start good
ddbtool create-table src --hash pk:S --range sk:N
ddbtool create-table dst --hash pk:S --range sk:N
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 5000 \
    --size 300 2>/dev/null || fail "load"

# run NAME URL [flags]: a backfill through URL.
run() {
	n=$1
	url=$2
	shift 2
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$url" --output-endpoint-url "$url" \
	    --stream=false --state-dir "$T/state-$n" --status=off "$@" \
	    >"$T/$n.log" 2>&1
}

# The system's CAs do not know ours: refused at once, never retried.
run untrusted "$TLS_URL"
rc=$?
cat "$T/untrusted.log"
expect_eq "exit status with an untrusted CA" "$rc" 2
grep -q "TLS certificate of $TLS_URL was refused" "$T/untrusted.log" ||
    fail "the refusal does not name the endpoint"
grep -Eq "unable to get local issuer certificate|self.signed certificate" \
    "$T/untrusted.log" || fail "the TLS library's reason is not shown"
grep -q "AWS_CA_BUNDLE" "$T/untrusted.log" || fail "no hint at AWS_CA_BUNDLE"
expect_eq "connections for an untrusted certificate" \
    "$(tls_handshakes "$TLS_URL_LOG")" 1

# Trusted: the copy goes through.
export AWS_CA_BUNDLE=$TLS_CA
run good "$TLS_URL" || fail "backfill over https: $(tail -n 20 "$T/good.log")"
tail -n 3 "$T/good.log"
grep -q "Backfill complete. 5000 items written" "$T/good.log" ||
    fail "backfill did not report completion"
ddbtool compare src dst || fail "destination differs after the https backfill"
[ "$(tls_handshakes "$TLS_URL_LOG")" -gt 1 ] ||
    fail "the copy did not go through the TLS front"

# The same CA, but a certificate for another name: refused the same way.
tls_front_start wronghost WRONG_URL
run wronghost "$WRONG_URL"
rc=$?
cat "$T/wronghost.log"
expect_eq "exit status for a certificate of another host" "$rc" 2
grep -q "TLS certificate of $WRONG_URL was refused" "$T/wronghost.log" ||
    fail "wrong host name: endpoint not named"
grep -q "subject name matches target host name 'localhost' (the certificate is for another host name" \
    "$T/wronghost.log" ||
    fail "wrong host name: the reason is not shown"
expect_eq "connections for a certificate of another host" \
    "$(tls_handshakes "$WRONG_URL_LOG")" 1

# An expired certificate: refused the same way.
tls_front_start expired OLD_URL
run expired "$OLD_URL"
rc=$?
cat "$T/expired.log"
expect_eq "exit status for an expired certificate" "$rc" 2
grep -q "TLS certificate of $OLD_URL was refused" "$T/expired.log" ||
    fail "expired: endpoint not named"
grep -q "certificate has expired (the certificate is outside its validity" \
    "$T/expired.log" || fail "expired: the reason is not shown"
expect_eq "connections for an expired certificate" \
    "$(tls_handshakes "$OLD_URL_LOG")" 1

# The stream phase over https, on a DynamoDB Local of its own (stream
# tables slow each other down in one server).
ddbl_start
tls_front_start good STREAM_URL
ddbtool create-table ssrc --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table sdst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table ssrc --count 2000 \
    --size 200 --prefix k 2>/dev/null || fail "load (stream)"
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --input-table ssrc --output-table sdst \
    --input-endpoint-url "$STREAM_URL" --output-endpoint-url "$STREAM_URL" \
    --max-inflight 4 --state-dir "$T/state-stream" --status=off \
    >"$T/stream.log" 2>&1 &
sup=$!
track $sup
wait_for 180 "streaming over https" grep -q "Streaming started" \
    "$T/stream.log"
ddbtool mutate ssrc 800 --keys 3000 --prefix k --seed 5 ||
    fail "mutator failed"
converged() { ddbtool compare ssrc sdst >"$T/cmp.log" 2>&1; }
wait_for 180 "the destination to converge over https" converged
kill -INT $sup
wait $sup
rc=$?
tail -n 5 "$T/stream.log"
expect_eq "exit status after SIGINT (stream over https)" "$rc" 0
ddbtool compare ssrc sdst || fail "stream destination differs"
grep -q "http://" "$T/state-stream/pairs/ssrc/worker.log" &&
    fail "the stream pair used plain http somewhere"
log "backfill and stream over https; $(tls_handshakes "$TLS_URL_LOG") + \
$(tls_handshakes "$STREAM_URL_LOG") handshakes"
