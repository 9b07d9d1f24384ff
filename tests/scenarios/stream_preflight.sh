#!/bin/sh
# stream_preflight: a source without a stream, or with a KEYS_ONLY stream,
# gets a clear preflight error naming the table and the fix; exit 2;
# nothing is written.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table plain --hash pk:S
ddbtool create-table keys --hash pk:S --stream KEYS_ONLY
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table plain --count 100 2>/dev/null
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table keys --count 100 2>/dev/null

for src in plain keys; do
	"$BIN/ddb-sync" --input-table $src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --state-dir "$T/state-$src" --status=off >"$T/$src.log" 2>&1
	rc=$?
	cat "$T/$src.log"
	expect_eq "exit status for $src" "$rc" 2
	grep -q "source table $src has" "$T/$src.log" || fail "error does not name $src"
	grep -q "NEW_AND_OLD_IMAGES" "$T/$src.log" || fail "error does not say how to fix it"
done
grep -q "KEYS_ONLY" "$T/keys.log" || fail "KEYS_ONLY not named"
expect_eq "items written" "$(ddbtool count dst)" 0

# --check-config reports the same without starting anything.
"$BIN/ddb-sync" --input-table plain --output-table dst --check-config \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --state-dir "$T/state-check" --status=off >"$T/check.log" 2>&1
expect_eq "check-config exit" "$?" 2
"$BIN/ddb-sync" --input-table plain --output-table dst --check-config \
    --stream=false --input-endpoint-url "$ENDPOINT" \
    --output-endpoint-url "$ENDPOINT" --state-dir "$T/state-check2" \
    --status=off >"$T/check2.log" 2>&1 || fail "check-config of a good pair failed: $(cat "$T/check2.log")"
grep -q "configuration OK" "$T/check2.log" || fail "no 'configuration OK'"
expect_eq "items written" "$(ddbtool count dst)" 0
