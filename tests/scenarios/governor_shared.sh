#!/bin/sh
# governor_shared: two pairs write one table limited to 400 WCU/s
# (output.write_capacity on both): the supervisor hands each half, and the
# table takes at most 440 WCU/s over every 20 s window after the first
# 10 s while both run (the proxy counts what DynamoDB Local reports). When
# one pair is stopped ("ctl stop"), the other gets the whole budget: it
# rises to at least 360 WCU/s (averaged from 5 to 15 s after the stop),
# and never above 440. ctl list shows the limit next to the rate. Both
# copies are complete (the stopped one once started again).
#
# On a machine too loaded for 400 WCU/s (measured first by an unlimited
# copy), "rises to 360" cannot be asked for: the scenario says so and
# asserts the ceiling only.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/governor.sh"

LIMIT=400
NA=12000	# about 60 s at 200 WCU/s: still running at the stop
NB=16000

ddbl_start
proxy_start
for t in src-a src-b dst ceil; do
	ddbtool create-table $t --hash pk:S || fail "create $t"
done
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src-a --count $NA \
    --size 700 --prefix a 2>"$T/load.log" || fail "load src-a"
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src-b --count $NB \
    --size 700 --prefix b 2>>"$T/load.log" || fail "load src-b"
gov_ceiling src-b ceil

cat >"$T/plan.yml" <<EOF
plan:
  - name: a
    input: {table: src-a, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: dst, endpoint_url: "$PROXY", write_capacity: $LIMIT}
    stream: {disabled: true}
  - name: b
    input: {table: src-b, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: dst, endpoint_url: "$PROXY", write_capacity: $LIMIT}
    stream: {disabled: true}
EOF
S=$T/state
ctl() { "$BIN/ddb-sync" ctl --state-dir "$S" "$@"; }
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$S" \
    --status plain --status-interval 2s >"$T/out.log" 2>"$T/err.log" &
sup=$!
track $sup
started() { [ "$(grep -c "writes limited to" "$T/out.log")" -ge 2 ]; }
wait_for 60 "both workers to get their share" started
grep -q "writes limited to 200.0 WCU/s" "$T/out.log" ||
    fail "no half share: $(grep "limited" "$T/out.log")"
# Both run for 36 s after the first write: 10 s to settle, then 20 s
# windows (the first writes may come some seconds after the start).
wait_for 60 "the first write" gov_written dst
sleep 36
ctl --json list >"$T/list.json" || fail "ctl list"
json "$T/list.json" 'j.pairs.map((p) => p.name + " " + p.write_limit + " " +
    p.write_share + " " + p.wcu_per_s).join(", ")'
gov_check_list() {
	json "$T/list.json" "$1" | grep -q true || fail "$2"
}
gov_check_list 'j.pairs.every((p) => p.write_limit === "400" &&
    p.write_share === 200)' "ctl list does not show the shares"
gov_check_list 'j.pairs.every((p) => p.wcu_per_s > 0 && p.wcu_per_s <= 240)' \
    "ctl list shows no consumed rate under the share"
ctl list >"$T/list.txt"
grep -q "^a .* [0-9]*/200 " "$T/list.txt" ||
    fail "ctl list: no rate/share column: $(cat "$T/list.txt")"
ctl stop a >/dev/null || fail "ctl stop a"
STOP=$(date +%s)
stopped() { ctl list | grep -q "^a  *stopped"; }
wait_for 30 "pair a to stop" stopped
wait_for 30 "b's full share" grep -q "writes limited to 400.0 WCU/s" \
    "$T/out.log"
sleep 16
gov_windows both dst 20 --skip 10 --to $((STOP - 1))
gov_check both 'j.windows >= 3' "too few windows with both pairs running"
gov_check both "j.max <= $LIMIT * 1.1" \
    "both pairs: a 20 s window averaged $(json "$T/both.json" j.max) WCU/s, over $LIMIT + 10%"
gov_windows alone dst 10 --from $((STOP + 5)) --to $((STOP + 15))
gov_check alone "j.max <= $LIMIT * 1.1" \
    "b alone: $(json "$T/alone.json" j.max) WCU/s, over $LIMIT + 10%"
if [ "$CEIL" -lt $((LIMIT * 12 / 10)) ]; then
	log "this DynamoDB Local takes at most $CEIL WCU/s now: 'rises to" \
	    "360' is not asserted"
else
	gov_check alone "j.min >= $LIMIT * 0.9" \
	    "b alone rose to $(json "$T/alone.json" j.min) WCU/s only"
fi
ctl start a >/dev/null || fail "ctl start a"
done_both() { [ "$(grep -c "Backfill complete" "$T/out.log")" -ge 2 ]; }
wait_for 300 "both backfills to complete" done_both
# Backfill-only pairs: the supervisor ends when both are complete.
wait $sup
rc=$?
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(tail -n 5 "$T/out.log")"
ddbtool count dst >"$T/count"
expect_eq "items in dst" "$(cat "$T/count")" $((NA + NB))
log "ok"
