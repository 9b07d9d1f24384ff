#!/bin/sh
# ttl_skip_expired: the source has TTL on expires_at; its items have past,
# future and non-numeric TTL values (a string, a boolean, a map, none).
# The backfill skips exactly the past ones, counts them in the log, the
# status table and the summary, and still completes every segment (pages of
# expired items only must move the checkpoint too). ttl.skip_expired: false
# copies everything; true on a source without TTL is refused.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --ttl expires_at || fail "src"
ddbtool create-table dst --hash pk:S || fail "dst"
ddbtool create-table dstall --hash pk:S || fail "dstall"
ddbtool create-table nottl --hash pk:S || fail "nottl"
node -e '
const now = Math.floor(Date.now() / 1000);
const put = (pk, v) => console.log(JSON.stringify(Object.assign(
    { pk: { S: pk }, n: { N: "1" } }, v === undefined ? {} : { expires_at: v })));
for (let i = 0; i < 100; i++)
	put("past-" + i, { N: String(1000000000 + i * 1000) });
put("past-fraction", { N: String(now - 3600) + ".5" });
for (let i = 0; i < 10; i++)
	put("future-" + i, { N: String(now + 10 * 365 * 86400 + i) });
for (let i = 0; i < 10; i++)
	put("string-" + i, { S: "1000000000" });
for (let i = 0; i < 10; i++)
	put("none-" + i);
put("bool-0", { BOOL: true });
put("map-0", { M: { N: { N: "1" } } });
put("list-0", { L: [{ N: "1" }] });
put("set-0", { NS: ["1", "2"] });' >"$T/items.json"
ddbtool put-json src "$T/items.json" || fail "cannot fill src"

# Small pages over several segments: some pages hold expired items only.
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --no-stream --page-size 3 --total-segments 3 --state-dir "$T/state" \
    --status=plain >"$T/out.log" 2>"$T/err.log"
rc=$?
cat "$T/out.log"
expect_eq "exit status" "$rc" 0
expect_eq "items on dst" "$(ddbtool count dst)" 34
ddbtool dump dst >"$T/dst.dump"
grep -q '"past-' "$T/dst.dump" && fail "an expired item was copied"
for k in future-9 string-0 none-3 bool-0 map-0 list-0 set-0; do
	grep -q "\"$k\"" "$T/dst.dump" || fail "$k was not copied"
done
grep -q "Backfill complete. 34 items written" "$T/out.log" || fail "not complete"
grep -q "TTL: 101 expired items skipped (attribute expires_at)" "$T/out.log" ||
    fail "the log does not count the expired items"
grep -q "\[src\] ⇨ \[dst\]: Backfill complete: 34 items written over .* (TTL: 101 expired items skipped)" \
    "$T/out.log" || fail "the summary does not count the expired items"
grep -q -- "-COMPLETE-, 101 expired skipped" "$T/err.log" ||
    fail "the status table does not count them: $(cat "$T/err.log")"
# The completeness tally: every item scanned is written or skipped.
grep -q "Backfill tally: 135 items scanned = 34 written + 101 expired skipped" \
    "$T/out.log" || fail "no exact tally"
n=$(json "$T/state/pairs/src/checkpoint.json" \
    'j.backfill.segments.reduce((a, s) => a + s.scanned - s.items - s.expired, 0)')
expect_eq "tally in the checkpoint" "$n" 0
n=$(json "$T/state/pairs/src/checkpoint.json" 'j.backfill.segments.filter(s => s.done).length')
expect_eq "segments done" "$n" 3

# skip_expired: false copies everything.
"$BIN/ddb-sync" --input-table src --output-table dstall \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --no-stream --ttl-skip-expired=false --state-dir "$T/state2" \
    --status=off >"$T/all.log" 2>&1 || fail "skip_expired false: $(cat "$T/all.log")"
ddbtool compare src dstall || fail "skip_expired false did not copy all"
grep -q "expired" "$T/all.log" && fail "skip_expired false still mentions expired items"

# true on a source without TTL: an error, nothing written.
"$BIN/ddb-sync" --input-table dstall --output-table nottl \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --no-stream --ttl-skip-expired --state-dir "$T/state3" \
    --status=off >"$T/nottl.log" 2>&1
rc=$?
cat "$T/nottl.log"
expect_eq "exit status without TTL" "$rc" 2
grep -q "ttl.skip_expired is true but source table dstall has no TTL enabled" \
    "$T/nottl.log" || fail "no clear error"
expect_eq "items on nottl" "$(ddbtool count nottl)" 0
exit 0
