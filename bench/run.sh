#!/bin/sh
# bench/run.sh: ddb-sync's benchmarks, one command, one table at the end.
# Every figure is a median of BENCH_RUNS runs (min and max shown), and the
# comparisons are ratios taken inside the same run against the same
# DynamoDB Local, because this machine is shared and absolute times drift.
#
#   bench/run.sh                        everything (about 15-25 minutes)
#   BENCH_RUNS=3 BENCH_ITEMS=100000 BENCH_STREAM_ITEMS=50000
#   BENCH_SCALE_ITEMS=1000000 (0 skips the 1M memory run)
#   BENCH_SKIP_CDT=1 (skip copy-dynamodb-table)
#   BENCH_SPOOL_ITEMS=200000 (the stream applied from a full spool; 0 skips)
#   BENCH_ONLY=spool (only that)
# The backfill and the fake answering at once are also measured over https,
# through a TLS front (tests/lib/tlsfront.sh: stunnel4, a CA made here).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${BENCH_RUNS:-3}
ITEMS=${BENCH_ITEMS:-100000}
STREAM_ITEMS=${BENCH_STREAM_ITEMS:-50000}
SCALE_ITEMS=${BENCH_SCALE_ITEMS:-1000000}
SPOOL_ITEMS=${BENCH_SPOOL_ITEMS:-200000}
MAIN_RUNS=$RUNS
if [ "${BENCH_ONLY:-}" = spool ]; then
	MAIN_RUNS=0
	SCALE_ITEMS=0
	BENCH_SKIP_CDT=1
fi
CACHE=${DDB_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ddb-sync}
CDT_VERSION=2.2.1

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true NODE_NO_WARNINGS=1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL

OUT=bench/out/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RES=$OUT/results.jsonl
: >"$RES"
DIRS=""
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for d in $DIRS; do scripts/ddblocal.sh stop "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf 'bench: %s\n' "$*" >&2; }
# rec BENCH RUN METRIC VALUE
rec() {
	v=$(awk -v v="${4:-0}" 'BEGIN { printf "%.6f", v }')
	printf '{"bench":"%s","run":%s,"metric":"%s","value":%s}\n' "$1" "$2" "$3" "$v" >>"$RES"
}
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
jiffies() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# --- prerequisites -----------------------------------------------------
[ -x build/ddb-sync ] || make -j2
# The distant-endpoint fake: C and libevent, so it is never the bottleneck.
cc -O2 -Wall -Wextra -D_GNU_SOURCE -o build/bench-fakeddb bench/fakeddb.c \
    $(pkg-config --cflags --libs libevent)
command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
command -v bc >/dev/null || { say "installing bc"; apt-get install -y -qq bc >/dev/null; }
[ -d tests/node/node_modules ] || (cd tests/node && npm ci --silent)
CDT=$CACHE/bench-node
if [ -z "${BENCH_SKIP_CDT:-}" ] && [ ! -d "$CDT/node_modules/copy-dynamodb-table" ]; then
	say "installing copy-dynamodb-table@$CDT_VERSION into $CDT"
	mkdir -p "$CDT"
	(cd "$CDT" && npm init -y >/dev/null 2>&1 &&
	    npm install --silent --no-audit --no-fund \
	    "copy-dynamodb-table@$CDT_VERSION" >/dev/null 2>&1)
fi

tests/lib/tlsfront.sh certs "$OUT/tls"
# tls_front HOST:PORT: a TLS front in front of it; sets TURL.
tls_front() {
	set -- $(tests/lib/tlsfront.sh start "$OUT/tls" good "$1")
	TURL=$1
	TPID=$3
	PIDS="$PIDS $3"
}

ddbl() {
	d=$(mktemp -d "$OUT/ddbl.XXXXXX")
	DIRS="$DIRS $d"
	URL=$(DDBL_HEAP=${1:-4g} scripts/ddblocal.sh start "$d")
	JPID=$(cat "$d/pid")
	DDBL_DIR=$d
}
tool() { node tests/node/ddbtool.js --endpoint "$URL" "$@"; }

