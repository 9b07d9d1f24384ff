#!/bin/sh
# ttl_stream_deletes: REMOVE records made by the TTL service (userIdentity
# type Service, principalId dynamodb.amazonaws.com) are applied with
# ttl.apply_deletes true (the default) and skipped and counted with false;
# a user's own delete is always applied. DynamoDB Local's TTL deletes
# nothing, so the fault proxy rewrites GetRecords answers: the REMOVE
# records of keys starting with "ttl-" get the TTL service's userIdentity.
# Two pairs read the same stream through the proxy, one for each setting.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[{"target": "GetRecords", "fault": "ttl_identity", "prefix": "ttl-"}]
R
proxy_start "$T/rules.json"
ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES \
    --ttl expires_at || fail "src"
ddbtool create-table keep --hash pk:S || fail "keep"
ddbtool create-table apply --hash pk:S || fail "apply"
node -e '
for (const p of ["ttl-", "user-", "stay-"])
	for (let i = 0; i < 10; i++)
		console.log(JSON.stringify({ pk: { S: p + i }, v: { N: String(i) } }));
' >"$T/items.json"
ddbtool put-json src "$T/items.json" || fail "cannot fill src"

cat >"$T/plan.yml" <<P
plan:
  - name: keep
    input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: keep, endpoint_url: "$ENDPOINT"}
    ttl: {apply_deletes: false}
  - name: apply
    input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: apply, endpoint_url: "$ENDPOINT"}
P
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=2000
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
streaming() { [ "$(grep -c 'Streaming started' "$T/out.log")" -eq 2 ]; }
wait_for 180 "both pairs streaming" streaming

# Deletes: "ttl-" ones become the TTL service's on the way, "user-" ones
# stay a user's.
for i in 0 1 2 3 4 5 6 7 8 9; do
	ddbtool delete src "{\"pk\":{\"S\":\"ttl-$i\"}}" || fail "delete ttl-$i"
	ddbtool delete src "{\"pk\":{\"S\":\"user-$i\"}}" || fail "delete user-$i"
done
expect_eq "items on src" "$(ddbtool count src)" 10

# apply_deletes true: the destination equals the source.
converged() { ddbtool compare src apply >"$T/cmp.log" 2>&1; }
wait_for 120 "pair apply to converge" converged
# apply_deletes false: the user's deletes applied, the TTL ones not.
kept() {
	ddbtool dump keep >"$T/keep.dump" &&
	    [ "$(grep -c '"user-' "$T/keep.dump")" -eq 0 ] &&
	    [ "$(wc -l <"$T/keep.dump")" -eq 20 ]
}
wait_for 120 "pair keep to apply the user's deletes" kept
for i in 0 1 2 3 4 5 6 7 8 9; do
	grep -q "\"ttl-$i\"" "$T/keep.dump" ||
	    fail "keep lost ttl-$i: a TTL delete was applied"
	grep -q "\"stay-$i\"" "$T/keep.dump" || fail "keep lost stay-$i"
done
proxy_get /__stats >"$T/stats.json"
n=$(json "$T/stats.json" 'j.ttl_marked')
[ "$n" -ge 20 ] || fail "the proxy marked only $n records"

kill -INT $sup
wait $sup
rc=$?
cat "$T/out.log"
expect_eq "exit status after SIGINT" "$rc" 0
grep -q "\[src\] ⇨ \[keep\]: Stopped while streaming: .* (TTL: 10 TTL deletes skipped)" \
    "$T/out.log" || fail "the summary does not count the skipped TTL deletes"
grep "\[src\] ⇨ \[apply\]: Stopped while streaming" "$T/out.log" |
    grep -q "TTL" && fail "pair apply skipped TTL deletes"
grep -q "10 TTL deletes skipped" "$T/state/pairs/keep/worker.log" ||
    fail "the worker log does not count them"
ddbtool compare src apply || fail "apply differs after stop"
exit 0
