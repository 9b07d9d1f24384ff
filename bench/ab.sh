#!/bin/sh
# bench/ab.sh: before/after comparison of two builds of ddb-sync, for a
# refactor that must not cost speed. Each round runs both builds against the
# same DynamoDB Local, in alternating order (the later run of a pair is
# often slower: the server warms up and fills), and the summary gives the
# median of the per-round ratios after/before. With valgrind installed it
# also counts the instructions the worker executes for the same copy from
# the instant fake: deterministic, unlike times on a shared machine.
#
#   bench/ab.sh BEFORE_DIR AFTER_DIR     directories holding ddb-sync,
#                                        ddb-sync-worker, ddb-sync-load
#   AB_ROUNDS (6), AB_ITEMS (30000), AB_STREAM_ITEMS (20000),
#   AB_FAKE=1 (also the fake endpoint: instant at 8 in flight, 10 ms at 16),
#   AB_CALLGRIND_ITEMS (60000; 0 skips)
set -eu
[ $# -eq 2 ] || { echo "usage: bench/ab.sh BEFORE_DIR AFTER_DIR" >&2; exit 2; }
BEFORE=$(cd "$1" && pwd)
AFTER=$(cd "$2" && pwd)
cd "$(dirname "$0")/.."
ROUNDS=${AB_ROUNDS:-6}
ITEMS=${AB_ITEMS:-30000}
SITEMS=${AB_STREAM_ITEMS:-20000}
CGITEMS=${AB_CALLGRIND_ITEMS:-60000}
OUT=bench/out/ab-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RES=$OUT/results.txt
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true NODE_NO_WARNINGS=1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
FP=""
DDBL=""
cleanup() {
	[ -z "$FP" ] || kill "$FP" 2>/dev/null || true
	[ -z "$DDBL" ] || scripts/ddblocal.sh stop "$DDBL" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAKE=$OUT/fakeddb
cc -O2 -D_GNU_SOURCE -o "$FAKE" bench/fakeddb.c \
    $(pkg-config --cflags --libs libevent)
DDBL=$(mktemp -d "$OUT/ddbl.XXXXXX")
URL=$(DDBL_HEAP=4g scripts/ddblocal.sh start "$DDBL")
tool() { node tests/node/ddbtool.js --endpoint "$URL" "$@"; }
now() { date +%s.%N; }
rate() { echo "$1 / ($3 - $2)" | bc -l | cut -d. -f1; }
# rec NAME VARIANT ROUND VALUE
rec() { echo "$1 $2 $3 $4" >>"$RES"; echo "ab: $1 $2 round $3: $4" >&2; }
bin() { [ "$1" = before ] && echo "$BEFORE" || echo "$AFTER"; }

tool create-table src --hash pk:S
tool create-table warm --hash pk:S
tool create-table ssrc --hash pk:S --stream NEW_AND_OLD_IMAGES
"$AFTER/ddb-sync-load" --endpoint-url "$URL" --table src --count "$ITEMS" \
    --size 1000 2>/dev/null
"$AFTER/ddb-sync-load" --endpoint-url "$URL" --table ssrc \
    --count "$SITEMS" --size 1000 2>/dev/null

# One copy into a fresh table, checked by the independent reader:
# measure NAME VARIANT ROUND SOURCE COUNT FLAGS... A backfill ends by
# itself; a stream is stopped once it has caught up.
measure() {
	name=$1 v=$2 r=$3 src=$4 n=$5
	shift 5
	d=$(echo "$name-$v-$r" | tr _ -)
	tool create-table "$d" --hash pk:S
	t0=$(now)
	"$(bin "$v")/ddb-sync" --status=off --input-table "$src" \
	    --output-table "$d" --input-endpoint-url "$URL" \
	    --output-endpoint-url "$URL" --state-dir "$OUT/$d" "$@" \
	    >"$OUT/$d.log" 2>&1 &
	sp=$!
	while kill -0 $sp 2>/dev/null; do
		if grep -q "Caught up" "$OUT/$d.log"; then
			kill -INT $sp
			break
		fi
		sleep 0.05
	done
	t1=$(now)
	wait $sp || true
	tool compare "$src" "$d" >/dev/null || { echo "ab: $d differs" >&2; exit 1; }
	rec "$name" "$v" "$r" "$(rate "$n" "$t0" "$t1")"
	tool delete-table "$d" >/dev/null
}
fake_start() {	# DELAY_MS ITEMS; sets FURL
	rm -f "$OUT/fake.port"
	"$FAKE" "$OUT/fake.port" "$1" "$2" &
	FP=$!
	while [ ! -s "$OUT/fake.port" ]; do sleep 0.05; done
	FURL=http://127.0.0.1:$(cat "$OUT/fake.port")
}
fake_stop() { kill "$FP"; wait "$FP" 2>/dev/null || true; FP=""; }
fake() {	# VARIANT ROUND DELAY_MS IN_FLIGHT
	fake_start "$3" 600000
	t0=$(now)
	"$(bin "$1")/ddb-sync" --status=off --input-table fake \
	    --output-table fake-dst --input-endpoint-url "$FURL" \
	    --output-endpoint-url "$FURL" --stream=false --max-inflight "$4" \
	    --state-dir "$OUT/fake-$1-$2-$3" >"$OUT/fake-$1-$2-$3.log" 2>&1
	t1=$(now)
	fake_stop
	rec "fake_${3}ms_x${4}_items_per_s" "$1" "$2" "$(rate 600000 "$t0" "$t1")"
}

# A copy that is not counted: the server's first one is always slower.
"$AFTER/ddb-sync" --status=off --input-table src --output-table warm \
    --input-endpoint-url "$URL" --output-endpoint-url "$URL" \
    --stream=false --state-dir "$OUT/warm" >"$OUT/warm.log" 2>&1
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then o="before after"; else o="after before"; fi
	for v in $o; do
		measure backfill_items_per_s "$v" "$r" src "$ITEMS" --stream=false
	done
	for v in $o; do
		measure stream_changes_per_s "$v" "$r" ssrc "$SITEMS" \
		    --backfill=false
	done
	[ "${AB_FAKE:-1}" = 1 ] || continue
	for v in $o; do fake "$v" "$r" 0 8; done
	for v in $o; do fake "$v" "$r" 10 16; done
done

if [ "$CGITEMS" -gt 0 ] && command -v valgrind >/dev/null; then
	for v in before after; do
		fake_start 0 "$CGITEMS"
		valgrind --tool=callgrind --callgrind-out-file="$OUT/cg-$v" \
		    "$(bin "$v")/ddb-sync-worker" --state-dir "$OUT/cg-$v.state" \
		    --input-table fake --output-table fake-dst \
		    --input-endpoint-url "$FURL" --output-endpoint-url "$FURL" \
		    --stream=false --max-inflight 8 >"$OUT/cg-$v.log" 2>&1
		fake_stop
		rec worker_instructions "$v" 1 \
		    "$(sed -n 's/^summary: //p' "$OUT/cg-$v")"
	done
fi

# Per measure: medians, and the median of the per-round ratios.
awk '
{ v[$1, $2, $3] = $4; m[$1] = 1; if ($3 > n) n = $3 }
function median(a, k,   i, j, t) {
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
		if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	printf "| measure | before (median) | after (median) | after/before (median of rounds) | rounds |\n"
	printf "|---|---:|---:|---:|---:|\n"
	for (x in m) {
		k = 0
		for (r = 1; r <= n; r++) if ((x, "before", r) in v) {
			k++; b[k] = v[x, "before", r]; a[k] = v[x, "after", r]
			q[k] = a[k] / b[k]
		}
		printf "| %s | %.0f | %.0f | %.3f | %d |\n", x, median(b, k),
		    median(a, k), median(q, k), k
	}
}' "$RES" | tee "$OUT/report.md"
echo "ab: results in $OUT" >&2