# W: BatchWriteItem ceiling, pre-built bodies of the very items copied,
# 16 connections, 10 s.
build/ddb-sync-load --template --size 1000 >"$OUT/item.json"
ceiling_w() {
	table=$1
	BENCH_ITEM=$OUT/item.json BENCH_TABLE=$table wrk -t2 -c16 -d10s -s bench/lib/write.lua "$URL" \
	    >"$OUT/wrk.txt" 2>&1
	grep -q "non2xx 0" "$OUT/wrk.txt" || { cat "$OUT/wrk.txt" >&2; say "wrk saw errors"; }
	rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
	echo "$rps * 25" | bc -l
}

# A ddb-sync run; sets SYNC_SECS, SYNC_CPU, SUP_RSS, WORKER_RSS.
sync_run() {
	log=$1
	shift
	t0=$(now)
	build/ddb-sync --status=off "$@" >"$log" 2>&1
	t1=$(now)
	SYNC_SECS=$(secs "$t0" "$t1")
	line=$(grep "Resources:" "$log" | tail -n 1)
	SYNC_CPU=$(echo "$line" | sed -n 's/.*supervisor \([0-9.]*\)s CPU.*workers \([0-9.]*\)s CPU.*/\1 + \2/p' | bc -l)
	SUP_RSS=$(echo "$line" | sed -n 's/.*supervisor [0-9.]*s CPU, peak \([0-9]*\) KiB.*/\1/p')
	WORKER_RSS=$(echo "$line" | sed -n 's/.*largest peak \([0-9]*\) KiB.*/\1/p')
}

# One ddb-sync backfill: bench NAME (backfill, or backfill_nocap run with
# --no-consumed-capacity), destination table, extra flags. Needs r, C.
backfill_run() {
	b=$1
	dst=$2
	shift 2
	j0=$(jiffies "$JPID")
	sync_run "$OUT/$b$r.log" --input-table src --output-table "$dst" \
	    --input-endpoint-url "${EP:-$URL}" \
	    --output-endpoint-url "${EP:-$URL}" \
	    --stream=false --state-dir "$OUT/$b-state$r" "$@"
	j1=$(jiffies "$JPID")
	rate=$(echo "$ITEMS / $SYNC_SECS" | bc -l)
	rec "$b" "$r" items_per_s "$rate"
	rec "$b" "$r" cpu_per_100k "$(echo "$SYNC_CPU * 100000 / $ITEMS" | bc -l)"
	rec "$b" "$r" server_cpu "$(echo "($j1 - $j0) / $hz" | bc -l)"
	rec "$b" "$r" worker_rss_kib "$WORKER_RSS"
	rec "$b" "$r" supervisor_rss_kib "$SUP_RSS"
	rec "$b" "$r" ratio_to_C "$(echo "$rate / $C" | bc -l)"
	tool compare src "$dst" >/dev/null && rec "$b" "$r" equal 1 || rec "$b" "$r" equal 0
	say "ddb-sync $b: $rate items/s, $SYNC_CPU s CPU, worker peak $WORKER_RSS KiB"
	eval "RATE_$b=\$rate CPU_$b=\$SYNC_CPU"
}

# wait_line LOG PID TEXT: until LOG has TEXT; the run's log and an exit if
# PID ends first.
wait_line() {
	while ! grep -q "$3" "$1" 2>/dev/null; do
		kill -0 "$2" 2>/dev/null || { cat "$1" >&2; exit 1; }
		sleep 0.05
	done
}

# One stream apply of the waiting changes: bench NAME, destination table,
# extra flags. Needs r, W2, CS.
stream_run() {
	b=$1
	dst=$2
	shift 2
	t0=$(now)
	build/ddb-sync --input-table ssrc --output-table "$dst" \
	    --input-endpoint-url "$URL" --output-endpoint-url "$URL" \
	    --backfill=false --state-dir "$OUT/$b-state$r" --status=off "$@" \
	    >"$OUT/$b$r.log" 2>&1 &
	sp=$!
	PIDS="$PIDS $sp"
	wait_line "$OUT/$b$r.log" $sp "Caught up"
	t1=$(now)
	kill -INT $sp
	wait $sp || true
	srate=$(echo "$STREAM_ITEMS / $(secs "$t0" "$t1")" | bc -l)
	rec "$b" "$r" changes_per_s "$srate"
	rec "$b" "$r" ratio_to_W "$(echo "$srate / $W2" | bc -l)"
	rec "$b" "$r" ratio_to_CS "$(echo "$srate / $CS" | bc -l)"
	tool compare ssrc "$dst" >/dev/null && rec "$b" "$r" equal 1 || rec "$b" "$r" equal 0
	say "stream $b: $srate changes/s applied, write ceiling $W2"
}

