#!/bin/sh
# backfill_three_pairs: one plan, three pairs at once (composite key, binary
# key, destination in another region = another DynamoDB Local database),
# 20,000+ items of every attribute type, large items, unicode: every
# destination equals its source, checked by an independent reader.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table comp-src --hash pk:S --range sk:N
ddbtool create-table comp-dst --hash pk:S --range sk:N
ddbtool create-table bin-src --hash id:B
ddbtool create-table bin-dst --hash id:B
ddbtool create-table num-src --hash n:N
ddbtool --region eu-west-1 create-table num-dst --hash n:N

load() { "$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" "$@" 2>>"$T/load.log"; }
load --table comp-src --count 12000 --size 400 || fail "load comp-src"
load --table bin-src --count 6000 --size 700 || fail "load bin-src"
load --table num-src --count 3000 --size 300 || fail "load num-src"
# Large items near the 400 KB limit.
load --table comp-src --count 12 --size 380000 --start 500000 --inflight 2 ||
    fail "load large items"

cat >"$T/plan.yml" <<PLAN
plan:
  - input: {table: comp-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: comp-dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
  - input: {table: bin-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: bin-dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
  - name: numbers
    input: {table: num-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: num-dst, region: eu-west-1, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
    total_segments: 3
PLAN

"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state" \
    --status=off >"$T/out.log" 2>"$T/err.log"
rc=$?
cat "$T/out.log"
[ "$rc" -eq 0 ] || fail "ddb-sync exited $rc: $(cat "$T/err.log")"

ddbtool compare comp-src comp-dst || fail "comp-dst differs"
ddbtool compare bin-src bin-dst || fail "bin-dst differs"
ddbtool compare num-src num-dst --dst-region eu-west-1 || fail "num-dst differs"
expect_eq "comp-dst items" "$(ddbtool count comp-dst)" 12012

for pair in "comp-src\] ⇨ \[comp-dst" "bin-src\] ⇨ \[bin-dst" \
    "num-src\] ⇨ \[num-dst"; do
	grep -q "$pair\]: Backfill complete\. [0-9]* items written over " \
	    "$T/out.log" || fail "no completion line for $pair"
done
grep -q "num-dst\]: Backfill complete\. 3000 items written" "$T/out.log" ||
    fail "wrong count for numbers"
# Checkpoints and logs are private.
for f in "$T"/state/pairs/*/checkpoint.json "$T"/state/pairs/*/worker.log; do
	expect_eq "mode of $f" "$(stat -c %a "$f")" 600
done
expect_eq "state dir mode" "$(stat -c %a "$T/state")" 700
log "three pairs copied and equal"
