#!/bin/sh
# governor_ctl_limit: "ddb-sync ctl limit NAME --write N" changes a running
# pair's write limit within 5 s: a pair at output.write_capacity: 400 is
# set to 150; from 5 s after the command on, the table takes 135-165 WCU/s
# (10 s windows; the proxy counts what DynamoDB Local reports), and never
# above 440 before it. The pair's worker is not restarted; ctl list and the
# reply show the new limit, and so does ctl status; a bad value is refused (exit 1) with a clear
# message and changes nothing. A percentage of a provisioned table works
# the same way: --write 25% of 1000 WCU is 250.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/governor.sh"

ddbl_start
proxy_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S --provisioned 1000/1000
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 14000 \
    --size 700 --prefix k 2>"$T/load.log" || fail "load"

cat >"$T/plan.yml" <<EOF
plan:
  - name: p
    input: {table: src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: dst, endpoint_url: "$PROXY", write_capacity: 400}
    stream: {disabled: true}
EOF
S=$T/state
ctl() { "$BIN/ddb-sync" ctl --state-dir "$S" "$@"; }
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$S" \
    --status plain --status-interval 2s >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
wait_for 60 "the first write" gov_written dst
sleep 12
pid=$(ctl --json list | node -e 'let d = ""; process.stdin.on("data",
    (c) => d += c).on("end", () => console.log(JSON.parse(d).pairs[0].pid))')

# Refused: nothing changes.
ctl limit p --write 0 >"$T/o" 2>"$T/e" && fail "a zero limit was accepted"
grep -q "write: '0' is zero" "$T/e" || fail "zero: $(cat "$T/e")"
ctl limit p --write lots >"$T/o" 2>"$T/e" && fail "'lots' was accepted"
grep -q "write: 'lots' is not a limit" "$T/e" || fail "lots: $(cat "$T/e")"
ctl limit p >"$T/o" 2>"$T/e"
expect_eq "limit without a value: exit" "$?" 2
ctl limit nosuch --write 5 >"$T/o" 2>"$T/e" && fail "an unknown pair"

ctl limit p --write 150 >"$T/o" 2>"$T/e" || fail "ctl limit: $(cat "$T/e")"
AT=$(date +%s)
grep -q "p: limits now read none, write 150" "$T/o" || fail "reply: $(cat "$T/o")"
sleep 16
gov_windows before dst 5 --skip 5 --to $((AT - 1))
gov_check before "j.windows >= 1 && j.max <= 440" "before: over 440 WCU/s, or no window"
gov_windows after dst 10 --from $((AT + 5)) --to $((AT + 15))
gov_check after 'j.windows >= 1' "no window after the change"
gov_check after "j.max <= 165 && j.min >= 135" \
    "5 s after ctl limit 150: $(json "$T/after.json" '"" + j.min + ".." + j.max') WCU/s"
ctl --json list >"$T/list.json"
expect_eq "pid after the change" \
    "$(json "$T/list.json" 'j.pairs[0].pid')" "$pid"
expect_eq "listed limit" "$(json "$T/list.json" 'j.pairs[0].write_limit')" 150
expect_eq "listed share" "$(json "$T/list.json" 'j.pairs[0].write_share')" 150
grep -q "Capacity limits changed by the operator: read none, write 150" \
    "$T/out.log" || fail "the change is not in the log"
# ctl status (as /metrics) shows the share in force, and no read limit.
ctl status >"$T/status.json" || fail "ctl status"
expect_eq "status: write limit" \
    "$(json "$T/status.json" 'j.status.pairs[0].write_capacity_limit')" 150
expect_eq "status: read limit" \
    "$(json "$T/status.json" 'j.status.pairs[0].read_capacity_limit')" null

# A percentage of the provisioned 1000 WCU.
ctl limit p --write 25% >"$T/o" 2>"$T/e" || fail "ctl limit 25%: $(cat "$T/e")"
wait_for 10 "the 25% limit" grep -q "writes limited to 250.0 WCU/s" \
    "$T/out.log"
kill -INT $sup
wait $sup
rc=$?
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc"
log "ok"
