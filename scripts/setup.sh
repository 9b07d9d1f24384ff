#!/bin/sh
# setup.sh: install everything ddb-sync needs to build, test and run its demo
# on a fresh Debian machine (git, a compiler and Node are assumed): the
# Debian packages (a Java runtime too if `java` is missing), the test helpers'
# npm packages, and DynamoDB Local (cached outside the repository).
set -eu
cd "$(dirname "$0")/.."

# openssl and stunnel4: the scenarios' TLS front (tests/lib/harness.sh).
# prometheus (and its promtool) and curl: the metrics scenarios and the demo.
# clang-format: `make format-check` (CI).
PKGS="build-essential pkg-config libcurl4-openssl-dev libssl-dev libyaml-dev
    libcjson-dev libevent-dev zlib1g-dev libcmocka-dev tmux clang libclang-rt-14-dev
    clang-format openssl stunnel4 prometheus curl"

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null; then
	SUDO=sudo
else
	SUDO=
fi

missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if ! command -v java >/dev/null; then
	missing="$missing openjdk-17-jre-headless"
fi
if [ -n "$missing" ]; then
	echo "setup: installing Debian packages:$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    --no-install-recommends $missing
fi

# Test helpers (an independent DynamoDB reader built on AWS's SDK for JS).
if [ ! -d tests/node/node_modules ] ||
    [ tests/node/package-lock.json -nt tests/node/node_modules ]; then
	echo "setup: installing test helpers (npm ci in tests/node)"
	(cd tests/node && npm ci --silent --no-audit --no-fund)
	touch tests/node/node_modules
fi

scripts/ddblocal.sh fetch
echo "setup: done"
