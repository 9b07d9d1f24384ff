#!/bin/sh
# status_tty: the status table on a real terminal (tmux): one header and one
# row per pair, redrawn in place while the log scrolls above it, counters
# that move, a narrower table after a resize, and a final table that stays;
# then with stderr in a file: plain snapshots without a single escape code.
. "$(dirname "$0")/../lib/harness.sh"

command -v tmux >/dev/null 2>&1 || { log "tmux not installed: skipped"; exit 77; }

SOCK=ddb-sync-status-$$
# ddb-sync takes the terminal's SIGHUP as "reopen the logs": stop it by
# name (its plan is in this run's own directory) before the terminal goes.
trap 'rc=$?; pkill -TERM -f "$T/plan.yml" 2>/dev/null; tmux -L "$SOCK" kill-server 2>/dev/null; (exit $rc); harness_cleanup' EXIT
export LC_ALL=C.UTF-8

ddbl_start
for t in a-src a-dst b-src b-dst c-src c-dst; do
	ddbtool create-table "$t" --hash id:S 2>>"$T/ddbtool.log" ||
	    fail "create-table $t"
done
load() { "$BIN/ddb-sync-load" --endpoint-url "$ENDPOINT" "$@" 2>>"$T/load.log"; }
load --table a-src --count 6000 --size 200 || fail "load a-src"
load --table b-src --count 2000 --size 200 || fail "load b-src"
load --table c-src --count 200 --size 200 || fail "load c-src"