# both FN NAME DST: FN as is, and FN NAME_nocap DST-nocap with
# --no-consumed-capacity (the work neither copy-dynamodb-table nor the wrk
# ceiling asks of the server); the order alternates between runs because
# the server warms up. Needs r.
both() {
	if [ $((r % 2)) -eq 1 ]; then
		"$1" "$2" "$3"
		"$1" "$2_nocap" "$3-nocap" --no-consumed-capacity
	else
		"$1" "$2_nocap" "$3-nocap" --no-consumed-capacity
		"$1" "$2" "$3"
	fi
}

# ddb-sync copying fakeddb.c's 600,000 virtual items: fake_run DELAY_MS
# IN_FLIGHT NAME [tls]; sets lrate (items/s). With tls, through a TLS front.
fake_run() {
	pf=$OUT/fake.port
	rm -f "$pf"
	build/bench-fakeddb "$pf" "$1" 600000 &
	fp=$!
	PIDS="$PIDS $fp"
	while [ ! -s "$pf" ]; do sleep 0.05; done
	furl=http://127.0.0.1:$(cat "$pf")
	if [ "${4:-}" = tls ]; then
		tls_front "127.0.0.1:$(cat "$pf")"
		furl=$TURL
	fi
	sync_run "$OUT/$3.log" --input-table fake --output-table fake-dst \
	    --input-endpoint-url "$furl" --output-endpoint-url "$furl" \
	    --stream=false --max-inflight "$2" --state-dir "$OUT/$3-state"
	kill $fp
	[ "${4:-}" = tls ] && kill "$TPID"
	lrate=$(echo "600000 / $SYNC_SECS" | bc -l)
}

# The stream applied from a full spool (issue 13): SPOOL_ITEMS changes
# waiting in the stream (the inserts of a load, all newer than the
# handoff: its margin is an hour), a copy with the backfill, whose reader
# spools all of them while the backfill runs; the time from "Applying the
# spool" to "Caught up". Once as is and once without consumed capacity,
# each into its own destination; compared with W measured on the same
# server. spool_copy NAME DST [FLAGS]; needs r, W3.
spool_copy() {
	b=$1
	dst=$2
	shift 2
	tool create-table "$dst" --hash pk:S
	log=$OUT/$b$r.log
	DDB_SYNC_HANDOFF_MARGIN_MS=3600000 build/ddb-sync --input-table psrc \
	    --output-table "$dst" --input-endpoint-url "$URL" \
	    --output-endpoint-url "$URL" --state-dir "$OUT/$b-state$r" \
	    --status=off "$@" >"$log" 2>&1 &
	sp=$!
	PIDS="$PIDS $sp"
	wait_line "$log" $sp "Applying the spool"
	t0=$(now)
	wait_line "$log" $sp "Caught up"
	t1=$(now)
	kill -INT $sp
	wait $sp || true
	applied=$(sed -n 's/.*Caught up: every shard is at its tip (\([0-9]*\) changes applied).*/\1/p' "$log" | head -n 1)
	[ "${applied:-0}" -ge "$SPOOL_ITEMS" ] ||
	    say "only ${applied:-0} of $SPOOL_ITEMS changes applied from the spool"
	prate=$(echo "${applied:-0} / $(secs "$t0" "$t1")" | bc -l)
	rec "$b" "$r" changes_per_s "$prate"
	rec "$b" "$r" ratio_to_W "$(echo "$prate / $W3" | bc -l)"
	tool compare psrc "$dst" >/dev/null && rec "$b" "$r" equal 1 || rec "$b" "$r" equal 0
	say "$b: $prate changes/s applied from the spool, write ceiling $W3"
}

