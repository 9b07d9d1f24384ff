#!/bin/sh
# create_from_source: --create-output makes the destination from a source
# with two GSIs (INCLUDE and KEYS_ONLY), an LSI, provisioned throughput, TTL
# on expires_at, tags, point-in-time recovery, a KMS key, a table class and
# deletion protection. --check-config first says what it would create and
# creates nothing; then the independent reader describes the new table and
# every setting is asserted, and the copy is equal to the source.
# DynamoDB Local has no tags or PITR and does not describe encryption or
# table classes: the fault proxy's --shim answers those calls (and adds
# those fields to DescribeTable) from what it was asked, for both tables.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
echo '[]' >"$T/rules.json"
proxy_start "$T/rules.json" --shim
LOCAL=$ENDPOINT
ENDPOINT=$PROXY		# the reader sees what ddb-sync sees

KEY=arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab
cat >"$T/def.json" <<J
{"AttributeDefinitions": [{"AttributeName": "email", "AttributeType": "S"},
  {"AttributeName": "ts", "AttributeType": "N"},
  {"AttributeName": "lsk", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [
  {"IndexName": "by_email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
   "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["name", "age"]},
   "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1}},
  {"IndexName": "by_ts", "KeySchema": [{"AttributeName": "ts", "KeyType": "HASH"},
   {"AttributeName": "pk", "KeyType": "RANGE"}],
   "Projection": {"ProjectionType": "KEYS_ONLY"},
   "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 5}}],
 "LocalSecondaryIndexes": [
  {"IndexName": "by_lsk", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
   {"AttributeName": "lsk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}],
 "SSESpecification": {"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "$KEY"},
 "TableClass": "STANDARD_INFREQUENT_ACCESS",
 "DeletionProtectionEnabled": true}
J
ddbtool create-table src --hash pk:S --range sk:N --provisioned 7/3 \
    --def "$T/def.json" --ttl expires_at --tags team=data,env=test \
    --pitr true || fail "cannot create the source"
# Items with every index key, and TTLs in the future (none expired).
node -e '
const future = Math.floor(Date.now() / 1000) + 10 * 365 * 86400;
for (let i = 0; i < 400; i++)
	console.log(JSON.stringify({ pk: { S: "p" + (i % 37) }, sk: { N: String(i) },
	    email: { S: "u" + i + "@example.com" }, ts: { N: String(1e9 + i) },
	    lsk: { S: "l" + (i % 5) }, name: { S: "n" + i }, age: { N: String(i % 90) },
	    other: { M: { x: { L: [{ N: "1.5" }, { NULL: true }] } } },
	    expires_at: { N: String(future + i) } }));' >"$T/items.json"
ddbtool put-json src "$T/items.json" || fail "cannot fill the source"

run() {
	"$BIN/ddb-sync" --input-table src --output-table dst \
	    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
	    --create-output --no-stream --state-dir "$T/state" --status=off "$@"
}

# --check-config: what would be created; nothing is.
run --check-config >"$T/check.log" 2>&1
rc=$?
cat "$T/check.log"
expect_eq "--check-config exit status" "$rc" 0
grep -q "destination table dst does not exist; it would be created: HASH pk (S), RANGE sk (N); GSI by_email (email; INCLUDE name, age; 2/1 RCU/WCU); GSI by_ts (ts, pk; KEYS_ONLY; 4/5 RCU/WCU); LSI by_lsk (pk, lsk; ALL); PROVISIONED 7 RCU / 3 WCU; class STANDARD_INFREQUENT_ACCESS; encryption KMS $KEY; deletion protection; TTL on expires_at; point-in-time recovery; 2 tags" \
    "$T/check.log" || fail "--check-config did not say what it would create"
grep -q 'would call CreateTable {"TableName":"dst"' "$T/check.log" ||
    fail "no CreateTable request shown"
grep -q 'then UpdateTimeToLive' "$T/check.log" || fail "no UpdateTimeToLive shown"
grep -q 'then UpdateContinuousBackups' "$T/check.log" ||
    fail "no UpdateContinuousBackups shown"
if ddbtool describe dst >/dev/null 2>&1; then
	fail "--check-config created the destination"
fi
expect_eq "CreateTable calls after --check-config" \
    "$(proxy_get /__stats | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).targets.CreateTable))')" 1

# The real run: created, then copied.
run >"$T/out.log" 2>&1
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 0
grep -q "Destination table dst created" "$T/out.log" || fail "no creation logged"
grep -q "Backfill complete. 400 items written" "$T/out.log" || fail "backfill incomplete"
[ -e "$T/state/pairs/src/create.pending" ] && fail "create.pending left behind"

ddbtool describe dst >"$T/dst.json" || fail "the destination does not exist"
check() {
	got=$(json "$T/dst.json" "$2")
	expect_eq "$1" "$got" "$3"
}
check "key schema" 'j.Table.KeySchema.map(k => k.AttributeName + ":" + k.KeyType).join(",")' \
    "pk:HASH,sk:RANGE"
check "attribute types" 'j.Table.AttributeDefinitions.map(a => a.AttributeName + ":" + a.AttributeType).sort().join(",")' \
    "email:S,lsk:S,pk:S,sk:N,ts:N"
check "table throughput" 'j.Table.ProvisionedThroughput.ReadCapacityUnits + "/" + j.Table.ProvisionedThroughput.WriteCapacityUnits' \
    "7/3"
check "billing mode" '(j.Table.BillingModeSummary || {BillingMode: "PROVISIONED"}).BillingMode' \
    "PROVISIONED"
check "GSIs" 'j.Table.GlobalSecondaryIndexes.map(g => g.IndexName).sort().join(",")' \
    "by_email,by_ts"
g='j.Table.GlobalSecondaryIndexes.find(g => g.IndexName === "by_email")'
check "by_email keys" "$g.KeySchema.map(k => k.AttributeName + \":\" + k.KeyType).join()" "email:HASH"
check "by_email projection" "$g.Projection.ProjectionType + \" \" + $g.Projection.NonKeyAttributes.slice().sort().join()" \
    "INCLUDE age,name"
check "by_email throughput" "$g.ProvisionedThroughput.ReadCapacityUnits + \"/\" + $g.ProvisionedThroughput.WriteCapacityUnits" "2/1"
check "by_email status" "$g.IndexStatus" "ACTIVE"
g='j.Table.GlobalSecondaryIndexes.find(g => g.IndexName === "by_ts")'
check "by_ts keys" "$g.KeySchema.map(k => k.AttributeName + \":\" + k.KeyType).join()" "ts:HASH,pk:RANGE"
check "by_ts projection" "$g.Projection.ProjectionType" "KEYS_ONLY"
check "by_ts throughput" "$g.ProvisionedThroughput.ReadCapacityUnits + \"/\" + $g.ProvisionedThroughput.WriteCapacityUnits" "4/5"
check "LSI" 'j.Table.LocalSecondaryIndexes.map(l => l.IndexName + " " + l.KeySchema.map(k => k.AttributeName).join() + " " + l.Projection.ProjectionType).join(";")' \
    "by_lsk pk,lsk ALL"
check "TTL" 'j.TimeToLive.TimeToLiveStatus + " " + j.TimeToLive.AttributeName' "ENABLED expires_at"
check "PITR" 'j.ContinuousBackups.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus' "ENABLED"
check "tags" 'j.Tags.map(t => t.Key + "=" + t.Value).sort().join(",")' "env=test,team=data"
check "encryption" 'j.Table.SSEDescription.SSEType + " " + j.Table.SSEDescription.KMSMasterKeyArn' "KMS $KEY"
check "table class" 'j.Table.TableClassSummary.TableClass' "STANDARD_INFREQUENT_ACCESS"
check "deletion protection" 'j.Table.DeletionProtectionEnabled' "true"
check "no stream of its own" 'j.Table.StreamSpecification === undefined || !j.Table.StreamSpecification.StreamEnabled' "true"

ddbtool compare src dst || fail "the copy differs from the source"

# Started again: the table exists and matches, nothing is created twice.
run >"$T/again.log" 2>&1 || fail "second run failed: $(cat "$T/again.log")"
grep -q "destination table dst exists and matches the source" "$T/again.log" ||
    fail "the second run did not find the table matching: $(cat "$T/again.log")"
grep -q "warning" "$T/again.log" && fail "warnings for a matching table"
expect_eq "CreateTable calls" \
    "$(proxy_get /__stats | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).targets.CreateTable))')" 2
exit 0
