#!/bin/sh
# run.sh: build every libFuzzer target (tests/fuzz/fuzz_*.c) against the
# project's own sources with clang -fsanitize=fuzzer,address,undefined into
# build-fuzz/, then fuzz each in turn for a bounded time, starting from the
# seeds in tests/fuzz/corpus/NAME (read-only; what the fuzzer finds goes to
# build-fuzz/corpus/NAME).
#
#   tests/fuzz/run.sh [NAME...]       NAME: plan, proto, ... (default: all)
#   tests/fuzz/run.sh --build-only
#   tests/fuzz/run.sh --merge [NAME...]  no fuzzing: add to the seeds a
#                       small set of inputs of build-fuzz/corpus/NAME that
#                       covers the edges they add
#
# Environment: FUZZ_SECONDS (per target, default 10), CLANG (clang),
# FUZZ_BUILD (build-fuzz), FUZZ_JOBS (parallel compiles, 2), FUZZ_ARGS
# (more libFuzzer options). Exit 0 if every target ran clean; 1 on a crash,
# leak, timeout, out-of-memory or build failure (the reproducer is named);
# 77 if clang with libFuzzer is not available. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1

CLANG=${CLANG:-clang}
OUT=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-10}
JOBS=${FUZZ_JOBS:-2}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

build_only=0
merge=0
while [ $# -gt 0 ]; do
	case $1 in
	--build-only) build_only=1 ;;
	--merge) merge=1 ;;
	-*) echo "usage: $0 [--build-only|--merge] [name...]" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c$|\1|')
fi

mkdir -p "$OUT" || exit 1

# clang, its sanitizers and libFuzzer (libclang-rt-14-dev on Debian 12).
probe="$OUT/.probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$probe.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" \
    >"$probe.log" 2>&1; then
	echo "fuzz: $CLANG cannot build libFuzzer targets (install clang and" \
	    "libclang-rt-14-dev):"
	sed 's/^/  /' "$probe.log" | head -n 5
	exit 77
fi
rm -f "$probe" "$probe.c" "$probe.log"

# The Makefile's flags and include paths, plus instrumentation.
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
WARN="-Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wformat=2 \
-Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations -Wvla \
-Wundef -Wno-unused-parameter"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -DDDB_SYNC_VERSION=\"$VERSION\" \
-fno-strict-aliasing $WARN $SAN"
WORKER_PKGS="libcurl openssl libcjson zlib"
pc_common=$($PKG_CONFIG --cflags libcjson yaml-0.1) || exit 1
pc_proto=$($PKG_CONFIG --cflags libcjson) || exit 1
pc_worker=$($PKG_CONFIG --cflags $WORKER_PKGS) || exit 1
pc_all=$($PKG_CONFIG --cflags $WORKER_PKGS yaml-0.1) || exit 1
LIBS="$($PKG_CONFIG --libs $WORKER_PKGS yaml-0.1) -lm" || exit 1

