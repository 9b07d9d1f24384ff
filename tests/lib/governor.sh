# governor.sh: helpers of the capacity governor scenarios (sourced after
# harness.sh, with a fault proxy started: $PROXY).

# gov_ceiling SRC DST: copy SRC into DST through the proxy without a limit
# and set CEIL to the most WCU/s DynamoDB Local took in one second, and
# WCU to the total: what this machine can do now. The proxy's counters are
# zeroed afterwards.
gov_ceiling() {
	cat >"$T/ceil.yml" <<PLAN
plan:
  - name: ceiling
    input: {table: $1, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: $2, endpoint_url: "$PROXY"}
    stream: {disabled: true}
PLAN
	"$BIN/ddb-sync" --config-file "$T/ceil.yml" --state-dir "$T/ceil-state" \
	    --status off >"$T/ceil.log" 2>&1 || fail "unlimited copy failed"
	proxy_get /__stats >"$T/ceil.json"
	node "$ROOT/tests/node/capwindows.js" "$T/ceil.json" \
	    "BatchWriteItem:$2" 1 >"$T/ceil-w.json"
	CEIL=$(json "$T/ceil-w.json" 'Math.round(j.max === null ? j.total : j.max)')
	WCU=$(json "$T/ceil-w.json" 'Math.round(j.total)')
	log "unlimited: $WCU WCU, at most $CEIL WCU/s in a second"
	proxy_post /__reset
}

# gov_windows OUT TABLE WINDOW [capwindows options]: the proxy's counts of
# the writes to TABLE in windows of WINDOW seconds, into $T/OUT.json.
gov_windows() {
	out=$1
	shift
	proxy_get /__stats >"$T/stats.json"
	tbl=$1
	shift
	node "$ROOT/tests/node/capwindows.js" "$T/stats.json" \
	    "BatchWriteItem:$tbl" "$@" >"$T/$out.json"
	log "$out: $(json "$T/$out.json" '"" + j.windows + " windows, min " +
	    j.min + ", max " + j.max + "; per second: " + j.series.join(" ")')"
}

# gov_check OUT EXPR: EXPR (j is OUT's windows) holds, or fail saying WHY.
gov_check() {
	json "$T/$1.json" "$2" | grep -q true || fail "$3"
}

# gov_written TABLE: the proxy has counted capacity written to TABLE.
gov_written() {
	proxy_get /__stats >"$T/s0.json" &&
	    json "$T/s0.json" "(j.consumed['BatchWriteItem:$1'] ? 1 : 0)" |
	    grep -q 1
}
