#!/bin/sh
# tlsfront.sh: a TLS front for tests and benchmarks: certificates made at
# run time with openssl, and Debian's stunnel4 serving one of them in front
# of a plain-http endpoint (DynamoDB Local, a fake).
#
#   tlsfront.sh certs DIR
#       DIR/ca.pem (the CA, for AWS_CA_BUNDLE) and, signed by it, the
#       server certificates good (localhost, 127.0.0.1), wronghost
#       (wrong.example only) and expired (localhost, 127.0.0.1, valid for
#       one day in 2020): DIR/NAME.pem and DIR/NAME.key. Does nothing if
#       DIR/ca.pem exists.
#   tlsfront.sh start DIR CERT HOST:PORT
#       stunnel in the background with DIR/CERT.pem, accepting on a free
#       loopback port and forwarding to HOST:PORT; once it accepts
#       connections prints "URL LOG PID": https://localhost:PORT, its log
#       (one "accepted connection" line per connection, each one TLS
#       handshake; the readiness probe's line is already there, counted in
#       LOG.base) and its pid, for the caller to stop.
set -u

die() { echo "tlsfront: $*" >&2; exit 1; }

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
	    -out "$1" 2>/dev/null || die "cannot make a key"
}

# cert NAME CN SAN START END: a server certificate signed by the CA.
cert() {
	key "$d/$1.key"
	openssl req -new -key "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$2" \
	    2>"$d/$1.err" || die "certificate $1: $(cat "$d/$1.err")"
	printf 'subjectAltName = %s\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n' \
	    "$3" >"$d/$1.ext"
	# openssl ca takes any start and end date: an expired certificate
	# needs no fake clock.
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/ca.pem" \
	    -keyfile "$d/ca.key" -in "$d/$1.csr" -out "$d/$1.pem" \
	    -startdate "$4" -enddate "$5" -extfile "$d/$1.ext" \
	    >"$d/$1.err" 2>&1 || die "certificate $1: $(cat "$d/$1.err")"
}

certs() {
	d=$1
	[ -s "$d/ca.pem" ] && return 0
	command -v openssl >/dev/null 2>&1 || die "openssl is not installed"
	mkdir -p "$d/new" || die "cannot create $d"
	: >"$d/index.txt"
	echo 01 >"$d/serial"
	cat >"$d/ca.cnf" <<C
[ ca ]
default_ca = tca
[ tca ]
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
default_md = sha256
policy = pol
unique_subject = no
[ pol ]
commonName = supplied
C
	key "$d/ca.key"
	openssl req -x509 -new -key "$d/ca.key" -out "$d/ca.pem.tmp" -days 3 \
	    -subj "/CN=ddb-sync test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>"$d/ca.err" ||
	    die "cannot make the CA: $(cat "$d/ca.err")"
	mv "$d/ca.pem.tmp" "$d/ca.pem"
	from=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)
	to=$(date -u -d '+2 days' +%Y%m%d%H%M%SZ)
	cert good localhost "DNS:localhost,IP:127.0.0.1" "$from" "$to"
	cert wronghost wrong.example "DNS:wrong.example" "$from" "$to"
	cert expired localhost "DNS:localhost,IP:127.0.0.1" \
	    20200101000000Z 20200102000000Z
}

free_port() {
	node -e 'const s = require("net").createServer();
	    s.listen(0, "127.0.0.1", () => { console.log(s.address().port);
	    s.close(); })'
}

# until SECONDS CMD...: poll CMD, or give up.
until_ok() {
	end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

start() {
	d=$1
	[ -s "$d/$2.pem" ] || die "no certificate $2 in $d (tlsfront.sh certs)"
	command -v stunnel4 >/dev/null 2>&1 ||
	    die "stunnel4 is not installed (scripts/setup.sh installs it)"
	port=$(free_port)
	s=$(mktemp -d "$d/stunnel.XXXXXX")
	cat >"$s/conf" <<S
foreground = yes
pid =
output = $s/log
debug = 5
[front]
accept = 127.0.0.1:$port
connect = $3
cert = $d/$2.pem
key = $d/$2.key
S
	stunnel4 "$s/conf" >"$s/out" 2>&1 </dev/null &
	pid=$!
	until_ok 30 grep -q "Configuration successful" "$s/log" ||
	    { kill $pid 2>/dev/null; die "stunnel did not start: $(cat "$s/out" "$s/log")"; }
	until_ok 30 node -e '
	    const c = require("net").connect(+process.argv[1], "127.0.0.1");
	    c.on("connect", () => process.exit(0));
	    c.on("error", () => process.exit(1))' "$port" ||
	    { kill $pid 2>/dev/null; die "stunnel does not accept on $port"; }
	# That probe was a connection too: the count starts after it.
	until_ok 10 grep -q "accepted connection" "$s/log" ||
	    { kill $pid 2>/dev/null; die "stunnel logs no connections"; }
	grep -c "accepted connection" "$s/log" >"$s/log.base"
	echo "https://localhost:$port $s/log $pid"
}

case "${1:-}" in
certs)	[ $# -eq 2 ] || die "usage: tlsfront.sh certs DIR"
	certs "$2" ;;
start)	[ $# -eq 4 ] || die "usage: tlsfront.sh start DIR CERT HOST:PORT"
	start "$2" "$3" "$4" ;;
*)	die "usage: tlsfront.sh certs DIR | start DIR CERT HOST:PORT" ;;
esac
