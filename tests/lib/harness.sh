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

# proxy_start [RULES_FILE] [--verify-sigv4]: a counting, fault-injecting
# proxy in front of $ENDPOINT (tests/node/faultproxy.js); sets PROXY.
proxy_start() {
	pf=$(mktemp "$T/proxy.XXXXXX")
	rm -f "$pf"
	rules=""
	if [ -n "${1:-}" ] && [ "$1" != "--verify-sigv4" ]; then
		rules="--rules $1"
		shift
	fi
	# shellcheck disable=SC2086
	node "$ROOT/tests/node/faultproxy.js" --target "$ENDPOINT" \
	    --port-file "$pf" $rules "$@" &
	track $!
	wait_for 10 "the fault proxy" test -s "$pf"
	PROXY="http://127.0.0.1:$(cat "$pf")"
	export PROXY
}

# proxy_get PATH: GET from the proxy's control interface (/__stats, ...).
proxy_get() {
	node -e 'require("http").get(process.argv[1], (r) => {
	    let d = ""; r.on("data", (c) => d += c);
	    r.on("end", () => process.stdout.write(d)); })' "$PROXY$1"
}

# proxy_post PATH [BODY]
proxy_post() {
	node -e 'const u = new URL(process.argv[1]);
	    const q = require("http").request({host: u.hostname, port: u.port,
	    path: u.pathname, method: "POST"}, (r) => r.resume());
	    q.end(process.argv[2] || "")' "$PROXY$1" "${2:-}"
}

# json FILE EXPR: evaluate a JavaScript expression over the JSON in FILE
# (bound to j), e.g. json stats.json 'j.puts'.
json() {
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1],
	    "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"
}

# free_port: a loopback port nobody listens on (for servers that cannot
# report the one they were given).
free_port() {
	node -e 'const s = require("net").createServer();
	    s.listen(0, "127.0.0.1", () => { console.log(s.address().port);
	    s.close(); })'
}

# tls_certs: a CA and server certificates made for this run, in $T/tls:
# good (localhost, 127.0.0.1), wronghost (wrong.example only), expired
# (localhost, 127.0.0.1, valid for one day in 2020). Sets TLS_CA (the CA's
# PEM file, for AWS_CA_BUNDLE). Once per scenario.
tls_certs() {
	[ -n "${TLS_CA:-}" ] && return 0
	command -v openssl >/dev/null 2>&1 || fail "openssl is not installed"
	td=$T/tls
	mkdir -p "$td/new"
	: >"$td/index.txt"
	echo 01 >"$td/serial"
	cat >"$td/ca.cnf" <<C
[ ca ]
default_ca = tca
[ tca ]
database = $td/index.txt
new_certs_dir = $td/new
serial = $td/serial
default_md = sha256
policy = pol
unique_subject = no
[ pol ]
commonName = supplied
C
	tls_key "$td/ca.key"
	openssl req -x509 -new -key "$td/ca.key" -out "$td/ca.pem" -days 3 \
	    -subj "/CN=ddb-sync test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>"$td/ca.err" ||
	    fail "cannot make the test CA: $(cat "$td/ca.err")"
	# openssl ca takes any start and end date: an expired certificate
	# needs no fake clock.
	from=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)
	to=$(date -u -d '+2 days' +%Y%m%d%H%M%SZ)
	tls_cert good localhost "DNS:localhost,IP:127.0.0.1" "$from" "$to"
	tls_cert wronghost wrong.example "DNS:wrong.example" "$from" "$to"
	tls_cert expired localhost "DNS:localhost,IP:127.0.0.1" \
	    20200101000000Z 20200102000000Z
	TLS_CA=$td/ca.pem
}

tls_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
	    -out "$1" 2>/dev/null || fail "cannot make a key"
}

# tls_cert NAME CN SAN START END: a server certificate signed by the CA.
tls_cert() {
	tls_key "$td/$1.key"
	openssl req -new -key "$td/$1.key" -out "$td/$1.csr" -subj "/CN=$2" \
	    2>"$td/$1.err" || fail "certificate $1: $(cat "$td/$1.err")"
	printf 'subjectAltName = %s\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n' \
	    "$3" >"$td/$1.ext"
	openssl ca -batch -notext -config "$td/ca.cnf" -cert "$td/ca.pem" \
	    -keyfile "$td/ca.key" -in "$td/$1.csr" -out "$td/$1.pem" \
	    -startdate "$4" -enddate "$5" -extfile "$td/$1.ext" \
	    >"$td/$1.err" 2>&1 || fail "certificate $1: $(cat "$td/$1.err")"
}

# tls_front_start CERT [VAR]: a TLS front (Debian's stunnel4) serving the
# certificate CERT of tls_certs in front of $ENDPOINT. Sets VAR (default
# TLS_URL) to https://localhost:PORT and VAR_LOG to its log, where every
# connection (one TLS handshake each) is a line "accepted connection"
# (stunnel's level 5); count them with tls_handshakes.
tls_front_start() {
	var=${2:-TLS_URL}
	command -v stunnel4 >/dev/null 2>&1 ||
	    fail "stunnel4 is not installed (scripts/setup.sh installs it)"
	tls_certs
	tport=$(free_port)
	tdir=$(mktemp -d "$T/stunnel.XXXXXX")
	cat >"$tdir/conf" <<S
foreground = yes
pid =
output = $tdir/log
debug = 5
[ddb]
accept = 127.0.0.1:$tport
connect = ${ENDPOINT#http://}
cert = $T/tls/$1.pem
key = $T/tls/$1.key
S
	stunnel4 "$tdir/conf" >"$tdir/out" 2>&1 &
	track $!
	wait_for 30 "the TLS front ($1)" grep -q "Configuration successful" \
	    "$tdir/log"
	wait_for 30 "the TLS front's port" node -e '
	    const c = require("net").connect(+process.argv[1], "127.0.0.1");
	    c.on("connect", () => process.exit(0));
	    c.on("error", () => process.exit(1))' "$tport"
	# That probe was a connection too: count from here.
	wait_for 10 "the probe in the TLS front's log" grep -q \
	    "accepted connection" "$tdir/log"
	grep -c "accepted connection" "$tdir/log" >"$tdir/log.base"
	eval "$var=https://localhost:$tport"
	eval "${var}_LOG=\$tdir/log"
	export "$var"
}

# tls_handshakes LOG: connections (handshakes) the TLS front accepted
# since it was started.
tls_handshakes() {
	echo $(($(grep -c "accepted connection" "$1") - $(cat "$1.base")))
}