# Small pages, one write in flight and every Scan answered 40 ms late (a
# proxy): a backfill slow enough to watch however fast the machine is.
echo '[{"target": "Scan", "fault": "slow", "ms": 40}]' >"$T/rules.json"
proxy_start "$T/rules.json"
cat >"$T/plan.yml" <<PLAN
plan:
  - input: {table: a-src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: a-dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
    total_segments: 1
    page_size: 20
    max_inflight: 1
  - input: {table: b-src, region: us-east-1, endpoint_url: "$PROXY"}
    output: {table: b-dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
    total_segments: 1
    page_size: 20
    max_inflight: 1
  - input: {table: c-src, region: us-east-1, endpoint_url: "$ENDPOINT"}
    output: {table: c-dst, region: us-east-1, endpoint_url: "$ENDPOINT"}
    stream: {disabled: true}
PLAN

# stdout and stderr on the same terminal, as an operator runs it.
cat >"$T/run.sh" <<RUN
#!/bin/sh
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state"
echo \$? >"$T/rc.tmp" && mv "$T/rc.tmp" "$T/rc"
exec sleep 600
RUN
tmux -L "$SOCK" -f /dev/null new-session -d -x 200 -y 50 "sh $T/run.sh" ||
    fail "cannot start tmux"

screen() { tmux -L "$SOCK" capture-pane -p; }
history() { tmux -L "$SOCK" capture-pane -p -S -; }
HEADER='^TABLE  *DETAILS  *BACKFILL  *STREAM  *RATES & BUFFER$'
# The table is the last thing on the screen: the last header, then exactly
# one row per pair (none wrapped: each starts with "⇨ "), then nothing.
table_block() {
	awk -v h="$HEADER" '$0 ~ h { n = 0; delete b } { b[n++] = $0 }
	    END { for (i = 0; i < n; i++) print b[i] }' | sed '/^$/,$d'
}
row() { table_block | grep "^⇨ $1 " ; }
in_progress() { screen | table_block | grep -q '^⇨ a-dst .* written (.*items/s'; }

wait_for 60 "a-dst's backfill row" in_progress
screen >"$T/screen1"
history >"$T/history1"
table_block <"$T/screen1" >"$T/block1"
expect_eq "headers on the whole history" "$(grep -c "$HEADER" "$T/history1")" 1
expect_eq "lines in the table" "$(wc -l <"$T/block1")" 4
for p in a-dst b-dst c-dst; do
	expect_eq "rows for $p" "$(grep -c "^⇨ $p " "$T/history1")" 1
	grep -q "^⇨ $p " "$T/block1" || fail "no row for $p at the bottom"
done
# The log scrolls above the table, never through it.
grep -q '\[a-src\] ⇨ \[a-dst\]: Backfill starting' "$T/screen1" ||
    fail "no log line on the terminal: $(cat "$T/screen1")"
grep -q '^⇨ a-dst  ~6.0K items (~[0-9.]*[KM]iB)  [0-9]* written ([0-9]*%)  -PENDING-  ' \
    "$T/block1" || fail "unexpected a-dst row: $(cat "$T/block1")"
first=$(row a-dst <"$T/screen1" | awk '{ print $6 }')
moved() {
	now=$(screen | row a-dst | awk '{ print $6 }')
	[ -n "$now" ] && [ "$now" != "$first" ]
}
wait_for 30 "a-dst's counter to move from $first" moved
log "counter moved from $first to $now"
# Rates need two seconds of samples: by then the table was redrawn by the
# clock several times, and still only one table is on the terminal.
rated() { screen | row a-dst | grep -q ' [0-9][0-9]* items/s '; }
wait_for 30 "a-dst's read rate" rated
history >"$T/history2"
expect_eq "headers after redraws" "$(grep -c "$HEADER" "$T/history2")" 1
for p in a-dst b-dst c-dst; do
	expect_eq "rows for $p after redraws" \
	    "$(grep -c "^⇨ $p " "$T/history2")" 1
done

# Narrower terminal: the table shrinks to fit (79 columns, no wrapping).
tmux -L "$SOCK" resize-window -x 80
narrow() {
	screen | table_block >"$T/block2"
	[ "$(wc -l <"$T/block2")" -eq 4 ] && grep -q '^⇨ a-dst .*/s ' "$T/block2"
}
wait_for 30 "the table redrawn for 80 columns" narrow
while IFS= read -r l; do
	w=$(printf '%s' "$l" | wc -m)
	[ "$w" -le 79 ] || fail "line of $w columns at width 80: '$l'"
done <"$T/block2"
# Back to 200 columns for the end.
tmux -L "$SOCK" resize-window -x 200

wait_for 240 "ddb-sync to exit" test -s "$T/rc"
expect_eq "exit status" "$(cat "$T/rc")" 0
screen >"$T/screen2"
# The final table stays, followed only by the final progress block.
awk -v h="$HEADER" '$0 ~ h { n = 0; delete b } { b[n++] = $0 }
    END { for (i = 0; i < n; i++) print b[i] }' "$T/screen2" |
    sed '/^$/,$d' >"$T/final"
expect_eq "final header" "$(head -n 1 "$T/final" | grep -c "$HEADER")" 1
expect_eq "final rows" "$(sed -n '2,4p' "$T/final" | grep -c \
    '^⇨ [abc]-dst  [0-9.]*K* items (~[0-9.]*[KM]iB)  *-COMPLETE-  *-SKIPPED-  *done$')" 3
grep -q '^⇨ a-dst  6.0K items' "$T/final" || fail "a-dst not counted: $(cat "$T/final")"
sed -n '5p' "$T/final" | grep -q '^[0-9]\{4\}/[0-9][0-9]/[0-9][0-9] [0-9:]\{8\}$' ||
    fail "no progress block after the final table: $(cat "$T/final")"
expect_eq "lines after the final table" "$(sed -n '6,$p' "$T/final" |
    grep -vc '^\(=.*Progress Update.*=\|\[[abc]-src\] ⇨ \[[abc]-dst\]: Backfill complete: .*\|=*\|[0-9/]* [0-9:]* Resources: .*\)$')" 0
expect_eq "escape residue on the screen" "$(grep -c "$(printf '\033')" "$T/screen2")" 0
log "terminal: in-place table, resize, final table"

# stderr to a file: plain snapshots, no escape codes at all.
"$BIN/ddb-sync" --config-file "$T/plan.yml" --state-dir "$T/state2" \
    --status-interval 1s >"$T/out2.log" 2>"$T/err2.log"
rc=$?
[ "$rc" -eq 0 ] || fail "plain run exited $rc: $(cat "$T/err2.log")"
if tr -d '\033' <"$T/err2.log" | cmp -s - "$T/err2.log"; then :; else
	fail "escape codes in stderr: $(od -c "$T/err2.log" | head)"
fi
tr -d '\033' <"$T/out2.log" | cmp -s - "$T/out2.log" || fail "escape codes in stdout"
snaps=$(grep -c "$HEADER" "$T/err2.log")
[ "$snaps" -ge 2 ] || fail "expected periodic snapshots and a final one, got $snaps: $(cat "$T/err2.log")"
# Each snapshot: a timestamp line, the header, one row per pair.
expect_eq "timestamp lines" "$(grep -c '^[0-9]\{4\}/[0-9][0-9]/[0-9][0-9] [0-9:]\{8\}$' "$T/err2.log")" "$snaps"
expect_eq "rows" "$(grep -c '^⇨ [abc]-dst  ' "$T/err2.log")" $((snaps * 3))
tail -n 3 "$T/err2.log" | grep -c '  -COMPLETE-  *-SKIPPED-  *done$' >"$T/n"
expect_eq "completed rows in the last snapshot" "$(cat "$T/n")" 3
log "plain: $snaps snapshots, no escape codes"
