#!/bin/sh
# governor.sh: the capacity governor against a distant endpoint.
#
#   bench/governor.sh        # about 5 minutes; prints a Markdown table
#
# fakeddb.c answers after DELAY ms (10 and 100), and is either a server of
# WRITE_CEILING items/s (the endpoint is the bound) or unbounded with the
# pair limited to LIMIT WCU/s (output.write_capacity; the fake reports 1
# WCU per item, so the limit is the bound). Each case runs twice: the
# default (the adaptive number of writes in flight under max_inflight 256)
# and a tuned fixed max_inflight (DDB_SYNC_ADAPTIVE_INFLIGHT=0), the number
# the bound needs with 10% to spare: bound x delay / 25 x 1.1. Rates are
# the fake's written counter, sampled each second, from 5 s after the
# first write to the last sample before the end (the steady state), and
# over the whole copy.
#
# Knobs: BENCH_GOV_ITEMS (400000), BENCH_GOV_CEILING (30000 items/s),
# BENCH_GOV_LIMIT (20000 WCU/s), BENCH_GOV_DELAYS ("10 100").
set -u
cd "$(dirname "$0")/.." || exit 1

ITEMS=${BENCH_GOV_ITEMS:-400000}
CEIL=${BENCH_GOV_CEILING:-30000}
LIMIT=${BENCH_GOV_LIMIT:-20000}
DELAYS=${BENCH_GOV_DELAYS:-10 100}
OUT=bench/out/governor-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
PIDS=""
trap 'kill $PIDS 2>/dev/null' EXIT

[ -x build/ddb-sync ] || make -j2
cc -O2 -Wall -Wextra -D_GNU_SOURCE -o build/bench-fakeddb bench/fakeddb.c \
    $(pkg-config --cflags --libs libevent) || exit 1

# run NAME DELAY CEILING INFLIGHT|default [ddb-sync args]: prints
# "steady whole" items/s.
run() {
	name=$1 delay=$2 ceil=$3 inflight=$4
	shift 4
	pf=$OUT/$name.port
	rm -f "$pf"
	build/bench-fakeddb "$pf" "$delay" "$ITEMS" "$ceil" &
	fp=$!
	PIDS="$PIDS $fp"
	while [ ! -s "$pf" ]; do sleep 0.05; done
	url=http://127.0.0.1:$(cat "$pf")
	if [ "$inflight" = default ]; then
		set -- "$@"
		adaptive=1
	else
		set -- "$@" --max-inflight "$inflight"
		adaptive=0
	fi
	DDB_SYNC_ADAPTIVE_INFLIGHT=$adaptive build/ddb-sync \
	    --input-table fake --output-table fake-dst \
	    --input-endpoint-url "$url" --output-endpoint-url "$url" \
	    --stream=false --total-segments 16 --page-size 1000 \
	    --state-dir "$OUT/$name-state" --status off -v "$@" \
	    >"$OUT/$name.log" 2>&1 &
	sp=$!
	: >"$OUT/$name.samples"
	while kill -0 $sp 2>/dev/null; do
		w=$(curl -s "$url/__stats" | sed -n 's/.*"written":\([0-9]*\).*/\1/p')
		echo "$(date +%s.%N) ${w:-0}" >>"$OUT/$name.samples"
		sleep 1
	done
	wait $sp || echo "$name: ddb-sync failed" >&2
	kill $fp 2>/dev/null
	awk -v items="$ITEMS" '
	    $2 > 0 && t0 == "" { t0 = $1 }
	    { t[NR] = $1; w[NR] = $2; n = NR }
	    END {
		for (i = 1; i <= n; i++) if (t0 != "" && t[i] >= t0 + 5) break
		a = i
		for (j = n; j > a; j--) if (w[j] < items) break
		s = (j > a) ? (w[j] - w[a]) / (t[j] - t[a]) : 0
		whole = items / (t[n] - t0 + 0.5)
		printf "%.0f %.0f\n", s, whole
	    }' "$OUT/$name.samples"
}

tuned() { echo "$1 * $2 / 1000 / 25 * 1.1 + 0.999" | bc -l | cut -d. -f1; }

{
echo "| delay | bound | default: items/s steady (whole) | tuned fixed max_inflight | tuned: items/s steady (whole) | default / tuned | default / bound |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for d in $DELAYS; do
	for kind in ceiling limit; do
		if [ $kind = ceiling ]; then
			bound=$CEIL
			c=$CEIL
			extra=""
			label="endpoint ceiling $CEIL items/s"
		else
			bound=$LIMIT
			c=0
			extra="--output-write-capacity $LIMIT"
			label="write_capacity $LIMIT"
		fi
		k=$(tuned "$bound" "$d")
		# shellcheck disable=SC2086
		set -- $(run "d$d-$kind-default" "$d" "$c" default $extra)
		ds=$1 dw=$2
		# shellcheck disable=SC2086
		set -- $(run "d$d-$kind-tuned" "$d" "$c" "$k" $extra)
		ts=$1 tw=$2
		printf "| %s ms | %s | %s (%s) | %s | %s (%s) | %s | %s |\n" \
		    "$d" "$label" "$ds" "$dw" "$k" "$ts" "$tw" \
		    "$(echo "scale=3; $ds / $ts" | bc)" \
		    "$(echo "scale=3; $ds / $bound" | bc)"
	done
done
} | tee "$OUT/report.md"
echo "(logs and samples in $OUT)"
