#!/bin/sh
# faults_backoff: retries back off, asserted from the times requests reach
# the proxy: every wait stays under its capped exponential ceiling, the
# waits are jittered (not all alike), and the whole is no hot loop.
. "$(dirname "$0")/../lib/harness.sh"

ddbl_start
cat >"$T/rules.json" <<'R'
[{"target": "DescribeTable", "fault": "throttle", "count": 10}]
R
proxy_start "$T/rules.json"
ddbtool create-table src --hash pk:S
ddbtool create-table dst --hash pk:S
"$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" --table src --count 100 2>/dev/null

export DDB_SYNC_THROTTLE_BASE_MS=100 DDB_SYNC_RETRY_CAP_MS=400
"$BIN/ddb-sync" --input-table src --output-table dst \
    --input-endpoint-url "$PROXY" --output-endpoint-url "$PROXY" \
    --stream=false --state-dir "$T/state" --status=off >"$T/out.log" 2>&1 ||
    fail "ddb-sync failed: $(cat "$T/out.log")"
ddbtool compare src dst || fail "destination differs"
proxy_get /__log >"$T/requests.log"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim()
    .split("\n").map(JSON.parse).filter((r) => r.target === "DescribeTable");
if (lines.length < 11) { console.log("only " + lines.length + " DescribeTable requests"); process.exit(1); }
const gaps = [];
for (let k = 1; k <= 10; k++) gaps.push(lines[k].t - lines[k - 1].t);
console.log("gaps after each throttle (ms): " + gaps.join(" "));
let sum = 0, bad = 0;
gaps.forEach((g, i) => {
	const ceil = Math.min(400, 100 * Math.pow(2, i));
	if (g > ceil + 150) { console.log(`retry ${i + 1}: waited ${g} ms, ceiling ${ceil}`); bad++; }
	sum += g;
});
if (sum < 300) { console.log(`hot loop: 10 retries in ${sum} ms`); bad++; }
const capped = gaps.slice(2);
if (Math.max(...capped) - Math.min(...capped) < 30) { console.log("no jitter"); bad++; }
process.exit(bad ? 1 : 0);' "$T/requests.log" || fail "backoff out of bounds"
