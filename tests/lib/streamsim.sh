# streamsim.sh: helpers of the scenarios that run on the Streams simulator
# (tests/node/streamsim.js), sourced after harness.sh.

# sim_stat EXPR: a JavaScript expression over the simulator's /__stats (j).
sim_stat() { sim_get /__stats >"$T/stats.json" && json "$T/stats.json" "$1"; }

# sim_converge SRC DST SECS: every write made so far is in the simulated
# stream, then wait until the independent reader finds DST equal to SRC.
sim_converge() {
	sim_post /__sync >/dev/null || fail "sync"
	_src=$1 _dst=$2
	_converged() { ddbtool compare "$_src" "$_dst" >"$T/cmp.log" 2>&1; }
	wait_for "$3" "$2 to converge to $1" _converged
}

# stop_ok PID LOG [LINES]: SIGINT ddb-sync, show its output (the last
# LINES), expect exit status 0.
stop_ok() {
	kill -INT "$1"
	wait "$1"
	_rc=$?
	if [ -n "${3:-}" ]; then tail -n "$3" "$2"; else cat "$2"; fi
	expect_eq "exit status after SIGINT" "$_rc" 0
}

# sim_tables [COUNT]: DynamoDB Local with src (a stream of new and old
# images) and dst, and COUNT (3000) items of about 100 bytes in src, keys
# k0, k1, ...
sim_tables() {
	ddbl_start
	ddbtool create-table src --hash pk:S --stream NEW_AND_OLD_IMAGES
	ddbtool create-table dst --hash pk:S
	"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src \
	    --count "${1:-3000}" --size 100 --prefix k 2>/dev/null ||
	    fail "load"
}

# sim_writer FIRST N KEYS [PAUSE]: changes N of KEYS keys of src (prefix k)
# a round, seeds FIRST+1, FIRST+2, ..., PAUSE (1) seconds apart, until
# $T/stop-writer exists; sets mut, its pid (tracked).
sim_writer() {
	(
		_i=$1
		while [ ! -e "$T/stop-writer" ]; do
			_i=$((_i + 1))
			ddbtool mutate src "$2" --keys "$3" --prefix k \
			    --seed $_i >/dev/null || exit 1
			sleep "${4:-1}"
		done
	) &
	mut=$!
	track $mut
}
