# fleethosts.sh: helpers of the fleet scenarios (docs/fleet.md), sourced after
# harness.sh. A "host" is one supervisor with its own state directory; its
# stdout and stderr go to $T/hostN.out and $T/hostN.err, its pid is in
# HOSTN_PID. Several supervisors on one machine are several hosts: a host
# id is <hostname>:<supervisor pid>:<random>.

# Short lease timers, so that an expiry is seconds away: lease L, renew H,
# margin M, balancing round, and one AWS request's time limit (below M, so
# that a write in flight lands before the lease can expire). Not shorter:
# DynamoDB Local on a busy 2-core machine (or under ASan) answers nothing
# for seconds at times, and with L - M = 3.5 s healthy hosts lost every
# lease to their deadline in fleet_spread.
export DDB_SYNC_LEASE_MS=20000 DDB_SYNC_LEASE_RENEW_MS=2000
export DDB_SYNC_LEASE_MARGIN_MS=8000 DDB_SYNC_LEASE_ROUND_MS=1000
export DDB_SYNC_REQUEST_TIMEOUT_MS=5000

FLEET_TABLE=leases
FLEET_STOPPED=""

# A host left stopped by a failing scenario would never see the SIGTERM of
# the cleanup: continue it (and its workers) first.
fleet_cleanup() {
	_rc=$?
	[ -n "$FLEET_STOPPED" ] && kill -CONT $FLEET_STOPPED 2>/dev/null
	(exit $_rc)
	harness_cleanup
}
trap fleet_cleanup EXIT

# fleet_plan FILE DATA_ENDPOINT SEGMENTS PAGE PAIR...: a plan of the
# coordination table $FLEET_TABLE (on $ENDPOINT, straight) and one pair per
# PAIR: input table PAIR-src, output PAIR-dst, both through DATA_ENDPOINT
# (the fault proxy, to slow the copy down), no stream (the fleet copies
# the backfill only so far), few writes in flight (DynamoDB Local serves
# the data and the leases). The pair's name is PAIR.
fleet_plan() {
	_f=$1 _data=$2 _segs=$3 _page=$4
	shift 4
	cat >"$_f" <<P
coordination:
  table: $FLEET_TABLE
  region: us-east-1
  endpoint_url: "$ENDPOINT"
plan:
P
	for _p in "$@"; do
		cat >>"$_f" <<P
  - name: $_p
    input: {table: $_p-src, region: us-east-1, endpoint_url: "$_data"}
    output: {table: $_p-dst, endpoint_url: "$_data"}
    stream: {disabled: true}
    total_segments: $_segs
    page_size: $_page
    max_inflight: 4
P
	done
}

# fleet_create PLAN: the coordination table, created once for the fleet.
fleet_create() {
	"$BIN/ddb-sync" --config-file "$1" --state-dir "$T/create" \
	    --status=off --create-coordination-table >"$T/create.log" 2>&1 ||
	    fail "--create-coordination-table: $(cat "$T/create.log")"
}

# fleet_tables PAIR COUNT: PAIR-src with COUNT items of about 200 bytes,
# and an empty PAIR-dst.
fleet_tables() {
	ddbtool create-table "$1-src" --hash pk:S || fail "create $1-src"
	ddbtool create-table "$1-dst" --hash pk:S || fail "create $1-dst"
	"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table "$1-src" \
	    --count "$2" --size 200 2>>"$T/load.log" || fail "load $1-src"
}

# fleet_start N PLAN: start host N in the background; sets HOSTN_PID.
fleet_start() {
	"$BIN/ddb-sync" --config-file "$2" --state-dir "$T/host$1" \
	    --status=off >"$T/host$1.out" 2>"$T/host$1.err" &
	eval "HOST$1_PID=\$!"
	track $!
}

# fleet_pid N: host N's supervisor pid.
fleet_pid() { eval "echo \$HOST$1_PID"; }

# fleet_wait N: wait (at most 300 s) for host N; fails unless it exits 0.
fleet_wait() {
	wait_for 300 "host $1 to exit" fleet_gone "$(fleet_pid "$1")"
	wait "$(fleet_pid "$1")"
	_rc=$?
	[ "$_rc" -eq 0 ] || fail "host $1 exited $_rc: $(tail -n 30 "$T/host$1.out"; cat "$T/host$1.err")"
}

