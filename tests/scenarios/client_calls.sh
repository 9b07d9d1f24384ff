#!/bin/sh
# client_calls: ddb-sync's own AWS client (ddb-sync-call: credentials chain,
# SigV4, retries, CRC check) performs every call the product needs against
# DynamoDB Local; an independent reader checks the effects.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
call() { "$BIN/ddb-sync-call" --endpoint-url "$ENDPOINT" "$@"; }

call CreateTable '{"TableName":"calls","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}' >"$T/create.json" ||
    fail "CreateTable"
grep -q '"TableStatus"' "$T/create.json" || fail "CreateTable: no TableStatus"

call DescribeTable '{"TableName":"calls"}' >"$T/describe.json" || fail "DescribeTable"
grep -q '"LatestStreamArn"' "$T/describe.json" || fail "DescribeTable: no stream"
arn=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).Table.LatestStreamArn)' "$T/describe.json")

# A 38-digit number and non-ASCII text survive the round trip.
call PutItem '{"TableName":"calls","Item":{"pk":{"S":"p-\u00fc\u4e16"},"sk":{"N":"1"},"n":{"N":"12345678901234567890123456789012345678"}}}' >/dev/null ||
    fail "PutItem"
body='{"RequestItems":{"calls":['
i=2
while [ $i -le 26 ]; do
	[ $i -gt 2 ] && body="$body,"
	body="$body{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"b\"},\"sk\":{\"N\":\"$i\"},\"bin\":{\"B\":\"AP8=\"}}}}"
	i=$((i + 1))
done
body="$body]},\"ReturnConsumedCapacity\":\"TOTAL\"}"
echo "$body" >"$T/batch.json"
call BatchWriteItem @"$T/batch.json" >"$T/batch.out" || fail "BatchWriteItem"
grep -q '"UnprocessedItems":{}' "$T/batch.out" || fail "BatchWriteItem left items: $(cat "$T/batch.out")"

call Scan '{"TableName":"calls","Limit":10,"Segment":0,"TotalSegments":2}' >"$T/scan0.json" || fail "Scan segment 0"
call Scan '{"TableName":"calls","Limit":100,"Segment":1,"TotalSegments":2}' >"$T/scan1.json" || fail "Scan segment 1"

expect_eq "items seen by the independent reader" "$(ddbtool count calls)" 26
ddbtool get calls '{"pk":{"S":"p-ü世"},"sk":{"N":"1"}}' | grep -q '"12345678901234567890123456789012345678"' ||
    fail "independent reader does not see the 38-digit number"

call --streams DescribeStream "{\"StreamArn\":\"$arn\"}" >"$T/stream.json" || fail "DescribeStream"
shard=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).StreamDescription.Shards[0].ShardId)' "$T/stream.json")
[ -n "$shard" ] || fail "DescribeStream: no shard"
call --streams GetShardIterator "{\"StreamArn\":\"$arn\",\"ShardId\":\"$shard\",\"ShardIteratorType\":\"TRIM_HORIZON\"}" >"$T/iter.json" ||
    fail "GetShardIterator"
iter=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).ShardIterator)' "$T/iter.json")
call --streams GetRecords "{\"ShardIterator\":\"$iter\",\"Limit\":1000}" >"$T/records.json" || fail "GetRecords"
n=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).Records.length)' "$T/records.json")
expect_eq "stream records" "$n" 26

# Errors are classified and reported, not retried forever.
if call DescribeTable '{"TableName":"missing-table"}' 2>"$T/err"; then
	fail "DescribeTable of a missing table succeeded"
fi
grep -q 'ResourceNotFoundException' "$T/err" || fail "no ResourceNotFoundException: $(cat "$T/err")"
grep -q 'not-found' "$T/err" || fail "not classified as not-found: $(cat "$T/err")"

# The credentials' source is named; the secret never printed.
call --creds-info ListTables '{}' >/dev/null 2>"$T/info" || fail "ListTables"
grep -q 'source=environment' "$T/info" || fail "credentials source: $(cat "$T/info")"
if grep -q "$AWS_SECRET_ACCESS_KEY" "$T/info" "$T/err"; then
	fail "secret key printed"
fi
log "all calls OK"
