#!/bin/sh
# backfill_big_items: items of about 390 KB (legal: DynamoDB counts stored
# bytes) made of control characters that JSON escapes as \u00XX, six bytes
# for one, so a batch of them is far over BatchWriteItem's 16 MB. The
# write engine splits such batches; once they reached fatalx("batch body
# too large") and the worker crash-looped. The backfill copies them, then
# the stream applies more of them; both copies equal the source.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
ddbtool create-table dst --hash pk:S

# put_big PREFIX FROM TO: items PREFIX<i> with a 390,000-character string
# of control characters, a few other escapes, and a binary attribute.
put_big() {
	NODE_PATH=$ROOT/tests/node/node_modules node -e '
	const { DynamoDBClient, PutItemCommand } =
	    require("@aws-sdk/client-dynamodb");
	const c = new DynamoDBClient({ endpoint: process.env.ENDPOINT });
	(async () => {
		for (let i = +process.argv[2]; i < +process.argv[3]; i++) {
			const ch = String.fromCharCode(1 + i % 31);
			const v = ch.repeat(389000) + "\"\\\u007f" + i;
			await c.send(new PutItemCommand({ TableName: "src", Item: {
			    pk: { S: process.argv[1] + i }, v: { S: v },
			    b: { B: Buffer.alloc(512, i) } } }));
		}
	})().catch((e) => { console.error(e.message); process.exit(1); });
	' "$@"
}
put_big big 0 24 || fail "cannot write the big items"
[ "$(ddbtool count src)" -eq 24 ] || fail "the source does not hold 24 items"

# Eight segments with two pages each hold up to 16 items (about 2 per
# page): a request of them would be some 37 MB of JSON.
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --total-segments 8 --state-dir "$T/state" --status=off \
    >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
wait_for 300 "backfill completion" grep -q "Backfill complete" "$T/out.log"
! grep -E "Worker crashed|too large" "$T/out.log" ||
    fail "the worker crashed on the big items"
grep -q "Backfill complete. 24 items" "$T/out.log" ||
    fail "backfill: $(grep Backfill "$T/out.log")"
ddbtool compare src dst || fail "the backfill's copy differs"

# The stream: new big items, and big items replaced.
put_big more 0 12 || fail "cannot write more big items"
put_big big 0 6 || fail "cannot replace big items"
wait_for 300 "the stream to apply the big items" ddbtool compare src dst
kill -INT $sup
wait $sup || fail "ddb-sync exited $? on SIGINT: $(tail -n 20 "$T/out.log")"
ddbtool compare src dst || fail "the stream's copy differs"
if grep -E "Worker crashed|restart|too large|fatal" "$T/out.log"; then
	fail "the worker failed on the way"
fi
[ "$(ddbtool count dst)" -eq 36 ] || fail "the destination does not hold 36 items"
log "36 items of about 390 KB (2.3 MB of JSON each) copied and streamed"
