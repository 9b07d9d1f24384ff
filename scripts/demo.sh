#!/bin/sh
# demo.sh: the README's one-command demo of ddb-sync's main job. Starts
# DynamoDB Local on a free loopback port, creates and fills a source table
# with a stream, then runs ddb-sync: a backfill, then the stream phase
# catching up while a writer changes the source. On the way it shows the
# status table, "ddb-sync ctl list" and /metrics scraped once; then a clean
# stop (SIGINT) and the independent check (AWS's SDK for JavaScript) that
# the copy equals the source. DEMO_ITEMS (default 20000) sets the table
# size, DEMO_CHANGES (default 2000) the writer's changes.
set -eu
cd "$(dirname "$0")/.."
[ -x build/ddb-sync ] && [ -x build/ddb-sync-worker ] || make

dir=$(mktemp -d "${TMPDIR:-/tmp}/ddb-sync-demo.XXXXXX")
sup="" tailer="" writer=""
cleanup() {
	for p in $writer $tailer $sup; do
		kill "$p" 2>/dev/null || true
	done
	scripts/ddblocal.sh stop "$dir/ddbl" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# DynamoDB Local takes any well-formed key: use AWS's documented example.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
# The SDK warns about Node versions on every start; tests need quiet.
export NODE_NO_WARNINGS=1
unset AWS_SESSION_TOKEN AWS_PROFILE
# DynamoDB Local's stream: poll it often, so the demo does not wait.
export DDB_SYNC_POLL_MS=250 DDB_SYNC_SHARD_REFRESH_MS=2000

say() { printf '\n\033[1mdemo: %s\033[0m\n' "$*"; }
# until SECONDS WHAT CMD...: wait for CMD to succeed.
until_ok() {
	secs=$1 what=$2
	shift 2
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || { echo "demo: timed out waiting for $what" >&2; exit 1; }
		sleep 0.3
	done
}
get() {
	if command -v curl >/dev/null 2>&1; then
		curl -sf -m 10 "$1"
	else
		node -e 'require("http").get(process.argv[1], (r) =>
		    r.pipe(process.stdout)).on("error", () => process.exit(1))' "$1"
	fi
}
free_port() {
	node -e 'const s = require("net").createServer();
	    s.listen(0, "127.0.0.1", () => { console.log(s.address().port);
	    s.close(); })'
}

say "starting DynamoDB Local"
url=$(scripts/ddblocal.sh start "$dir/ddbl")
echo "DynamoDB Local at $url"
tool() { node tests/node/ddbtool.js --endpoint "$url" "$@"; }
tool create-table demo-source --hash pk:S --stream NEW_AND_OLD_IMAGES
tool create-table demo-dest --hash pk:S
n=${DEMO_ITEMS:-20000}
changes=${DEMO_CHANGES:-2000}
say "writing $n items with every attribute type into demo-source"
build/ddb-sync-load --endpoint-url "$url" --table demo-source --count "$n" \
    --size 600

port=$(free_port)
metrics=http://127.0.0.1:$port/metrics
say "ddb-sync: demo-source -> demo-dest (backfill, then the stream); the log
and, every 5 seconds, the status table"
build/ddb-sync --input-table demo-source --output-table demo-dest \
    --input-endpoint-url "$url" --output-endpoint-url "$url" \
    --state-dir "$dir/state" --status=plain --status-interval=5s \
    --metrics-listen "127.0.0.1:$port" >"$dir/ddb-sync.log" 2>&1 &
sup=$!
tail -n +1 -f "$dir/ddb-sync.log" &
tailer=$!

# A writer changes the source while the backfill runs and after: puts,
# updates and deletes over loaded keys and new ones. The stream carries
# every change over; those older than the backfill's start are skipped.
until_ok 60 "the backfill to start" grep -q "Backfill starting" "$dir/ddb-sync.log"
tool mutate demo-source "$changes" --keys "$((n + n / 4))" --prefix item- \
    --seed 7 &
writer=$!
until_ok 90 "the stream phase" grep -q "Streaming started" "$dir/ddb-sync.log"
wait "$writer"
writer=""
caught_up() {
	build/ddb-sync ctl --state-dir "$dir/state" status >"$dir/status.json" &&
	    grep -q '"stream_caught_up":true' "$dir/status.json"
}
until_ok 60 "the stream to catch up" caught_up
sleep 1	# one more status snapshot, caught up
kill "$tailer" 2>/dev/null || true
tailer=""

say "ddb-sync ctl list"
build/ddb-sync ctl --state-dir "$dir/state" list

say "GET $metrics (a few of its series)"
get "$metrics" >"$dir/metrics.txt"
grep -E '^ddb_sync_(items_written_total|written_bytes_total|stream_records_(read|applied)_total|stream_latency_seconds|stream_caught_up|backfill_progress_ratio|workers_up|worker_restarts_total)[{ ]' \
    "$dir/metrics.txt" || true
echo "($(grep -c '^# TYPE' "$dir/metrics.txt") metric families in all; docs/metrics.md)"

say "stopping ddb-sync (SIGINT): the worker writes its checkpoint and exits"
kill -INT "$sup"
rc=0
wait "$sup" || rc=$?
sup=""
tail -n 4 "$dir/ddb-sync.log"
[ "$rc" -eq 0 ] || { echo "demo: ddb-sync exited $rc" >&2; exit 1; }

say "checking the copy with an independent reader"
tool compare demo-source demo-dest
