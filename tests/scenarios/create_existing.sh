#!/bin/sh
# create_existing: --create-output with a destination that already exists.
# One that differs in what a copy survives (a missing GSI, another billing
# mode, TTL off) is accepted with a warning for each, and left as it is;
# one with another key schema is a preflight error (exit 2), nothing
# written.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/def.json" <<'J'
{"AttributeDefinitions": [{"AttributeName": "email", "AttributeType": "S"}],
 "GlobalSecondaryIndexes": [
  {"IndexName": "by_email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
   "Projection": {"ProjectionType": "ALL"},
   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]}
J
ddbtool create-table src --hash pk:S --range sk:N --provisioned 5/5 \
    --def "$T/def.json" --ttl expires_at || fail "cannot create the source"
ddbtool create-table partial --hash pk:S --range sk:N || fail "partial"
ddbtool create-table otherkeys --hash pk:S || fail "otherkeys"
node -e '
for (let i = 0; i < 120; i++)
	console.log(JSON.stringify({ pk: { S: "p" + i }, sk: { N: String(i % 3) },
	    email: { S: "u" + i + "@example.com" } }));' >"$T/items.json"
ddbtool put-json src "$T/items.json" || fail "cannot fill the source"

run() {
	dst=$1
	shift
	"$BIN/ddb-sync" --input-table src --output-table "$dst" \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --create-output --no-stream --state-dir "$T/state-$dst" \
	    --status=off "$@"
}

# Differences a copy survives: warnings, then the copy.
run partial --check-config >"$T/check.log" 2>&1
rc=$?
cat "$T/check.log"
expect_eq "--check-config exit status" "$rc" 0
grep -q "warning: GSI by_email of the source is missing on destination table partial" \
    "$T/check.log" || fail "no warning for the missing GSI"
grep -q "warning: destination table partial is PAY_PER_REQUEST, the source is PROVISIONED" \
    "$T/check.log" || fail "no warning for the billing mode"
grep -q "warning: TTL is off on destination table partial: the source expires items on expires_at" \
    "$T/check.log" || fail "no warning for TTL"
grep -q "configuration OK" "$T/check.log" || fail "not OK"
run partial >"$T/out.log" 2>&1
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 0
grep -q "warning: GSI by_email" "$T/out.log" || fail "no warning in the run"
grep -q "Backfill complete. 120 items written" "$T/out.log" || fail "no copy"
ddbtool compare src partial || fail "the copy differs"
# Left as it was: ddb-sync changes no existing table's settings.
ddbtool describe partial >"$T/partial.json"
expect_eq "GSIs added" "$(json "$T/partial.json" '(j.Table.GlobalSecondaryIndexes || []).length')" 0
expect_eq "TTL turned on" "$(json "$T/partial.json" 'j.TimeToLive.TimeToLiveStatus')" DISABLED

# Another key schema: exit 2, nothing written.
run otherkeys >"$T/keys.log" 2>&1
rc=$?
cat "$T/keys.log"
expect_eq "exit status with other keys" "$rc" 2
grep -q "key schemas differ: source src has HASH pk (S), RANGE sk (N), destination otherkeys has HASH pk (S)" \
    "$T/keys.log" || fail "the key schema error is not clear"
expect_eq "items written to otherkeys" "$(ddbtool count otherkeys)" 0
exit 0
