#!/bin/sh
# ddblocal.sh: fetch, start and stop DynamoDB Local (AWS's emulator) for the
# demo and the tests. The jar ships inside the npm package
# amplify-dynamodb-simulator; it is cached outside the repository and checked
# against pinned sha256 sums.
#
#   ddblocal.sh fetch              download + verify into the cache (idempotent)
#   ddblocal.sh start DIR          start in memory on a free loopback port;
#                                  writes DIR/port, DIR/pid, DIR/log; prints
#                                  the endpoint URL once it answers
#   ddblocal.sh stop DIR           stop the instance started in DIR
#   ddblocal.sh path               print the cached emulator directory
# DDBL_SHARED_DB=1: one database for every access key and region (tests
# whose credentials rotate); DDBL_HEAP: the JVM's heap (default 1g).
set -eu

PKG=amplify-dynamodb-simulator
VER=2.9.30
TGZ_SHA256=3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
JAR_SHA256=454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7
CACHE=${DDB_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ddb-sync}
EMU=$CACHE/dynamodb-local-$VER

die() { echo "ddblocal: $*" >&2; exit 1; }

fetch() {
	if [ -f "$EMU/.verified" ]; then
		return 0
	fi
	command -v npm >/dev/null || die "npm is needed to fetch DynamoDB Local"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "ddblocal: fetching $PKG@$VER (npm pack, ~56 MB)" >&2
	(cd "$tmp" && npm pack --silent "$PKG@$VER" >/dev/null 2>&1) ||
	    die "npm pack $PKG@$VER failed"
	got=$(sha256sum "$tmp/$PKG-$VER.tgz" | cut -d' ' -f1)
	[ "$got" = "$TGZ_SHA256" ] ||
	    die "sha256 mismatch for $PKG-$VER.tgz: got $got"
	tar -xzf "$tmp/$PKG-$VER.tgz" -C "$tmp" package/emulator
	got=$(sha256sum "$tmp/package/emulator/DynamoDBLocal.jar" | cut -d' ' -f1)
	[ "$got" = "$JAR_SHA256" ] || die "sha256 mismatch for DynamoDBLocal.jar"
	rm -rf "$EMU"
	mv "$tmp/package/emulator" "$EMU"
	touch "$EMU/.verified"
	rm -rf "$tmp"
	trap - EXIT
	echo "ddblocal: cached in $EMU" >&2
}

free_port() {
	node -e 'const s=require("net").createServer();
	    s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'
}

# Succeeds once the server answers a DynamoDB request on port $1.
answers() {
	node -e '
	const req = require("http").request({host: "127.0.0.1", port: '"$1"',
	    method: "POST", path: "/", timeout: 1000, headers: {
	    "Content-Type": "application/x-amz-json-1.0",
	    "X-Amz-Target": "DynamoDB_20120810.ListTables",
	    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
	    "X-Amz-Date": "20150830T123600Z"}}, (res) => {
	        process.exit(res.statusCode === 200 ? 0 : 1); });
	req.on("error", () => process.exit(1));
	req.on("timeout", () => { req.destroy(); process.exit(1); });
	req.end("{}");' 2>/dev/null
}

start() {
	dir=$1
	fetch
	command -v java >/dev/null || die "java is needed (run scripts/setup.sh)"
	mkdir -p "$dir"
	for try in 1 2 3; do
		port=$(free_port)
		# -disableTelemetry: no traffic leaves the machine.
		(cd "$EMU" && exec java -Xms64m -Xmx${DDBL_HEAP:-1g} \
		    -Djava.library.path=./DynamoDBLocal_lib \
		    -jar DynamoDBLocal.jar -inMemory -disableTelemetry \
		    ${DDBL_SHARED_DB:+-sharedDb} -port "$port") >"$dir/log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/pid"
		echo "$port" >"$dir/port"
		i=0
		while [ $i -lt 300 ]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if answers "$port"; then
				echo "http://127.0.0.1:$port"
				return 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "ddblocal: start on port $port failed (try $try)" >&2
	done
	cat "$dir/log" >&2
	die "DynamoDB Local did not start"
}

stop() {
	dir=$1
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	if kill "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/pid"
}

case "${1:-}" in
fetch) fetch ;;
start) [ $# -eq 2 ] || die "usage: ddblocal.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: ddblocal.sh stop DIR"; stop "$2" ;;
path) echo "$EMU" ;;
*) die "usage: ddblocal.sh fetch|start DIR|stop DIR|path" ;;
esac
