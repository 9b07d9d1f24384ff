#!/bin/sh
# fleet_rollover: the stream phase across two hosts on the Streams
# simulator, which rolls its shards over every 1.5 s and splits half of
# them (docs/fleet.md, "Lineage across hosts"). A writer changes the same
# 300 keys all along, so every key's changes run along parent and child
# shards. A child's lease is claimable only once its parent's says done,
# whichever host applied it: the destination converges to the source (the
# independent reader), both hosts applied shards, and children were
# applied by another host than their parent's. Records are kept 20 s, so
# closed shards leave the stream during the run, and their lease items,
# done, are deleted.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/streamsim.sh"
. "$(dirname "$0")/../lib/fleet.sh"

sim_tables
# Records are kept 20 s: closed shards leave the stream during the run.
sim_start --rollover-ms 1500 --split-p 0.5 --max-open-shards 6 --seed 51 \
    --retention-ms 20000
export DDB_SYNC_POLL_MS=200 DDB_SYNC_SHARD_REFRESH_MS=500 \
    DDB_SYNC_CHECKPOINT_INTERVAL_MS=0
fleet_two_hosts "$SIM" 100
streaming() {
	grep -q "Streaming started" "$T/h1.out" &&
	    grep -q "Streaming started" "$T/h2.out"
}
wait_for 90 "both hosts to stream" streaming
sim_writer 0 100 300 0
# Until a good number of shards were created, split and applied.
applied() { [ "$(cat "$T/h1.out" "$T/h2.out" | grep -c "Lease done: shard#")" -ge 16 ]; }
wait_for 180 "16 shards applied" applied
touch "$T/stop-writer"
wait $mut || fail "writer failed"
sim_converge src dst 180
# Shards that aged out of the stream, done, lose their items (the table
# does not grow with the stream): the hosts keep listing meanwhile.
some_pruned() { cat "$T/h1.out" "$T/h2.out" | grep -q "Removed the lease item of shard#"; }
wait_for 90 "an aged-out shard's item to be removed" some_pruned
kill -INT "$host1" "$host2"
wait "$host1"
rc1=$?
wait "$host2"
rc2=$?
expect_eq "exit status of host 1 after SIGINT" "$rc1" 0
expect_eq "exit status of host 2 after SIGINT" "$rc2" 0
ddbtool compare src dst || fail "destination differs"
cat "$T/h1.out" "$T/h2.out" | grep -q "FAILED\|Changes were lost" &&
    fail "a host failed or reported a gap"
splits=$(sim_stat j.splits)
[ "$splits" -ge 1 ] || fail "no split"
pruned=$(cat "$T/h1.out" "$T/h2.out" | grep -c "Removed the lease item of shard#")
log "lease items of $pruned aged-out shards removed"
# Which host finished each shard, and each shard's parent (the lease
# table, read by the independent client).
ddbtool dump leases >"$T/leases.txt" || fail "cannot read the leases"
node -e '
const fs = require("fs");
const by = {};
for (const h of [1, 2]) {
	for (const l of fs.readFileSync(process.argv[h], "utf8").split("\n")) {
		const m = l.match(/Lease done: shard#(\S+)/);
		if (m) by[m[1]] = h;
	}
}
let pairs = 0, across = 0;
const hosts = new Set(Object.values(by));
for (const l of fs.readFileSync(process.argv[3], "utf8").split("\n")) {
	if (!l.trim()) continue;
	const it = JSON.parse(l);
	if (it.kind.S !== "shard" || !it.parent) continue;
	const c = it.shard.S, p = it.parent.S.replace(/^shard#/, "");
	if (!(c in by) || !(p in by)) continue;
	pairs++;
	if (by[c] !== by[p]) across++;
}
console.log("fleet_rollover: " + Object.keys(by).length + " shards done, " +
    pairs + " parent/child pairs, " + across + " across hosts");
if (hosts.size < 2 || across < 1) process.exit(1);
' "$T/h1.out" "$T/h2.out" "$T/leases.txt" ||
    fail "no child shard was applied by another host than its parent"
exit 0
