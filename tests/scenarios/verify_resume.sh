#!/bin/sh
# verify_resume: a verify killed with SIGKILL part-way (after a page was
# written to the report but before the checkpoint counted it) is restarted
# by the supervisor, resumes from verify.ckpt, and ends with the counts and
# the report keys of an uninterrupted run. --sample checks a part of the
# source's items and says so.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S || fail "src"
ddbtool create-table dst --hash pk:S || fail "dst"
node -e '
const fs = require("fs");
const T = process.argv[1];
const src = [], dst = [];
for (let i = 0; i < 1500; i++) {
	const it = { pk: { S: "k" + i }, n: { N: String(i) },
	    s: { S: "value " + i } };
	src.push(it);
	if (i % 50 === 7)
		continue;			/* 30 missing */
	const d = JSON.parse(JSON.stringify(it));
	if (i % 75 === 3)
		d.n.N = String(i + 1);		/* 20 different */
	dst.push(d);
}
for (let i = 0; i < 10; i++)
	dst.push({ pk: { S: "extra" + i }, n: { N: "0" } });
const lines = (a) => a.map((x) => JSON.stringify(x)).join("\n") + "\n";
fs.writeFileSync(T + "/src.json", lines(src));
fs.writeFileSync(T + "/dst.json", lines(dst));
' "$T" || fail "items"
ddbtool put-json src "$T/src.json" || fail "fill src"
ddbtool put-json dst "$T/dst.json" || fail "fill dst"

verify() {
	dir=$1
	shift
	"$BIN/ddb-sync" verify --input-table src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --no-stream --page-size 25 --total-segments 4 \
	    --state-dir "$T/$dir" --status=off "$@" >"$T/$dir.log" 2>&1
}
# The report without its summary, sorted: the keys of each kind.
keys() {
	grep -v '"kind":"summary"' "$T/$1/pairs/src/verify-report.jsonl" | sort
}
counts() {
	grep '"kind":"summary"' "$T/$1/pairs/src/verify-report.jsonl" |
	    sed 's/.*"checked"/"checked"/'
}

verify whole
expect_eq "uninterrupted exit status" "$?" 1
cat "$T/whole.log"
grep -q "30 missing, 10 extra, 20 different" "$T/whole.log" ||
    fail "uninterrupted counts"

export DDB_SYNC_CRASH_AT=verify-page DDB_SYNC_CRASH_AFTER=25
export DDB_SYNC_CRASH_FILE=$T/crashed DDB_SYNC_RESTART_BASE_MS=200
verify killed
rc=$?
unset DDB_SYNC_CRASH_AT DDB_SYNC_CRASH_AFTER DDB_SYNC_CRASH_FILE
cat "$T/killed.log"
[ -e "$T/crashed" ] || fail "the crash point was not reached"
expect_eq "resumed exit status" "$rc" 1
grep -q "Worker crashed (killed by signal 9" "$T/killed.log" ||
    fail "no crash"
grep -q "Verify resuming from its checkpoint" "$T/killed.log" ||
    fail "the restart did not resume"
expect_eq "counts after a restart" "$(counts killed)" "$(counts whole)"
keys whole >"$T/whole.keys"
keys killed >"$T/killed.keys"
cmp -s "$T/whole.keys" "$T/killed.keys" ||
    fail "reports differ: $(diff "$T/whole.keys" "$T/killed.keys" | head)"
expect_eq "report lines" "$(wc -l <"$T/whole.keys")" 60

# A sample: about a tenth of the source's items, said in the log.
verify sample --sample 10%
cat "$T/sample.log"
grep -q "a sample of 10% of the source's items" "$T/sample.log" ||
    fail "the sample is not said"
n=$(grep '"kind":"summary"' "$T/sample/pairs/src/verify-report.jsonl" |
    sed 's/.*"checked":\([0-9]*\).*/\1/')
[ "$n" -ge 75 ] && [ "$n" -le 300 ] || fail "sample checked $n of 1500"
# Stopped part-way (a long recheck delay holds it): exit 1, never 0 on a
# partial scan, and the next run resumes.
"$BIN/ddb-sync" verify --input-table src --output-table dst \
    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
    --no-stream --page-size 25 --total-segments 4 --recheck-delay 10m \
    --state-dir "$T/stopped" --status=off >"$T/stopped.log" 2>&1 &
sup=$!
track $sup
wait_for 120 "the verify to start" grep -q "Verify starting" "$T/stopped.log"
wait_for 120 "a verify checkpoint" test -s "$T/stopped/pairs/src/verify.ckpt"
kill -INT $sup
wait $sup
rc=$?
cat "$T/stopped.log"
expect_eq "exit status of a stopped verify" "$rc" 1
grep -q "Verify stopped after .*run it again to resume" \
    "$T/stopped.log" || fail "the stop is not said"
[ -s "$T/stopped/pairs/src/verify.ckpt" ] || fail "no checkpoint kept"
exit 0
