#!/bin/sh
# faults_creds_refresh: credentials that expire during the run are
# refreshed before they expire (container credentials that live just past
# the refresh window), and an ExpiredTokenException answer makes the worker
# fetch new ones and retry; the copy completes and equals the source.
. "$(dirname "$0")/../lib/harness.sh"

export DDBL_SHARED_DB=1		# each key pair would be its own database
ddbl_start
proxy_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
ddbtool create-table dst2 --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 20000 \
    --size 300 2>/dev/null || fail "load"

node "$ROOT/tests/node/fakecreds.js" --port-file "$T/creds.port" \
    --ttl 902 --token s3cr3t-auth &
track $!
wait_for 10 "the credentials endpoint" test -s "$T/creds.port"
cport=$(cat "$T/creds.port")
# Only the container source: the environment keys go away.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$cport/creds"
export AWS_CONTAINER_AUTHORIZATION_TOKEN=s3cr3t-auth

fetches() {
	node -e 'require("http").get(process.argv[1], (r) => { let d = "";
	    r.on("data", (c) => d += c);
	    r.on("end", () => console.log(JSON.parse(d).fetches)); })' \
	    "http://127.0.0.1:$cport/__stats"
}
run() {
	"$BIN/ddb-sync" --input-table src --output-table "$1" \
	    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
	    --stream=false --max-inflight 2 --page-size 200 \
	    --state-dir "$T/state-$1" --status=off >"$T/out-$1.log" 2>&1
	rc=$?
	tail -n 5 "$T/out-$1.log"
	[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(cat "$T/out-$1.log")"
}

# 1: credentials that enter the refresh window during the run (2 s after
# each fetch) are replaced before they expire, without any error. Writes
# answered 20 ms late: a run of several seconds however fast the machine.
proxy_post /__rules '[{"target": "BatchWriteItem", "fault": "slow", "ms": 20}]'
run dst
f1=$(fetches)
log "credential fetches during the first run: $f1"
[ "$f1" -ge 3 ] || fail "credentials were fetched $f1 times: no refresh"
grep -q "credentials expired" "$T/out-dst.log" && fail "credentials expired in use"

# 2: the service says the token expired: new credentials, retried.
proxy_post /__rules '[{"target": "BatchWriteItem", "fault": "expired_token", "p": 0.05}]'
run dst2
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
ddbtool compare src dst || fail "dst differs"
ddbtool compare src dst2 || fail "dst2 differs"
proxy_get /__stats >"$T/stats.json"
expired=$(json "$T/stats.json" "j.faults.expired_token || 0")
[ "$expired" -gt 0 ] || fail "no expired-token fault was injected"
grep -q "credentials expired, refreshing" "$T/out-dst2.log" || fail "no refresh on ExpiredTokenException"
if grep -q "s3cr3t-auth\|fakeSecretKey\|fakeSessionToken" "$T"/out-*.log \
    "$T"/state-*/pairs/src/worker.log "$T"/state-*/pairs/src/checkpoint.json; then
	fail "a secret reached a log or the checkpoint"
fi
