#!/bin/sh
# sigv4_wire: every request ddb-sync sends (DynamoDB and Streams, with and
# without a session token) is re-signed by AWS's own SigV4 implementation
# (@smithy/signature-v4) from the bytes that arrived: all must match.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
proxy_start --verify-sigv4
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 3000 \
    --size 300 2>/dev/null || fail "load"

run() {
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
	    --state-dir "$T/state$1" --status=off >"$T/out$1.log" 2>&1 &
	sup=$!
	track $sup
	wait_for 60 "the stream to start" grep -q "Streaming started" "$T/out$1.log"
	ddbtool mutate src 200 --keys 100 --prefix item- --seed $1 >/dev/null
	sleep 3
	kill -INT $sup
	wait $sup || fail "run $1 failed: $(cat "$T/out$1.log")"
}
export DDB_SYNC_POLL_MS=200
run 1
# Temporary credentials: the token must be sent and signed.
export AWS_SESSION_TOKEN="AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
ddbtool delete-table dst
ddbtool create-table dst --hash pk:S
run 2
unset AWS_SESSION_TOKEN
proxy_get /__stats >"$T/stats.json"
cat "$T/stats.json"; echo
ok=$(json "$T/stats.json" 'j.sigv4_ok')
bad=$(json "$T/stats.json" 'j.sigv4_bad')
expect_eq "requests with a wrong signature" "$bad" 0
[ "$ok" -gt 100 ] || fail "only $ok requests verified"
for op in DescribeTable Scan BatchWriteItem DescribeStream GetShardIterator GetRecords; do
	n=$(json "$T/stats.json" "j.targets.$op || 0")
	[ "$n" -gt 0 ] || fail "no $op request went through the verifier"
done
ddbtool compare src dst || fail "destination differs"
