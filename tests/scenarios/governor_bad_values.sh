#!/bin/sh
# governor_bad_values: capacity limits that cannot work are configuration
# errors (exit 2) with a message naming the problem, from flags and from a
# plan: zero, negative numbers, fractions, nonsense, percentages above 100,
# two pairs giving one table different limits, and a percentage of an
# on-demand table that has no maximum (only DescribeTable can tell: the
# preflight says to give an absolute number). A percentage of a
# provisioned table passes --check-config.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
ddbtool create-table prov --hash pk:S --provisioned 100/100

# expect_config WHAT MESSAGE ARGS...: ddb-sync exits 2 saying MESSAGE.
expect_config() {
	what=$1
	msg=$2
	shift 2
	"$BIN/ddb-sync" --state-dir "$T/state" --status=off "$@" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "$what: exit $rc, want 2: $(cat "$T/out" "$T/err")"
	grep -qF -- "$msg" "$T/out" "$T/err" ||
	    fail "$what: no '$msg' in: $(cat "$T/out" "$T/err")"
}
flags="--input-table src --output-table dst --input-endpoint-url $ENDPOINT
    --output-endpoint-url $ENDPOINT --stream=false"
# shellcheck disable=SC2086
{
expect_config zero "--output-write-capacity: '0' is zero" $flags \
    --output-write-capacity 0
expect_config zero% "--input-read-capacity: '0%' is zero" $flags \
    --input-read-capacity 0%
expect_config negative "--output-write-capacity: '-5' is negative" $flags \
    --output-write-capacity=-5
expect_config nonsense "--output-write-capacity: 'fast' is not a limit" \
    $flags --output-write-capacity fast
expect_config fraction "--input-read-capacity: '2.5' is not a limit" $flags \
    --input-read-capacity 2.5
expect_config "over 100%" "--output-write-capacity: 150 is out of range (0 to 100)" \
    $flags --output-write-capacity 150%
# On-demand without a maximum: the preflight's DescribeTable tells.
expect_config on-demand "on-demand without a maximum (OnDemandThroughput): a percentage has nothing to be a percentage of; give an absolute number of write capacity units per second" \
    $flags --output-write-capacity 40%
expect_config "on-demand (read)" "give an absolute number of read capacity units per second" \
    $flags --input-read-capacity 10% --check-config
}

cat >"$T/bad.yml" <<EOF
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$ENDPOINT",
      read_capacity: -1}
    output: {table: dst, write_capacity: "many"}
  - input: {table: prov, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: dst, write_capacity: 300}
  - input: {table: src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: prov, write_capacity: 300}
    stream: {disabled: true}
  - name: other
    input: {table: dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: prov, write_capacity: 200}
    stream: {disabled: true}
EOF
expect_config plan "input.read_capacity: '-1' is negative" \
    --config-file "$T/bad.yml"
grep -qF "output.write_capacity: 'many' is not a limit" "$T/out" "$T/err" ||
    fail "plan: 'many' not reported: $(cat "$T/err")"
grep -qF "output.write_capacity 200 differs from the 300 of plan[2]" \
    "$T/out" "$T/err" || fail "plan: differing limits not reported: $(cat "$T/err")"

# A percentage of a provisioned table is fine.
"$BIN/ddb-sync" --state-dir "$T/state" --status=off --check-config \
    --input-table src --output-table prov --input-endpoint-url "$ENDPOINT" \
    --output-endpoint-url "$ENDPOINT" --stream=false \
    --output-write-capacity 40% --input-read-capacity 500 >"$T/out" 2>&1 ||
    fail "40% of a provisioned table refused: $(cat "$T/out")"
grep -q "configuration OK" "$T/out" || fail "no configuration OK: $(cat "$T/out")"
log "ok"
