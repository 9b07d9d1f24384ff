#!/bin/sh
# verify_planted: a destination with planted differences: 17 items missing,
# 5 extra, 9 different (a changed number, a changed nested map value, a
# missing attribute, a binary byte, and five more), and items equal but
# written differently (a set in another order, 1.0 against 1, map keys in
# another order; DynamoDB Local stores these canonically, so the unit tests
# of itemcmp cover the comparison itself). ddb-sync verify reports exactly
# 17, 5 and 9, lists those keys in its report and exits 1; with --repair
# --delete-extra it fixes them, the independent reader then finds the
# tables equal, and a last verify exits 0.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S --range sk:N || fail "src"
ddbtool create-table dst --hash pk:S --range sk:N || fail "dst"
node -e '
const fs = require("fs");
const T = process.argv[1];
const item = (i) => ({
	pk: { S: "item-" + String(i).padStart(3, "0") }, sk: { N: String(i % 7) },
	n: { N: String(i * 3) }, s: { S: "text " + i },
	m: { M: { inner: { M: { v: { N: String(i) }, w: { S: "x" } } },
	    top: { BOOL: true } } },
	b: { B: Buffer.from([i & 255, 1, 2, 3]).toString("base64") },
	ss: { SS: ["red", "green", "blue"] }, ns: { NS: ["1", "2.5", "100"] },
	l: { L: [{ S: "a" }, { N: "1" }, { NULL: true }] },
});
const src = [], dst = [], missing = [], extra = [], different = [];
const key = (it) => JSON.stringify({ pk: it.pk, sk: it.sk });
for (let i = 0; i < 200; i++) {
	const it = item(i);
	src.push(it);
	if (i < 17) {			/* missing */
		missing.push(key(it));
		continue;
	}
	const d = JSON.parse(JSON.stringify(it));
	switch (i) {
	case 100: d.n.N = String(i * 3 + 1); break;		/* number */
	case 101: d.m.M.inner.M.v.N = "9999"; break;		/* nested */
	case 102: delete d.s; break;				/* missing attr */
	case 103: d.b.B = Buffer.from([i, 1, 2, 4]).toString("base64"); break;
	case 104: d.s.S = "text changed"; break;
	case 105: d.ss.SS = ["red", "green", "black"]; break;
	case 106: d.l.L = [d.l.L[1], d.l.L[0], d.l.L[2]]; break;
	case 107: d.added = { S: "only here" }; break;
	case 108: d.n = { S: d.n.N }; break;			/* type */
	/* Equal, written differently. */
	case 150: d.ss.SS = ["blue", "red", "green"]; break;
	case 151: d.n.N = String(i * 3) + ".000"; d.ns.NS = ["1.0", "25e-1", "1E2"]; break;
	case 152: d.m.M = { top: d.m.M.top, inner: { M: { w: { S: "x" },
	    v: { N: String(i) } } } }; break;
	}
	if (i >= 100 && i <= 108)
		different.push(key(it));
	dst.push(d);
}
for (let i = 0; i < 5; i++) {
	const it = item(1000 + i);
	it.pk.S = "extra-" + i;
	extra.push(key(it));
	dst.push(it);
}
const lines = (a) => a.map((x) => JSON.stringify(x)).join("\n") + "\n";
fs.writeFileSync(T + "/src.json", lines(src));
fs.writeFileSync(T + "/dst.json", lines(dst));
fs.writeFileSync(T + "/missing.keys", missing.sort().join("\n") + "\n");
fs.writeFileSync(T + "/extra.keys", extra.sort().join("\n") + "\n");
fs.writeFileSync(T + "/different.keys", different.sort().join("\n") + "\n");
' "$T" || fail "cannot make the items"
ddbtool put-json src "$T/src.json" || fail "cannot fill src"
ddbtool put-json dst "$T/dst.json" || fail "cannot fill dst"

verify() {
	"$BIN/ddb-sync" verify --input-table src --output-table dst \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --no-stream --page-size 7 --total-segments 3 \
	    --state-dir "$T/state" --status=plain "$@"
}
REPORT=$T/state/pairs/src/verify-report.jsonl

# The keys of one kind in the report, canonical (sorted names), sorted.
keys_of() {
	node -e '
const fs = require("fs");
const out = [];
for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
	if (!l) continue;
	const r = JSON.parse(l);
	if (r.kind === process.argv[2])
		out.push(JSON.stringify({ pk: r.key.pk, sk: r.key.sk }));
}
process.stdout.write(out.sort().join("\n") + (out.length ? "\n" : ""));
' "$REPORT" "$1"
}
summary() { json "$T/sum.json" "j.$1"; }

verify >"$T/out1.log" 2>"$T/err1.log"
rc=$?
cat "$T/out1.log"
expect_eq "exit status with differences" "$rc" 1
grep '"kind":"summary"' "$REPORT" | tail -1 >"$T/sum.json"
expect_eq "missing" "$(summary missing)" 17
expect_eq "extra" "$(summary extra)" 5
expect_eq "different" "$(summary different)" 9
expect_eq "source items checked" "$(summary checked)" 200
expect_eq "destination scanned" "$(summary destination_scanned)" 188
for k in missing extra different; do
	keys_of $k >"$T/got.$k"
	cmp -s "$T/got.$k" "$T/$k.keys" ||
	    fail "$k keys differ: $(diff "$T/$k.keys" "$T/got.$k")"
done
# The short diff names the first differing attribute.
for want in '"item-100".*"diff":"n: number values differ"' \
    '"item-101".*"diff":"m.inner.v: number values differ"' \
    '"item-102".*"diff":"s: missing in destination"' \
    '"item-103".*"diff":"b: binary values differ"' \
    '"item-108".*"diff":"n: type N != S"'; do
	grep -q "$want" "$REPORT" || fail "no $want in the report"
done
grep -q "Verify found differences: 17 missing, 5 extra, 9 different" \
    "$T/out1.log" || fail "the log does not give the counts"
grep -q "Verify complete. 200 items checked" "$T/out1.log" ||
    fail "no completion line"
[ -e "$T/state/pairs/src/verify.ckpt" ] &&
    fail "a finished verify left its checkpoint"
ddbtool compare src dst >/dev/null 2>&1 && fail "ddbtool finds them equal"

# Repair: puts and deletes through the write engine, counted.
verify --repair --delete-extra >"$T/out2.log" 2>"$T/err2.log"
rc=$?
cat "$T/out2.log"
expect_eq "exit status of the repairing run" "$rc" 1
grep '"kind":"summary"' "$REPORT" | tail -1 >"$T/sum.json"
expect_eq "repaired" "$(summary repaired)" 26
expect_eq "deleted" "$(summary deleted)" 5
grep -q "repaired 26, deleted 5" "$T/out2.log" || fail "repairs not logged"
ddbtool compare src dst || fail "the independent reader finds differences"

verify >"$T/out3.log" 2>"$T/err3.log"
rc=$?
cat "$T/out3.log"
expect_eq "exit status once equal" "$rc" 0
grep -q "Verify found the tables equal: 0 missing, 0 extra, 0 different" \
    "$T/out3.log" || fail "no equal verdict"
expect_eq "report lines" "$(wc -l <"$REPORT")" 1
exit 0