spool_apply_run() {
	say "run $r/$RUNS: stream apply of $SPOOL_ITEMS changes from the spool"
	ddbl 4g
	tool create-table psrc --hash pk:S --stream NEW_AND_OLD_IMAGES
	tool create-table ceiling --hash pk:S
	build/ddb-sync-load --endpoint-url "$URL" --table psrc \
	    --count "$SPOOL_ITEMS" --size 1000 2>/dev/null
	W3=$(ceiling_w ceiling)
	rec spool "$r" W "$W3"
	if [ $((r % 2)) -eq 1 ]; then
		spool_copy spool pdst
		spool_copy spool_nocap pdst-nocap --no-consumed-capacity
	else
		spool_copy spool_nocap pdst-nocap --no-consumed-capacity
		spool_copy spool pdst
	fi
	scripts/ddblocal.sh stop "$DDBL_DIR"
}

for r in $(seq 1 "$MAIN_RUNS"); do
	say "run $r/$RUNS: backfill of $ITEMS items of about 1 KB"
	ddbl 4g
	for t in src dst dst-nocap dst-https dst-cdt ceiling; do tool create-table $t --hash pk:S; done
	build/ddb-sync-load --endpoint-url "$URL" --table src --count "$ITEMS" \
	    --size 1000 2>/dev/null

	W=$(ceiling_w ceiling)
	rec ceiling "$r" W "$W"
	S=$(node bench/lib/scanrate.js "$URL" src 8 | sed -n 's/.*"rate":\([0-9.]*\).*/\1/p')
	rec ceiling "$r" S "$S"
	C=$(echo "1 / (1 / $W + 1 / $S)" | bc -l)
	rec ceiling "$r" C "$C"
	say "ceilings: W $W items/s, S $S items/s, copy C $C items/s"

	both backfill_run backfill dst

	# The same copy over https: a TLS front (stunnel) before the same
	# server; CPU per item of ddb-sync itself, next to plain http.
	tls_front "${URL#http://}"
	EP=$TURL
	export AWS_CA_BUNDLE=$OUT/tls/ca.pem
	backfill_run backfill_https dst-https
	unset EP AWS_CA_BUNDLE
	kill "$TPID"
	rec compare "$r" https_cpu_ratio "$(echo "$CPU_backfill_https / $CPU_backfill" | bc -l)"

	if [ -z "${BENCH_SKIP_CDT:-}" ]; then
		j0=$(jiffies "$JPID")
		NODE_PATH=$CDT/node_modules node bench/lib/cdt.js "$URL" src dst-cdt \
		    >"$OUT/cdt$r.json"
		j1=$(jiffies "$JPID")
		cs=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$OUT/cdt$r.json")
		cc=$(sed -n 's/.*"cpu":\([0-9.]*\).*/\1/p' "$OUT/cdt$r.json")
		crate=$(echo "$ITEMS / $cs" | bc -l)
		rec cdt "$r" items_per_s "$crate"
		rec cdt "$r" cpu_per_100k "$(echo "$cc * 100000 / $ITEMS" | bc -l)"
		rec cdt "$r" server_cpu "$(echo "($j1 - $j0) / $hz" | bc -l)"
		rec cdt "$r" rss_kib "$(sed -n 's/.*"rss_kib":\([0-9]*\).*/\1/p' "$OUT/cdt$r.json")"
		rec compare "$r" items_per_s_ratio "$(echo "$RATE_backfill / $crate" | bc -l)"
		rec compare "$r" items_per_s_ratio_nocap "$(echo "$RATE_backfill_nocap / $crate" | bc -l)"
		rec compare "$r" cpu_per_item_ratio "$(echo "$CPU_backfill / $cc" | bc -l)"
		rec compare "$r" cpu_per_item_ratio_nocap "$(echo "$CPU_backfill_nocap / $cc" | bc -l)"
		tool compare src dst-cdt >"$OUT/cdt-compare$r.txt" && rec cdt "$r" equal 1 || rec cdt "$r" equal 0
		say "copy-dynamodb-table: $crate items/s, $cc s CPU"
	fi
	scripts/ddblocal.sh stop "$DDBL_DIR"

	say "run $r/$RUNS: stream apply of $STREAM_ITEMS waiting changes"
	ddbl 4g
	tool create-table ssrc --hash pk:S --stream NEW_AND_OLD_IMAGES
	tool create-table sdst --hash pk:S
	tool create-table sdst-nocap --hash pk:S
	tool create-table ceiling --hash pk:S
	build/ddb-sync-load --endpoint-url "$URL" --table ssrc \
	    --count "$STREAM_ITEMS" --size 1000 2>/dev/null
	# The ceilings first: they also warm the server's write and stream
	# read paths, as the load and the ceilings do before the backfill.
	W2=$(ceiling_w ceiling)
	# R: how fast the server hands out the same records; applying a
	# stream makes it do both, as a copy makes it scan and write.
	R=$(node bench/lib/streamrate.js "$URL" ssrc | sed -n 's/.*"rate":\([0-9.]*\).*/\1/p')
	CS=$(echo "1 / (1 / $W2 + 1 / $R)" | bc -l)
	rec stream "$r" W "$W2"
	rec stream "$r" R "$R"
	# Each reads the same waiting changes into its own destination.
	both stream_run stream sdst
	scripts/ddblocal.sh stop "$DDBL_DIR"

	say "run $r/$RUNS: latency scaling against a 10 ms endpoint"
	for k in 8 16 32; do
		fake_run 10 "$k" "lat$r-$k"
		expect=$(echo "$k * 25 / 0.010" | bc -l)
		rec "latency_k$k" "$r" items_per_s "$lrate"
		rec "latency_k$k" "$r" ratio_to_bound "$(echo "$lrate / $expect" | bc -l)"
		say "10 ms endpoint, $k in flight: $lrate items/s (bound $expect)"
	done
	# The fake answering at once: what the client itself sustains (a
	# driver stall once held this to 2,650 items/s).
	fake_run 0 8 "instant$r"
	rec instant "$r" items_per_s "$lrate"
	rec instant "$r" cpu_per_100k "$(echo "$SYNC_CPU * 100000 / 600000" | bc -l)"
	icpu=$SYNC_CPU
	say "instant endpoint, 8 in flight: $lrate items/s, $SYNC_CPU s CPU"
	# Over https: the client's own cost of TLS, the server costing nothing
	# (the TLS front then bounds the rate, not the client).
	export AWS_CA_BUNDLE=$OUT/tls/ca.pem
	fake_run 0 8 "instant_https$r" tls
	unset AWS_CA_BUNDLE
	rec instant_https "$r" items_per_s "$lrate"
	rec instant_https "$r" cpu_per_100k "$(echo "$SYNC_CPU * 100000 / 600000" | bc -l)"
	rec compare "$r" https_cpu_ratio_instant "$(echo "$SYNC_CPU / $icpu" | bc -l)"
	say "instant endpoint over https, 8 in flight: $lrate items/s, $SYNC_CPU s CPU"
done

if [ "$SCALE_ITEMS" -gt 0 ]; then
	say "scale: $SCALE_ITEMS items, worker memory"
	ddbl 8g
	tool create-table big --hash pk:S
	tool create-table big-dst --hash pk:S
	build/ddb-sync-load --endpoint-url "$URL" --table big \
	    --count "$SCALE_ITEMS" --size 1000 2>/dev/null
	sync_run "$OUT/scale.log" --input-table big --output-table big-dst \
	    --input-endpoint-url "$URL" --output-endpoint-url "$URL" \
	    --stream=false --state-dir "$OUT/bigstate"
	rec scale 1 worker_rss_kib "$WORKER_RSS"
	rec scale 1 items_per_s "$(echo "$SCALE_ITEMS / $SYNC_SECS" | bc -l)"
	say "1M: worker peak $WORKER_RSS KiB"
	scripts/ddblocal.sh stop "$DDBL_DIR"
fi

if [ "$SPOOL_ITEMS" -gt 0 ]; then
	for r in $(seq 1 "$RUNS"); do spool_apply_run; done
fi

node bench/lib/report.js "$RES" | tee "$OUT/report.md"
say "results in $OUT"
