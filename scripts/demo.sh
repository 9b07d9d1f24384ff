#!/bin/sh
# demo.sh: the README's one-command demo. Starts DynamoDB Local on a free
# loopback port, creates and fills a source table, copies it with ddb-sync,
# and checks the copy with an independent reader (AWS's SDK for JavaScript).
# DEMO_ITEMS (default 20000) sets the table size.
set -eu
cd "$(dirname "$0")/.."
[ -x build/ddb-sync ] && [ -x build/ddb-sync-worker ] || make

dir=$(mktemp -d "${TMPDIR:-/tmp}/ddb-sync-demo.XXXXXX")
cleanup() {
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

echo "demo: starting DynamoDB Local"
url=$(scripts/ddblocal.sh start "$dir/ddbl")
echo "demo: DynamoDB Local at $url"
tool() { node tests/node/ddbtool.js --endpoint "$url" "$@"; }
tool create-table demo-source --hash pk:S
tool create-table demo-dest --hash pk:S
n=${DEMO_ITEMS:-20000}
echo "demo: writing $n items with every attribute type into demo-source"
build/ddb-sync-load --endpoint-url "$url" --table demo-source --count "$n" \
    --size 600
echo "demo: copying demo-source -> demo-dest with ddb-sync"
build/ddb-sync --input-table demo-source --output-table demo-dest \
    --input-endpoint-url "$url" --output-endpoint-url "$url" \
    --stream=false --state-dir "$dir/state"
echo "demo: checking the copy with an independent reader"
tool compare demo-source demo-dest
