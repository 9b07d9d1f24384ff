#!/bin/sh
# plan_errors: bad plans and flags exit 2 before anything starts, with a
# message naming the problem; nothing is written to any table.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 50 2>/dev/null

n=0
check() {
	want=$1
	shift
	n=$((n + 1))
	"$BIN/ddb-sync" --state-dir "$T/state$n" --status=off "$@" >"$T/o$n" 2>"$T/e$n"
	rc=$?
	[ "$rc" -eq 2 ] || fail "case $n ($*): exit $rc, want 2: $(cat "$T/e$n")"
	grep -q -- "$want" "$T/e$n" || fail "case $n: no '$want' in: $(cat "$T/e$n")"
}
plan() { f="$T/plan$n.yml"; cat >"$f"; echo "$f"; }

check "usage" 
check "unknown" --bogus-flag
check "input" --output-table dst
check "backfill" --input-table src --backfill=maybe
check "cannot be used together" --config-file /dev/null --input-table src
check "same" --input-table src --input-region us-east-1
f=$(plan <<P
plan:
  - input: {table: src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {tabel: dst, endpoint_url: "$ENDPOINT"}
P
)
check ":3:.*tabel" --config-file "$f"
f=$(plan <<P
plan:
  - input: {region: us-east-1}
    output: {table: dst}
P
)
check ":2:.*table" --config-file "$f"
f=$(plan <<P
plan:
  - input: {table: src, region: us-east-1}
    output: {table: dst}
  - input: {table: src, region: us-east-1}
    output: {table: dst}
P
)
check "same input and output as plan\[0\]" --config-file "$f"
f=$(plan <<P
plan:
  - input: {table: src, region: us-east-1}
    output: {table: dst}
    stream: {disabled: perhaps}
P
)
check ":4:" --config-file "$f"
f=$(plan <<P
base: &b {table: src, region: us-east-1}
plan:
  - input: *b
    output: {table: dst}
P
)
check "alias\|anchor" --config-file "$f"
check "cannot\|No such\|not found\|open" --config-file "$T/does-not-exist.yml"
printf '\000\001\002garbage\377\376' >"$T/garbage.yml"
check "garbage.yml" --config-file "$T/garbage.yml"
# Several problems are all reported.
f=$(plan <<P
plan:
  - input: {table: src, region: us-east-1}
    output: {table: dst, colour: blue}
  - input: {table: x}
    output: {table: y, region: 12}
    segments: [1]
P
)
check "colour" --config-file "$f"
grep -q "segments" "$T/e$n" || fail "second problem not reported: $(cat "$T/e$n")"

expect_eq "items in dst" "$(ddbtool count dst)" 0
[ ! -e "$T/state1" ] || fail "a state directory was created for a bad invocation"
log "$n bad invocations refused"
