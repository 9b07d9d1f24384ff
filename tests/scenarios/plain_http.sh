#!/bin/sh
# plain_http: http:// endpoints are accepted for loopback hosts only. Any
# other host (from the plan, the flags, AWS_ENDPOINT_URL* or the STS
# endpoint) is refused before anything is sent, exit 2, with a message
# naming the endpoint, unless allow_insecure_http allows it (per side in
# the plan or by flag, or --allow-insecure-http for every pair).
#
# The host that is "not loopback" is 127.0.0.1 written as one decimal
# number, 2130706433: ddb-sync takes only localhost, 127.x.y.z and [::1]
# for loopback, while curl reads that form as 127.0.0.1, so the test never
# leaves the machine and the proxy in front of DynamoDB Local counts any
# request that got through.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 500 \
    2>/dev/null || fail "load"
proxy_start
FAR=http://2130706433:${PROXY##*:}

requests() {
	proxy_get /__stats >"$T/stats.json"
	json "$T/stats.json" \
	    'Object.values(j.targets).reduce((a, b) => a + b, 0)'
}

n=0
# refused WHAT ARGS...: ddb-sync exits 2 naming FAR and nothing is sent.
refused() {
	what=$1
	shift
	n=$((n + 1))
	"$BIN/ddb-sync" --input-table src --output-table dst --stream=false \
	    --state-dir "$T/s$n" --status=off "$@" >"$T/r$n.log" 2>&1
	rc=$?
	cat "$T/r$n.log"
	expect_eq "exit status ($what)" "$rc" 2
	grep -q "endpoint $FAR is plain http to a host that is not loopback" \
	    "$T/r$n.log" || fail "$what: the refusal does not name $FAR"
	grep -q "allow_insecure_http" "$T/r$n.log" ||
	    fail "$what: the refusal does not say how to allow it"
	expect_eq "requests sent ($what)" "$(requests)" 0
}

refused "input endpoint flag" --input-endpoint-url "$FAR" \
    --output-endpoint-url "$ENDPOINT"
refused "output endpoint flag" --input-endpoint-url "$ENDPOINT" \
    --output-endpoint-url "$FAR"
grep -q "destination DynamoDB endpoint $FAR" "$T/r$n.log" ||
    fail "the refused side is not named"
AWS_ENDPOINT_URL=$FAR refused "AWS_ENDPOINT_URL"
AWS_ENDPOINT_URL_DYNAMODB=$FAR refused "AWS_ENDPOINT_URL_DYNAMODB"
# STS: the role's credentials would be asked for in cleartext.
AWS_ENDPOINT_URL_STS=$FAR refused "AWS_ENDPOINT_URL_STS" \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --input-role-arn arn:aws:iam::111111111111:role/r
# Allowing one side does not allow the other.
cat >"$T/one-side.yml" <<Y
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$FAR",
            allow_insecure_http: true}
    output: {table: dst, endpoint_url: "$FAR"}
    stream: {disabled: true}
Y
n=$((n + 1))
"$BIN/ddb-sync" --config-file "$T/one-side.yml" --state-dir "$T/s$n" \
    --status=off >"$T/r$n.log" 2>&1
expect_eq "exit status (one side allowed)" "$?" 2
grep -q "destination DynamoDB endpoint $FAR is plain http" "$T/r$n.log" ||
    fail "one side allowed: $(cat "$T/r$n.log")"

# Allowed: the plan's key on both sides, then the flag for every pair.
sed 's|endpoint_url: "'"$FAR"'"}|endpoint_url: "'"$FAR"'", allow_insecure_http: yes}|' \
    "$T/one-side.yml" >"$T/both.yml"
"$BIN/ddb-sync" --config-file "$T/both.yml" --state-dir "$T/allowed1" \
    --status=off >"$T/a1.log" 2>&1 || fail "allowed in the plan: $(cat "$T/a1.log")"
[ "$(requests)" -gt 0 ] || fail "nothing went through the proxy"
ddbtool compare src dst || fail "destination differs (plan allows)"
"$BIN/ddb-sync" --config-file "$T/one-side.yml" --allow-insecure-http \
    --state-dir "$T/allowed2" --status=off >"$T/a2.log" 2>&1 ||
    fail "--allow-insecure-http: $(cat "$T/a2.log")"
grep -q "Backfill complete. 500 items written" "$T/a2.log" ||
    fail "--allow-insecure-http: no complete backfill"
# Loopback as written needs no permission (as in every other scenario).
"$BIN/ddb-sync" --input-table src --output-table dst --stream=false \
    --input-endpoint-url "http://localhost:${ENDPOINT##*:}" \
    --output-endpoint-url "$ENDPOINT" --state-dir "$T/loop" --status=off \
    >"$T/loop.log" 2>&1 || fail "http://localhost refused: $(cat "$T/loop.log")"
