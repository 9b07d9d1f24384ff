#!/bin/sh
# fuzz: every libFuzzer target (tests/fuzz/) builds and runs clean for a
# short while from its seed corpus: no crash, leak, UB or broken invariant.
# Skipped (77) where clang or libFuzzer (libclang-rt-14-dev) is missing.
# FUZZ_SECONDS sets the time per target (default 5 here).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found"
	exit 77
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-5} exec "$ROOT/tests/fuzz/run.sh"
