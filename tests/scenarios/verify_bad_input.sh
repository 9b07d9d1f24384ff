#!/bin/sh
# verify_bad_input: ddb-sync verify on a table that does not exist, on
# tables whose key schemas differ, and with a report path that cannot be
# written: each a clear error naming the problem, exit 2, before anything
# is scanned (no verify checkpoint, no report, no Scan seen by the tables).
# Verify flags without verify, and --report with several pairs, are usage
# errors.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S || fail "src"
ddbtool create-table dst --hash pk:S || fail "dst"
ddbtool create-table other --hash id:N || fail "other"
printf '{"pk":{"S":"a"}}\n' >"$T/one.json"
ddbtool put-json src "$T/one.json" || fail "put"

# verify NAME EXPECTED-TEXT ARGS...: exit 2, the text, nothing scanned.
verify() {
	name=$1
	want=$2
	shift 2
	"$BIN/ddb-sync" verify --input-endpoint-url "$ENDPOINT" \
	    --output-endpoint-url "$ENDPOINT" --no-stream \
	    --state-dir "$T/state-$name" --status=off "$@" \
	    >"$T/$name.log" 2>&1
	rc=$?
	cat "$T/$name.log"
	expect_eq "$name: exit status" "$rc" 2
	grep -q "$want" "$T/$name.log" || fail "$name: no '$want'"
	grep -q "Verify starting" "$T/$name.log" && fail "$name: it started"
	ls "$T/state-$name"/pairs/*/verify.ckpt >/dev/null 2>&1 &&
	    fail "$name: a verify checkpoint was written"
	return 0
}

verify missing_src "source table nosuch not found" \
    --input-table nosuch --output-table dst
[ -e "$T/state-missing_src/pairs/nosuch/verify-report.jsonl" ] &&
    fail "a report was made for a missing table"
verify missing_dst "destination table nosuch not found" \
    --input-table src --output-table nosuch
verify keys "KeySchemaMismatch\|key schema" \
    --input-table src --output-table other
verify report_dir "cannot write the verify report $T/nodir/r.jsonl" \
    --input-table src --output-table dst --report "$T/nodir/r.jsonl"
mkdir "$T/isdir"
verify report_isdir "cannot write the verify report $T/isdir" \
    --input-table src --output-table dst --report "$T/isdir"
# --create-output does not create a table for a verify.
verify nocreate "destination table made not found" \
    --input-table src --output-table made --create-output
ddbtool describe made >/dev/null 2>&1 && fail "verify created a table"

# Usage errors.
"$BIN/ddb-sync" --input-table src --repair >"$T/u1.log" 2>&1
expect_eq "--repair without verify" "$?" 2
grep -q "\-\-repair is a flag of 'ddb-sync verify'" "$T/u1.log" ||
    fail "no usage error for --repair"
"$BIN/ddb-sync" verify --input-table src --sample 1.5 >"$T/u2.log" 2>&1
expect_eq "--sample 1.5" "$?" 2
grep -q "is not a rate" "$T/u2.log" || fail "no usage error for --sample"
cat >"$T/two.yml" <<EOF
plan:
  - input: {table: src, endpoint_url: "$ENDPOINT"}
    output: {table: dst, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
  - input: {table: dst, endpoint_url: "$ENDPOINT"}
    output: {table: other, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
EOF
"$BIN/ddb-sync" verify --config-file "$T/two.yml" --report "$T/r.jsonl" \
    --state-dir "$T/state-two" >"$T/u3.log" 2>&1
expect_eq "--report with two pairs" "$?" 2
grep -q "the plan has 2 pairs" "$T/u3.log" || fail "no error for --report"
exit 0