# A change of compiler or flags rebuilds everything.
stamp="$CLANG $CFLAGS $pc_all $LIBS"
if [ "$(cat "$OUT/.flags" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$OUT/obj" "$OUT/libfuzzsrc.a"
	printf '%s\n' "$stamp" >"$OUT/.flags"
fi

# An object is stale if its source or any header is newer.
stale() {
	[ ! -f "$2" ] || [ "$1" -nt "$2" ] ||
	    [ -n "$(find common proto worker tests/fuzz -name '*.h' \
	    -newer "$2" 2>/dev/null | head -n 1)" ]
}

# Compile in batches of $JOBS; failures are collected in $OUT/obj/failed.
srcs=$(ls common/*.c proto/*.c worker/*.c | grep -v '^worker/main\.c$')
mkdir -p "$OUT/obj/common" "$OUT/obj/proto" "$OUT/obj/worker"
rm -f "$OUT/obj/failed"
changed=0
n=0
for src in $srcs; do
	obj="$OUT/obj/${src%.c}.o"
	stale "$src" "$obj" || continue
	case $src in
	common/*) inc="-Icommon $pc_common" ;;
	proto/*) inc="-Icommon -Iproto $pc_proto" ;;
	*) inc="-Icommon -Iproto -Iworker $pc_worker" ;;
	esac
	changed=1
	(
		# shellcheck disable=SC2086
		"$CLANG" $CFLAGS -fsanitize=fuzzer-no-link $inc -c -o "$obj" \
		    "$src" 2>"$obj.log" || echo "$src" >>"$OUT/obj/failed"
	) &
	n=$((n + 1))
	if [ "$n" -ge "$JOBS" ]; then
		wait
		n=0
	fi
done
wait
if [ -f "$OUT/obj/failed" ]; then
	for src in $(cat "$OUT/obj/failed"); do
		echo "fuzz: cannot compile $src:"
		cat "$OUT/obj/${src%.c}.o.log"
	done
	exit 1
fi
if [ "$changed" -eq 1 ] || [ ! -f "$OUT/libfuzzsrc.a" ]; then
	rm -f "$OUT/libfuzzsrc.a"
	# shellcheck disable=SC2046
	ar rcs "$OUT/libfuzzsrc.a" $(for s in $srcs; do
	    echo "$OUT/obj/${s%.c}.o"; done) || exit 1
fi

for name in $names; do
	src="tests/fuzz/fuzz_$name.c"
	bin="$OUT/fuzz_$name"
	if [ ! -f "$src" ]; then
		echo "fuzz: no target $src"
		exit 2
	fi
	if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ] ||
	    [ "$OUT/libfuzzsrc.a" -nt "$bin" ] ||
	    [ "tests/fuzz/fuzz.h" -nt "$bin" ]; then
		# shellcheck disable=SC2086
		if ! "$CLANG" $CFLAGS -fsanitize=fuzzer -Icommon -Iproto \
		    -Iworker -Itests/fuzz $pc_all -o "$bin" "$src" \
		    "$OUT/libfuzzsrc.a" $LIBS; then
			echo "fuzz: cannot build $bin"
			exit 1
		fi
	fi
done
[ "$build_only" -eq 1 ] && exit 0

: "${UBSAN_OPTIONS:=print_stacktrace=1}"
export UBSAN_OPTIONS

if [ "$merge" -eq 1 ]; then
	rc=0
	for name in $names; do
		mkdir -p "$OUT/logs" "tests/fuzz/corpus/$name"
		before=$(ls "tests/fuzz/corpus/$name" | wc -l)
		# Edges, not hit counts, and a greedy set cover: the same edge
		# coverage as -merge=1 from about a tenth of the files.
		# shellcheck disable=SC2086
		if ! "$OUT/fuzz_$name" -set_cover_merge=1 -use_counters=0 \
		    -rss_limit_mb=2048 -timeout=5 \
		    ${FUZZ_ARGS:-} "tests/fuzz/corpus/$name" "$OUT/corpus/$name" \
		    >"$OUT/logs/$name.merge.log" 2>&1; then
			echo "fuzz_$name: merge failed, see $OUT/logs/$name.merge.log"
			rc=1
			continue
		fi
		after=$(ls "tests/fuzz/corpus/$name" | wc -l)
		echo "fuzz_$name: $((after - before)) inputs added to" \
		    "tests/fuzz/corpus/$name"
	done
	exit "$rc"
fi

passed=0
failed=0
for name in $names; do
	bin="$OUT/fuzz_$name"
	seeds="tests/fuzz/corpus/$name"
	work="$OUT/corpus/$name"
	art="$OUT/artifacts/$name"
	log="$OUT/logs/$name.log"
	mkdir -p "$work" "$art" "$OUT/logs" "$seeds"
	# -error_exitcode: libFuzzer's default, 77, means "skipped" to the suite.
	opts="-max_total_time=$SECS -rss_limit_mb=2048 -timeout=5 -error_exitcode=1"
	opts="$opts -print_final_stats=1 -artifact_prefix=$art/"
	[ -f "tests/fuzz/$name.dict" ] && opts="$opts -dict=tests/fuzz/$name.dict"
	# Long enough for a line or a plan at its limits where that matters.
	case $name in
	proto | proto_reader) opts="$opts -max_len=20000" ;;
	esac
	# shellcheck disable=SC2086
	"$bin" $opts ${FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	units=$(find "$work" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz_%s: ok, %s runs in %ss, work corpus %s inputs\n' "$name" \
		    "${execs:-?}" "$SECS" "$units"
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'fuzz_%s: FAILED (exit %s)\n' "$name" "$rc"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error)' \
		    "$log" | head -n 5 | sed 's/^/  /'
		repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
		    tail -n 1)
		if [ -n "$repro" ]; then
			echo "  reproducer: $repro"
			echo "  rerun: $bin $repro"
		fi
		echo "  log: $log"
		continue
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