# fleet_tree PID: PID and its descendants (the lease keeper, the pairs'
# workers, which have process groups of their own), parents first.
fleet_tree() {
	echo "$1"
	for _c in $(pgrep -P "$1"); do
		fleet_tree "$_c"
	done
}

# fleet_stop N: SIGSTOP host N whole: the supervisor first (so that it
# starts nothing more), then everything under it. Sets FLEET_PROCS.
fleet_stop() {
	_sup=$(fleet_pid "$1")
	kill -STOP "$_sup" || fail "cannot stop host $1"
	FLEET_STOPPED="$FLEET_STOPPED $_sup"
	# Its workers are there (a pgrep that missed one would leave it
	# running, to stop cleanly when the supervisor dies).
	wait_for 10 "host $1's workers" pgrep -P "$_sup"
	FLEET_PROCS=$(fleet_tree "$_sup")
	for _p in $FLEET_PROCS; do
		kill -STOP "$_p" 2>/dev/null
		FLEET_STOPPED="$FLEET_STOPPED $_p"
	done
}

# fleet_kill N: kill -9 host N whole. Everything is stopped first: a
# worker whose supervisor dies gets SIGTERM (PR_SET_PDEATHSIG) and would
# give its leases back in order, which is not a host loss.
fleet_kill() {
	fleet_stop "$1"
	# shellcheck disable=SC2086
	kill -KILL $FLEET_PROCS 2>/dev/null
	wait "$(fleet_pid "$1")" 2>/dev/null
	for _p in $FLEET_PROCS; do
		wait_for 30 "process $_p of host $1 to die" fleet_gone "$_p"
	done
}

