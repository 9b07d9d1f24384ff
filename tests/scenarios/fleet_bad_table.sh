#!/bin/sh
# fleet_bad_table: a plan with a coordination block (docs/fleet.md). A
# missing coordination table, one with another key schema, or one this
# host may not use (DynamoDB Local checks no IAM: the fault proxy answers
# AccessDeniedException as AWS would) exits 2 with a message saying what
# is wrong, --check-config included; --create-coordination-table creates
# it on-demand with the documented key schema. A host whose plan splits
# a pair otherwise than the fleet started it is refused (exit 2).
# Last, the lease writes of worker/lease.c (claim, renew, handoff,
# checkpoint, release, the backfill start, the stop flag) go to DynamoDB
# Local through ddb-sync's own client, and their conditions hold there.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
echo '[]' >"$T/rules.json"
proxy_start "$T/rules.json"
ddbtool create-table src --hash pk:S || fail "cannot create src"
ddbtool create-table dst --hash pk:S || fail "cannot create dst"
ddbtool create-table wrongkeys --hash pair:S || fail "cannot create wrongkeys"
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 20 \
    2>/dev/null || fail "cannot load src"

# plan COORDINATION_TABLE [ENDPOINT]: a one-pair plan with that table.
plan() {
	f="$T/plan-$1.yml"
	cat >"$f" <<P
coordination:
  table: $1
  region: us-east-1
  endpoint_url: "${2:-$ENDPOINT}"
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
P
	echo "$f"
}

n=0
# run WANT_RC WANT_TEXT ARGS...: ddb-sync's exit status and output.
run() {
	want_rc=$1
	want=$2
	shift 2
	n=$((n + 1))
	"$BIN/ddb-sync" --state-dir "$T/state$n" --status=off "$@" \
	    >"$T/o$n" 2>&1
	rc=$?
	[ "$rc" -eq "$want_rc" ] ||
	    fail "case $n ($*): exit $rc, want $want_rc: $(cat "$T/o$n")"
	grep -q -- "$want" "$T/o$n" ||
	    fail "case $n: no '$want' in: $(cat "$T/o$n")"
}

# Missing, with and without --check-config: exit 2, and how to fix it.
f=$(plan leases)
run 2 "coordination table leases not found.*--create-coordination-table" \
    --config-file "$f"
run 2 "coordination table leases not found" --config-file "$f" --check-config
if ddbtool describe leases >/dev/null 2>&1; then
	fail "a check created the coordination table"
fi

# Another key schema: exit 2, naming what it has and what it needs.
f=$(plan wrongkeys)
run 2 "wrongkeys has the key schema HASH pair (S) and no sort key, but a coordination table needs HASH pair (S), RANGE unit (S)" \
    --config-file "$f" --check-config
run 2 "needs HASH pair (S), RANGE unit (S)" --config-file "$f" \
    --create-coordination-table

# --create-coordination-table without a coordination block: usage error.
run 2 "the plan has no coordination block" --input-table src \
    --output-table dst --input-endpoint-url "$ENDPOINT" \
    --output-endpoint-url "$ENDPOINT" --create-coordination-table

# Created: on-demand, HASH pair (S), RANGE unit (S), as the independent
# client sees it; then nothing else happens (nothing copied).
f=$(plan leases)
run 0 "coordination table leases: created" --config-file "$f" \
    --create-coordination-table
ddbtool describe leases >"$T/leases.json" || fail "leases was not created"
node -e '
const d = JSON.parse(require("fs").readFileSync(process.argv[1])).Table;
const ks = d.KeySchema.map((k) => k.AttributeName + ":" + k.KeyType).join(",");
const ad = d.AttributeDefinitions.map((a) => a.AttributeName + ":" +
    a.AttributeType).sort().join(",");
const bm = (d.BillingModeSummary || {}).BillingMode;
if (ks !== "pair:HASH,unit:RANGE" || ad !== "pair:S,unit:S" ||
    bm !== "PAY_PER_REQUEST") {
	console.error("leases: " + ks + " / " + ad + " / " + bm);
	process.exit(1);
}' "$T/leases.json" || fail "leases has the wrong definition: $(cat "$T/leases.json")"
# Again: it exists, which is fine.
run 0 "coordination table leases (us-east-1): key schema and access OK" \
    --config-file "$f" --create-coordination-table

# Usable: the check passes. A run copies (its own table, "runs"); a host
# whose plan splits the pair otherwise is refused with exit 2, saying how
# the pair was started, and writes nothing to the table.
run 0 "configuration OK: 1 pair checked" --config-file "$f" --check-config
f2=$(plan runs)
run 0 "coordination table runs: created" --config-file "$f2" \
    --create-coordination-table
sed 's/stream: {disabled: true}/stream: {disabled: true}\
    total_segments: 2/' "$f2" >"$T/plan-2.yml"
run 0 "Backfill complete" --config-file "$T/plan-2.yml"
expect_eq "items copied" "$(ddbtool count dst)" 20
sed 's/total_segments: 2/total_segments: 3/' "$T/plan-2.yml" >"$T/plan-3.yml"
ddbtool dump runs >"$T/runs.before" || fail "dump runs"
run 2 "pair src was started as src@us-east-1 -> dst@us-east-1 with a backfill; this host's plan says src@us-east-1 -> dst@us-east-1 with a backfill of another segment count: every host must run the same plan" \
    --config-file "$T/plan-3.yml"
ddbtool dump runs | grep -v '"kind":{"S":"host"}' >"$T/runs.after"
grep -v '"kind":{"S":"host"}' "$T/runs.before" | cmp -s - "$T/runs.after" ||
    fail "a refused host changed the pair's items"

