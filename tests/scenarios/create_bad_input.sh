#!/bin/sh
# create_bad_input: with --create-output, bad input exits 2 with a message
# naming the key or the missing permission, and nothing is created: an
# unknown billing mode, a negative capacity (flag and plan), a provisioned
# copy of an on-demand table without capacities, an index_capacity for an
# index the source lacks, a KMS key that cannot follow into another region,
# and CreateTable or DescribeTimeToLive denied (DynamoDB Local checks no
# IAM: the fault proxy answers AccessDeniedException as AWS would).
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[{"target": "CreateTable", "fault": "denied", "after": 2,
  "msg": "User: arn:aws:iam::123456789012:user/copier is not authorized to perform: dynamodb:CreateTable on resource: arn:aws:dynamodb:us-east-1:123456789012:table/dst because no identity-based policy allows the dynamodb:CreateTable action"}]
R
proxy_start "$T/rules.json" --shim
LOCAL=$ENDPOINT
ENDPOINT=$PROXY
cat >"$T/sse.json" <<'J'
{"SSESpecification": {"Enabled": true, "SSEType": "KMS",
  "KMSMasterKeyId": "arn:aws:kms:us-east-1:000000000000:key/k1"}}
J
# Two sources through the proxy (the first two CreateTable calls pass).
ddbtool create-table src --hash pk:S --provisioned 5/5 --ttl exp \
    --def "$T/sse.json" || fail "cannot create src"
ddbtool create-table odsrc --hash pk:S || fail "cannot create odsrc"

n=0
check() {
	want=$1
	shift
	n=$((n + 1))
	"$BIN/ddb-sync" --state-dir "$T/state$n" --status=off "$@" \
	    >"$T/o$n" 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || fail "case $n ($*): exit $rc, want 2: $(cat "$T/o$n")"
	grep -q -- "$want" "$T/o$n" || fail "case $n: no '$want' in: $(cat "$T/o$n")"
	if ddbtool describe dst >/dev/null 2>&1; then
		fail "case $n created the destination"
	fi
	[ -e "$T/state$n/pairs/src/create.pending" ] &&
	    fail "case $n left create.pending"
	log "case $n: $(grep -m1 -- "$want" "$T/o$n")"
}
pair="--input-table src --output-table dst --input-endpoint-url $PROXY --output-endpoint-url $PROXY --no-stream"
plan() { f="$T/plan$n.yml"; cat >"$f"; echo "$f"; }

# shellcheck disable=SC2086
check "output-billing-mode: 'ON_DEMAND' is not one of PROVISIONED, PAY_PER_REQUEST" \
    $pair --create-output --output-billing-mode ON_DEMAND
# shellcheck disable=SC2086
check "output-provisioned-read-capacity: '-5' is negative" \
    $pair --create-output --output-provisioned-read-capacity -5 --output-provisioned-write-capacity 5
f=$(plan <<P
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output:
      table: dst
      endpoint_url: "$PROXY"
      create: true
      billing_mode: provisioned
      provisioned_read_capacity: 10
      provisioned_write_capacity: -1
    stream: {disabled: true}
P
)
check ":9: plan\[0\].output.provisioned_write_capacity: '-1' is negative" --config-file "$f"
f=$(plan <<P
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output:
      table: dst
      endpoint_url: "$PROXY"
      create: true
      billing_mode: FREE
    stream: {disabled: true}
P
)
check ":7: plan\[0\].output.billing_mode: 'FREE' is not one of" --config-file "$f"
# Found by the preflight, from what the source is.
# shellcheck disable=SC2086
check "billing_mode PROVISIONED needs output.provisioned_read_capacity and output.provisioned_write_capacity: source table odsrc is on-demand" \
    --input-table odsrc --output-table dst --input-endpoint-url "$PROXY" \
    --output-endpoint-url "$PROXY" --no-stream --create-output \
    --output-billing-mode PROVISIONED
# shellcheck disable=SC2086
check "output.index_capacity names index by_nothing, which source table src does not have" \
    $pair --create-output --output-index-capacity by_nothing:1:1
# The source's KMS key cannot serve a table in another region.
# shellcheck disable=SC2086
check "cannot be used by a table in us-west-2.*set output.sse_kms_key" \
    $pair --create-output --output-region us-west-2
# Permissions: CreateTable denied (the proxy's third CreateTable).
# shellcheck disable=SC2086
check "cannot create destination table dst: access denied: this needs the IAM permission dynamodb:CreateTable" \
    $pair --create-output
stats=$(proxy_get /__stats)
echo "$stats" >"$T/stats.json"
expect_eq "UpdateTimeToLive after a denied CreateTable" \
    "$(json "$T/stats.json" 'j.targets.UpdateTimeToLive || 0')" 1
# DescribeTimeToLive denied on the source: nothing is created either.
proxy_post /__rules '[{"target": "DescribeTimeToLive", "fault": "denied"}]'
proxy_post /__reset
# shellcheck disable=SC2086
check "needs the IAM permission dynamodb:DescribeTimeToLive" $pair --create-output
proxy_get /__stats >"$T/stats2.json"
expect_eq "CreateTable calls with DescribeTimeToLive denied" \
    "$(json "$T/stats2.json" 'j.targets.CreateTable || 0')" 0

# With what the errors asked for, the same pairs pass --check-config.
proxy_post /__rules '[]'
# shellcheck disable=SC2086
"$BIN/ddb-sync" --state-dir "$T/ok" --status=off $pair --create-output \
    --output-region us-west-2 --output-sse default --check-config \
    >"$T/ok.log" 2>&1 || fail "sse default did not pass: $(cat "$T/ok.log")"
grep -q "encryption AWS owned" "$T/ok.log" || fail "no AWS owned encryption"
exit 0
