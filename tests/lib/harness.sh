# harness.sh: sourced by every scenario in tests/scenarios/. Gives each
# scenario a private temp dir, AWS's documented example credentials, no
# route to anything but loopback, helpers to start DynamoDB Local and to
# wait for conditions, and cleanup (servers stopped by pid) on any exit.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
BIN=$ROOT/$BUILD
NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/ddb-sync-$NAME.XXXXXX")
chmod 700 "$T"

# Only AWS's published example keys, and never a real endpoint.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
    AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB \
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS AWS_ENDPOINT_URL_STS AWS_CA_BUNDLE \
    AWS_DEFAULT_REGION DDB_SYNC_STATE_DIR STATE_DIRECTORY
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
# The SDK warns about Node versions on every start; tests need quiet.
export NODE_NO_WARNINGS=1
export AWS_SHARED_CREDENTIALS_FILE=$T/no-credentials
export AWS_CONFIG_FILE=$T/no-config

HARNESS_PIDS=""
DDBL_DIRS=""

harness_cleanup() {
	rc=$?
	for p in $HARNESS_PIDS; do
		kill "$p" 2>/dev/null
	done
	for d in $DDBL_DIRS; do
		"$ROOT/scripts/ddblocal.sh" stop "$d"
	done
	if [ "$rc" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "$NAME: files kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap harness_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s: %s\n' "$NAME" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$NAME" "$*" >&2; exit 1; }

# Remember a background pid so it is killed on exit.
track() { HARNESS_PIDS="$HARNESS_PIDS $1"; }

# ddbl_start [VAR]: start a fresh DynamoDB Local; sets ENDPOINT (or VAR).
ddbl_start() {
	var=${1:-ENDPOINT}
	d=$(mktemp -d "$T/ddbl.XXXXXX")
	DDBL_DIRS="$DDBL_DIRS $d"
	url=$("$ROOT/scripts/ddblocal.sh" start "$d") || fail "DynamoDB Local did not start"
	eval "$var=\$url"
	export "$var"
}

# ddbtool ARGS...: the independent client (AWS SDK for JavaScript).
ddbtool() {
	node "$ROOT/tests/node/ddbtool.js" --endpoint "$ENDPOINT" "$@"
}

# wait_for SECONDS DESCRIPTION CMD...: poll until CMD succeeds.
wait_for() {
	secs=$1
	what=$2
	shift 2
	end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out after ${secs}s waiting for $what"
		sleep 0.2
	done
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# node_server VAR WHAT SCRIPT ARG...: start a loopback test server of
# tests/node that writes its port to --port-file; sets VAR to its URL.
node_server() {
	var=$1
	what=$2
	script=$3
	shift 3
	pf=$(mktemp "$T/port.XXXXXX")
	rm -f "$pf"
	node "$ROOT/tests/node/$script" --port-file "$pf" "$@" &
	track $!
	wait_for 60 "$what" test -s "$pf"
	eval "$var=http://127.0.0.1:\$(cat \"\$pf\")"
	export "$var"
}

# proxy_start [RULES_FILE] [--verify-sigv4]: a counting, fault-injecting
# proxy in front of $ENDPOINT (tests/node/faultproxy.js); sets PROXY.
proxy_start() {
	rules=""
	if [ -n "${1:-}" ] && [ "$1" != "--verify-sigv4" ]; then
		rules="--rules $1"
		shift
	fi
	# shellcheck disable=SC2086
	node_server PROXY "the fault proxy" faultproxy.js \
	    --target "$ENDPOINT" $rules "$@"
}

# http_ctl METHOD URL [BODY]: a call to a test server's control interface;
# prints the answer, fails (with the answer on stderr) unless it is 2xx.
http_ctl() {
	node -e 'const u = new URL(process.argv[2]);
	    const q = require("http").request({host: u.hostname, port: u.port,
	    path: u.pathname + u.search, method: process.argv[1]}, (r) => {
	        let d = ""; r.on("data", (c) => d += c);
	        r.on("end", () => {
	            const ok = r.statusCode >= 200 && r.statusCode < 300;
	            (ok ? process.stdout : process.stderr).write(d);
	            process.exit(ok ? 0 : 1); }); });
	    q.on("error", (e) => { console.error(String(e)); process.exit(1); });
	    q.end(process.argv[3] || "")' "$@"
}

# proxy_get PATH: GET from the proxy's control interface (/__stats, ...).
proxy_get() { http_ctl GET "$PROXY$1"; }

# proxy_post PATH [BODY]
proxy_post() { http_ctl POST "$PROXY$1" "${2:-}" >/dev/null; }

# sim_start [OPTION...]: the DynamoDB Streams simulator in front of
# $ENDPOINT, or of the URL of a --target option (tests/node/streamsim.js;
# options and model in tests/README.md). It answers once the streams that
# exist are found; sets SIM, its URL for the table and the Streams calls.
sim_start() {
	node_server SIM "the Streams simulator" streamsim.js \
	    --target "$ENDPOINT" "$@"
}

# sim_get PATH: GET from the simulator's control interface (/__stats, ...).
sim_get() { http_ctl GET "$SIM$1"; }

# sim_post PATH [JSON]: e.g. sim_post /__config '{"skew_ms": 600000}';
# prints the answer.
sim_post() { http_ctl POST "$SIM$1" "${2:-}"; }

# json FILE EXPR: evaluate a JavaScript expression over the JSON in FILE
# (bound to j), e.g. json stats.json 'j.puts'.
json() {
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1],
	    "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"
}

# free_port: a loopback port nobody listens on (now).
free_port() {
	node -e 'const s = require("net").createServer();
	    s.listen(0, "127.0.0.1", () => { console.log(s.address().port);
	    s.close(); })'
}

# tls_certs: a CA and server certificates made for this run, in $T/tls
# (tests/lib/tlsfront.sh: good, wronghost, expired). Sets TLS_CA (the CA's
# PEM file, for AWS_CA_BUNDLE).
tls_certs() {
	"$ROOT/tests/lib/tlsfront.sh" certs "$T/tls" || fail "TLS certificates"
	TLS_CA=$T/tls/ca.pem
}

# tls_front_start CERT [VAR]: a TLS front (Debian's stunnel4) serving the
# certificate CERT of tls_certs in front of $ENDPOINT. Sets VAR (default
# TLS_URL) to https://localhost:PORT and VAR_LOG to its log, where every
# connection (one TLS handshake each) is a line "accepted connection"
# (stunnel's level 5); count them with tls_handshakes.
tls_front_start() {
	var=${2:-TLS_URL}
	tls_certs
	out=$("$ROOT/tests/lib/tlsfront.sh" start "$T/tls" "$1" \
	    "${ENDPOINT#http://}") || fail "the TLS front ($1) did not start"
	set -- $out
	track "$3"
	eval "$var=\$1"
	eval "${var}_LOG=\$2"
	export "$var"
}

# tls_handshakes LOG: connections (handshakes) the TLS front accepted
# since it was started.
tls_handshakes() {
	echo $(($(grep -c "accepted connection" "$1") - $(cat "$1.base")))
}
