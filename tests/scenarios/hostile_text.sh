#!/bin/sh
# hostile_text: an endpoint whose error messages hold terminal escapes,
# CR/LF with a forged log line, and the request's own session token and
# Authorization echoed back, first as a transient error (logged as a retry
# notice and shown in the status row), then as a fatal one (the pair fails
# with it). Nothing of it reaches stdout, stderr (status table) or
# worker.log raw: controls are escaped, credentials redacted, no line is
# forged.
. "$(dirname "$0")/../lib/harness.sh"

# A session token shaped like AWS's (base64, long); DynamoDB Local ignores it.
TOKEN=IQoJb3JpZ2luX2VjEXAMPLEtestTOKEN/only+for/ddbsync/tests0123456789
TOKEN=$TOKEN${TOKEN}abcdefABCDEF0123456789
export AWS_SESSION_TOKEN=$TOKEN

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 200 \
    2>/dev/null || fail "load"
cat >"$T/rules.json" <<'R'
[
 {"target": "DescribeTable", "fault": "hostile", "status": 500, "count": 3},
 {"target": "Scan", "fault": "hostile", "status": 400}
]
R
proxy_start "$T/rules.json"

# Retries long enough (full jitter under ceilings of 0.5, 1 and 2 s) that
# a status row drawn every 100 ms shows them, even under the sanitizers.
export DDB_SYNC_RETRY_NOTICE_MS=1 DDB_SYNC_RETRY_BASE_MS=500
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --state-dir "$T/state" --status=plain \
    --status-interval=100ms >"$T/out.log" 2>"$T/err.log"
rc=$?
cat "$T/out.log"
[ "$rc" -ne 0 ] || fail "the pair did not fail on the fatal error"
proxy_get /__stats >"$T/stats.json"
[ "$(json "$T/stats.json" "j.faults.hostile")" -ge 4 ] ||
    fail "the hostile answers were not all sent"

WL=$T/state/pairs/src/worker.log
for f in "$T/out.log" "$T/err.log" "$WL"; do
	[ -s "$f" ] || fail "$f is empty"
	# No escape, BEL or CR byte, whatever the endpoint sent.
	if LC_ALL=C grep -q "$(printf '[\033\007\r]')" "$f"; then
		fail "$f holds a raw control character"
	fi
	# Neither the token nor a signature of ours, in whole or in part.
	grep -qF "IQoJb3JpZ2lu" "$f" && fail "$f shows the session token"
	grep -qE "Signature=[0-9a-f]{64}" "$f" && fail "$f shows a signature"
	# No forged line: the fake log line stays inside the real one.
	grep -q "^2026/01/01 00:00:00" "$f" && fail "$f has a forged line"
	grep -q "forged" "$f" || fail "$f does not show the message at all"
done
# The message is readable where it is shown: escaped, redacted.
grep -qF 'Bad request\x1b[2J\x1b]0;pwned\x07\r\n2026/01/01 00:00:00' \
    "$T/out.log" || fail "stdout does not show the escaped message"
grep -qF 'X-Amz-Security-Token: [redacted]' "$T/out.log" ||
    fail "the echoed token is not shown as redacted"
grep -q "still retrying: InternalServerError: Bad request" "$T/out.log" ||
    fail "the retry notice did not carry the (escaped) message"
grep -q "RETRYING: source DescribeTable" "$T/err.log" ||
    fail "the status row did not show the retry"
grep -q "FAILED: ValidationException: .*Bad request" "$T/err.log" ||
    fail "the status row did not show the failure"
grep -qF '\u202eend' "$WL" || fail "worker.log lacks the escaped override"
log "hostile messages escaped and redacted in stdout, stderr and worker.log"