# No access: each action a host needs is probed, none is written; a
# refusal names the action (here UpdateItem, through the proxy).
http_ctl POST "$PROXY/__rules" '[{"target": "UpdateItem", "fault": "denied",
  "msg": "User: arn:aws:iam::123456789012:user/host is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/leases"}]' >/dev/null
f=$(plan leases "$PROXY")
run 2 "coordination table leases: UpdateItem is not allowed: AccessDeniedException.*dynamodb:UpdateItem" \
    --config-file "$f" --check-config
run 2 "UpdateItem is not allowed" --config-file "$f"
http_ctl POST "$PROXY/__rules" '[{"target": "DescribeTable", "fault": "denied"}]' >/dev/null
run 2 "coordination table leases: DescribeTable is not allowed" \
    --config-file "$f" --check-config
expect_eq "items left by the probes" "$(ddbtool count leases)" 0

# The lease writes, as DynamoDB Local applies their conditions.
call() {
	"$BIN/ddb-sync-call" --endpoint-url "$ENDPOINT" --region us-east-1 \
	    "$@" >>"$T/calls" 2>&1
}
body() { "$BIN/ddb-sync-leasebody" leases "$@"; }
ok() { call "$1" "$(shift; body "$@")" || fail "refused: $*: $(tail -n 3 "$T/calls")"; }
no() {
	call "$1" "$(shift; body "$@")" && fail "accepted: $*"
	tail -n 1 "$T/calls" | grep -q ConditionalCheckFailedException ||
	    fail "$*: not a failed condition: $(tail -n 1 "$T/calls")"
}
item() {
	ddbtool get leases "{\"pair\":{\"S\":\"p0\"},\"unit\":{\"S\":\"$1\"}}"
}
ok PutItem pair p0 2
no PutItem pair p0 4
ok PutItem segment p0 0
ok PutItem shard p0 s1 shard#s0
no PutItem segment p0 0
ok UpdateItem claim p0 segment#0 hostA 0
no UpdateItem claim p0 segment#0 hostB 0
ok UpdateItem renew p0 segment#0 hostA 1
no UpdateItem renew p0 segment#0 hostB 1
no UpdateItem renew p0 segment#0 hostA 7
ok UpdateItem handoff p0 segment#0 hostB hostA 1
no UpdateItem handoff p0 segment#0 hostC hostA 1
ok UpdateItem checkpoint p0 segment#0 hostA 1 10 '{"pk":{"S":"k9"}}' 0
ok UpdateItem release p0 segment#0 hostA 1 hostB
no UpdateItem checkpoint p0 segment#0 hostA 1 11 - 0
item segment#0 >"$T/seg0"
grep -q '"owner":{"S":"hostB"}' "$T/seg0" || fail "not handed to hostB: $(cat "$T/seg0")"
grep -q '"items":{"N":"10"}' "$T/seg0" || fail "checkpoint lost: $(cat "$T/seg0")"
grep -q '"next"' "$T/seg0" && fail "the request stayed: $(cat "$T/seg0")"
# hostB claims it afresh at the counter it read (4): tenure 5.
grep -q '"counter":{"N":"4"}' "$T/seg0" || fail "counter: $(cat "$T/seg0")"
ok UpdateItem claim p0 segment#0 hostB 4
no UpdateItem checkpoint p0 segment#0 hostB 4 20 - 1
ok UpdateItem checkpoint p0 segment#0 hostB 5 20 - 1
item segment#0 >"$T/seg0"
grep -q '"done":{"BOOL":true}' "$T/seg0" || fail "not done: $(cat "$T/seg0")"
grep -q '"owner"' "$T/seg0" && fail "done but owned: $(cat "$T/seg0")"
# The backfill start is recorded once; the stop flag is set.
ok UpdateItem start p0 1700000000001
no UpdateItem start p0 1700000000002
ok UpdateItem stop p0 1
item '#pair' >"$T/pair"
grep -q '"backfill_started":{"N":"1700000000001"}' "$T/pair" ||
    fail "backfill start: $(cat "$T/pair")"
grep -q '"stop":{"BOOL":true}' "$T/pair" || fail "stop flag: $(cat "$T/pair")"

# Deleted while a host copies: no lease can be proven any more, so the
# pair stops with exit 2 and says why (it does not go on unfenced).
ddbtool create-table gone --hash pair:S --range unit:S ||
    fail "cannot create gone"
http_ctl POST "$PROXY/__rules" '[{"target": "Scan", "fault": "slow", "ms": 300}]' >/dev/null
cat >"$T/plan-gone.yml" <<P
coordination:
  table: gone
  region: us-east-1
  endpoint_url: "$ENDPOINT"
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
    total_segments: 4
    page_size: 1
P
export DDB_SYNC_LEASE_MS=6000 DDB_SYNC_LEASE_RENEW_MS=1000 \
    DDB_SYNC_LEASE_MARGIN_MS=2500 DDB_SYNC_LEASE_ROUND_MS=1000
"$BIN/ddb-sync" --config-file "$T/plan-gone.yml" --state-dir "$T/stategone" \
    --status=off >"$T/gone.out" 2>&1 &
pid=$!
track $pid
wait_for 60 "a lease claimed" grep -q "Lease claimed: segment#" "$T/gone.out"
ddbtool delete-table gone || fail "cannot delete gone"
wait $pid
rc=$?
cat "$T/gone.out"
[ "$rc" -ne 0 ] || fail "ddb-sync went on without its coordination table"
grep -q "CoordinationTableGone.*coordination table gone:.*deleted or this host may no longer use it" "$T/gone.out" ||
    fail "no reason given for the stop"
log "ok"