# fleet_gone PID: PID is dead (gone, or a zombie not yet reaped).
fleet_gone() {
	[ ! -e "/proc/$1/stat" ] ||
	    [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# fleet_cont N: SIGCONT what fleet_stop N stopped.
fleet_cont() {
	# shellcheck disable=SC2086
	kill -CONT $FLEET_PROCS 2>/dev/null
}

# fleet_has N TEXT: host N's output has a line with TEXT (grep -E).
fleet_has() { grep -Eq -- "$2" "$T/host$1.out"; }

# fleet_leases FILE...: the "Lease claimed/lost/released/done" lines of
# those hosts' outputs as "HOST EVENT PAIR SEGMENT REST", HOST being the
# file's name (host1, ...), EVENT claimed, lost, done, released or handed
# (released to another host). The pair is the one whose name (or input table PAIR-src)
# the line names; lines naming no pair of $FLEET_PAIRS are kept as pair "?".
fleet_leases() {
	awk -v pairs="$FLEET_PAIRS" '
	BEGIN { np = split(pairs, pv, " ") }
	/Lease (claimed|lost|released|done): segment#[0-9]+/ {
		h = FILENAME
		sub(/.*\//, "", h)
		sub(/\.out$/, "", h)
		match($0, /Lease (claimed|lost|released|done): segment#[0-9]+/)
		m = substr($0, RSTART, RLENGTH)
		ev = m
		sub(/^Lease /, "", ev)
		sub(/:.*/, "", ev)
		seg = m
		sub(/.*#/, "", seg)
		rest = substr($0, RSTART + RLENGTH)
		if (ev == "released" && rest ~ /^ to /)
			ev = "handed"
		pre = substr($0, 1, RSTART - 1)
		p = "?"
		for (i = 1; i <= np; i++)
			if (index(pre, "[" pv[i] "-src]") ||
			    index(pre, " " pv[i] ":") || index(pre, "[" pv[i] "]"))
				p = pv[i]
		print h, ev, p, seg, rest
	}' "$@"
}

# fleet_once LEASES PAIR SEGMENTS: each segment of PAIR was done once, on
# one host ("Lease done" lines of fleet_leases' output).
fleet_once() {
	_s=0
	while [ $_s -lt "$3" ]; do
		_n=$(grep -c "^[^ ]* done $2 $_s " "$1")
		[ "$_n" -eq 1 ] ||
		    fail "$2 segment#$_s done $_n times: $(grep " $2 $_s " "$1")"
		_s=$((_s + 1))
	done
}

# fleet_units FILE: the coordination table, as the independent client
# reads it (a full Scan), into FILE: one JSON item a line.
fleet_units() { ddbtool dump "$FLEET_TABLE" >"$1"; }

# fleet_equal PAIR SEGMENTS ITEMS: the independent reader finds PAIR-dst
# equal to PAIR-src, and the coordination table passes fleet_check_done;
# prints the pair's switches (claims) as the table counts them.
fleet_equal() {
	ddbtool compare "$1-src" "$1-dst" >&2 || fail "$1-dst differs"
	fleet_units "$T/units.json" || fail "cannot read $FLEET_TABLE"
	fleet_check_done "$T/units.json" "$1" "$2" "$3" ||
	    fail "coordination table for $1: see above"
}

# fleet_check_done DUMP PAIR SEGMENTS ITEMS: the pair item says SEGMENTS
# segments; there is one segment item for each of 0..SEGMENTS-1 and no
# other; each is done and owned by nobody; their items add up to ITEMS.
# Prints the sum of their switches (claims).
fleet_check_done() {
	node -e '
const [file, pair, segs, items] = process.argv.slice(1);
const rows = require("fs").readFileSync(file, "utf8").split("\n")
    .filter((l) => l).map((l) => JSON.parse(l))
    .filter((r) => r.pair && r.pair.S === pair);
const bad = [];
const p = rows.find((r) => r.unit.S === "#pair");
if (!p)
	bad.push("no #pair item");
else if (!p.total_segments || p.total_segments.N !== segs)
	bad.push("#pair total_segments " + JSON.stringify(p.total_segments));
const seen = new Set();
let sum = 0, switches = 0;
for (const r of rows) {
	if (!r.kind || r.kind.S !== "segment")
		continue;
	const u = r.unit.S, n = Number(r.segment && r.segment.N);
	if (u !== "segment#" + n || !(n >= 0 && n < Number(segs)))
		bad.push(u + ": segment " + JSON.stringify(r.segment));
	seen.add(n);
	if (!r.done || r.done.BOOL !== true)
		bad.push(u + " not done");
	if (r.owner)
		bad.push(u + " still owned by " + r.owner.S);
	sum += Number(r.items ? r.items.N : NaN);
	switches += Number(r.switches ? r.switches.N : 0);
}
if (seen.size !== Number(segs))
	bad.push(seen.size + " segment items, want " + segs);
if (sum !== Number(items))
	bad.push("segment items add up to " + sum + ", want " + items);
if (bad.length) {
	console.error(pair + ": " + bad.join("; "));
	process.exit(1);
}
console.log(switches);' "$@"
}

# fleet_owned DUMP PID MIN MAX: the segment units (PAIR segment#N) owned by
# the host whose supervisor has pid PID, not done, with MIN <= items < MAX
# checkpointed, one a line.
fleet_owned() {
	node -e '
const [file, pid, min, max] = process.argv.slice(1);
for (const l of require("fs").readFileSync(file, "utf8").split("\n")) {
	if (!l)
		continue;
	const r = JSON.parse(l);
	const items = r.items ? Number(r.items.N) : 0;
	if (r.kind && r.kind.S === "segment" && r.owner &&
	    r.owner.S.split(":").slice(-2)[0] === pid &&
	    !(r.done && r.done.BOOL) && items >= Number(min) &&
	    items < Number(max))
		console.log(r.pair.S + " " + r.unit.S);
}' "$@"
}

# fleet_held N FILE: the segments host N owns and has not done, from the
# table now, into FILE ("PAIR segment#K" lines).
fleet_held() {
	fleet_units "$T/units.json" &&
	    fleet_owned "$T/units.json" "$(fleet_pid "$1")" 0 999999999 >"$2"
}

# fleet_under_way N MAX: wait until host N owns a segment under way (its
# id holds the supervisor's pid) with 1 <= items < MAX checkpointed, and
# has logged its claim; those segments into $T/owned.
fleet_under_way() {
	_fleet_pid=$(fleet_pid "$1") _fleet_max=$2
	wait_for 240 "host $1 to own a segment under way" _fleet_under_way
	wait_for 60 "host $1's claim line" fleet_has "$1" \
	    "Lease claimed: segment#"
}
_fleet_under_way() {
	fleet_units "$T/units.json" &&
	    fleet_owned "$T/units.json" "$_fleet_pid" 1 "$_fleet_max" \
	    >"$T/owned" && [ -s "$T/owned" ]
}
