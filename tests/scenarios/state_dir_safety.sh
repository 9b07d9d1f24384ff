#!/bin/sh
# state_dir_safety: a state directory, or its pairs/ directory, that another
# user owns or that group or others may write is refused (exit 2, the
# directory and the fix named, nothing written); pairs/ may not be a link.
# Links planted where state files go are never followed: worker.log (the
# pair runs, its lines stay in the main log, the link's target is
# untouched), checkpoint.json and the pair's lock (refused, untouched).
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 300 \
    2>/dev/null || fail "load"

run() {
	"$BIN/ddb-sync" --input-table src --output-table dst --stream=false \
	    --input-endpoint-url "$ENDPOINT" --output-endpoint-url "$ENDPOINT" \
	    --state-dir "$1" --status=off
}

n=0
# refused WANT: ddb-sync on $T/s$n exits 2 saying WANT and writes nothing.
refused() {
	rc=0
	run "$T/s$n" >"$T/o$n.log" 2>&1 || rc=$?
	cat "$T/o$n.log"
	expect_eq "exit status, case $n" "$rc" 2
	grep -q "$1" "$T/o$n.log" || fail "case $n: no '$1' in the output"
	[ -e "$T/s$n/supervisor.lock" ] && fail "case $n: it wrote a lock anyway"
	grep -q "Backfill starting" "$T/o$n.log" && fail "case $n: it started"
	return 0
}
fresh() {
	n=$((n + 1))
	mkdir -p "$T/s$n/pairs"
	chmod 700 "$T/s$n" "$T/s$n/pairs"
}

fresh
chmod 770 "$T/s$n"
refused "state directory refused: $T/s$n is writable by its group (mode 0770).*chmod 700"
fresh
chmod 777 "$T/s$n/pairs"
refused "$T/s$n/pairs is writable by everyone"
fresh
rmdir "$T/s$n/pairs"
mkdir "$T/elsewhere"
chmod 700 "$T/elsewhere"
ln -s "$T/elsewhere" "$T/s$n/pairs"
refused "$T/s$n/pairs is a symbolic link"
if [ "$(id -u)" -eq 0 ]; then
	fresh
	chown 65534 "$T/s$n/pairs"
	refused "$T/s$n/pairs is owned by uid 65534, not by this user"
	fresh
	chown 65534 "$T/s$n"
	refused "$T/s$n is owned by uid 65534"
else
	log "not root: the other-owner cases are left to the unit test"
fi
# The worker alone checks the same.
fresh
chmod 775 "$T/s$n/pairs"
"$BIN/ddb-sync-worker" --state-dir "$T/s$n" --input-table src \
    --output-table dst --input-endpoint-url "$ENDPOINT" \
    --output-endpoint-url "$ENDPOINT" --stream=false >"$T/w.log" 2>&1
expect_eq "worker exit status on an unsafe pairs/" "$?" 2
grep -q "writable by its group" "$T/w.log" || fail "worker: $(cat "$T/w.log")"

# A state directory that is itself a link to a safe directory is fine.
mkdir "$T/real"
chmod 700 "$T/real"
ln -s "$T/real" "$T/linked"
run "$T/linked" >"$T/linked.log" 2>&1 || fail "linked state dir: $(cat "$T/linked.log")"

# worker.log planted as a link: not followed; the pair still runs.
fresh
mkdir -p "$T/s$n/pairs/src"
chmod 700 "$T/s$n/pairs/src"
echo "precious" >"$T/target"
ln -s "$T/target" "$T/s$n/pairs/src/worker.log"
run "$T/s$n" >"$T/o$n.log" 2>&1 || fail "with a planted worker.log: $(cat "$T/o$n.log")"
expect_eq "the link's target" "$(cat "$T/target")" "precious"
grep -q "worker.log is a symbolic link: refused" "$T/o$n.log" ||
    fail "the planted link was not reported"
grep -q "Backfill complete. 300 items written" "$T/o$n.log" ||
    fail "the pair's lines did not reach the main log"
ddbtool compare src dst || fail "destination differs"

# checkpoint.json and the lock planted as links: refused, left alone.
cp "$T/target" "$T/ck-target"
# planted FILE WANT: FILE of the pair is a link; ddb-sync exits 2 saying
# WANT and the link's target is untouched.
planted() {
	fresh
	mkdir -p "$T/s$n/pairs/src"
	chmod 700 "$T/s$n/pairs/src"
	ln -s "$T/ck-target" "$T/s$n/pairs/src/$1"
	run "$T/s$n" >"$T/o$n.log" 2>&1
	expect_eq "exit status with a linked $1" "$?" 2
	grep -q "$2" "$T/o$n.log" || fail "linked $1: $(cat "$T/o$n.log")"
	expect_eq "the $1 link's target" "$(cat "$T/ck-target")" "precious"
}
planted checkpoint.json "cannot read checkpoint .*checkpoint.json"
planted lock "pairs/src/lock"
