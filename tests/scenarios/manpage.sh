#!/bin/sh
# manpage: docs/ddb-sync.1 and "ddb-sync --help" document the same options
# and settings.
# Every long option --help lists is an item of the man page's OPTIONS and
# every item there is in --help; the SYNOPSIS and the usage lines name the
# same options; no option the page mentions anywhere is unknown to --help.
# When groff or man is installed, the page also renders without warnings
# (skipped, alone, when they are not).
. "$(dirname "$0")/../lib/harness.sh"

MAN=$ROOT/docs/ddb-sync.1
[ -f "$MAN" ] || fail "no $MAN"
"$BIN/ddb-sync" --help >"$T/help" || fail "ddb-sync --help failed"

# opts: the long options in the text on stdin, one per line, sorted.
opts() { grep -o -e '--[a-z][a-z0-9-]*' | sort -u; }
# man_opts: the same from mdoc source, where ".Fl -name" means --name.
man_opts() {
	grep -v '^\.\\"' | sed -e 's/\\-/-/g' -e 's/Fl -\([a-z]\)/--\1/g' | opts
}
# section NAME: the lines of one .Sh section of the page.
section() { awk -v s="$1" '/^\.Sh /{on = ($2 == s)} on' "$MAN"; }
# same WHAT A B: the two lists are equal, else say what differs.
same() {
	only_a=$(comm -23 "$2" "$3" | tr '\n' ' ')
	only_b=$(comm -13 "$2" "$3" | tr '\n' ' ')
	[ -z "$only_a$only_b" ] ||
	    fail "$1: only in --help: [${only_a% }]; only in the man page: [${only_b% }]"
}

# Option items: "  --x ..." and "  -v, --verbose" lines of --help; .It
# lines of the page's OPTIONS.
grep -e '^  -' "$T/help" | opts >"$T/help.items"
section OPTIONS | grep '^\.It ' | man_opts >"$T/man.items"
[ "$(wc -l <"$T/help.items")" -ge 20 ] ||
    fail "found only $(wc -l <"$T/help.items") options in --help"
same "OPTIONS" "$T/help.items" "$T/man.items"

# The synopsis: --help's usage lines (up to the first blank line).
sed -n '1,/^$/p' "$T/help" | opts >"$T/help.usage"
section SYNOPSIS | man_opts >"$T/man.synopsis"
same "SYNOPSIS" "$T/help.usage" "$T/man.synopsis"
section SYNOPSIS | grep -q '^\.Cm ctl$' || fail "the SYNOPSIS has no ctl form"

# Anywhere in the page: no option --help does not know.
opts <"$T/help" >"$T/help.all"
man_opts <"$MAN" >"$T/man.all"
unknown=$(comm -13 "$T/help.all" "$T/man.all" | tr '\n' ' ')
[ -z "$unknown" ] || fail "the man page mentions unknown options: $unknown"
log "$(wc -l <"$T/help.items") options match"

# Settings: the table (ddb-sync --list-settings) is the one list.
# --help's Environment and the man page's ENVIRONMENT items name exactly
# its operator settings; the man page names no other; docs/settings.md
# lists every entry under its audience; the tree names no DDB_SYNC_*
# variable the table lacks, and only the table reads one.
"$BIN/ddb-sync" --list-settings >"$T/settings" ||
    fail "ddb-sync --list-settings failed"
[ "$(wc -l <"$T/settings")" -ge 40 ] ||
    fail "only $(wc -l <"$T/settings") settings listed"
names() { grep -o 'DDB_SYNC_[A-Z0-9][A-Z0-9_]*' | sort -u; }
cut -f1 "$T/settings" | sort >"$T/set.all"
awk -F'\t' '$2 == "operator" { print $1 }' "$T/settings" | sort >"$T/set.op"
sed -n '/^Environment:/,/^$/p' "$T/help" | names >"$T/help.env"
same "Environment (help vs table)" "$T/help.env" "$T/set.op"
section ENVIRONMENT | grep '^\.It Ev DDB_SYNC_' | names >"$T/man.env"
same "ENVIRONMENT (table vs man page)" "$T/set.op" "$T/man.env"
names <"$MAN" >"$T/man.env.all"
extra=$(comm -23 "$T/man.env.all" "$T/set.op" | tr '\n' ' ')
[ -z "$extra" ] || fail "the man page names settings not for operators: $extra"
DOC=$ROOT/docs/settings.md
while IFS='	' read -r name aud _; do
	case $aud in
	operator) want="Operator settings" ;;
	test) want="Test settings" ;;
	test-hook) want="Test hooks" ;;
	*) fail "$name: unknown audience '$aud'" ;;
	esac
	got=$(awk -v n="| \`$name\` |" '/^## /{s = substr($0, 4)}
	    index($0, n) == 1 { print s }' "$DOC")
	[ "$got" = "$want" ] ||
	    fail "docs/settings.md: $name is under '$got', not '$want'"
done <"$T/settings"
names <"$DOC" >"$T/doc.env"
extra=$(comm -13 "$T/set.all" "$T/doc.env" | tr '\n' ' ')
[ -z "$extra" ] || fail "docs/settings.md names settings not in the table: $extra"
# (test_settings.c names wrong ones on purpose.)
(cd "$ROOT" && grep -rhoI --exclude=test_settings.c \
    'DDB_SYNC_[A-Z0-9][A-Z0-9_]*' worker supervisor common proto tools \
    tests scripts bench docs README.md configs .ci) |
    grep -v '^DDB_SYNC_VERSION$' | sort -u >"$T/tree.env"
extra=$(comm -13 "$T/set.all" "$T/tree.env" | tr '\n' ' ')
[ -z "$extra" ] || fail "not in the settings table: $extra"
readers=$(cd "$ROOT" && grep -rln 'getenv("DDB_SYNC_' worker supervisor \
    common proto tools | grep -v '^common/settings\.c$' | tr '\n' ' ')
[ -z "$readers" ] || fail "DDB_SYNC_* read outside the settings table: $readers"
log "$(wc -l <"$T/set.all") settings, $(wc -l <"$T/set.op") for operators, match"

# Rendering.
rendered=0
if command -v groff >/dev/null 2>&1; then
	groff -mdoc -Tascii -ww -z "$MAN" >"$T/groff.err" 2>&1 ||
	    fail "groff failed: $(cat "$T/groff.err")"
	[ -s "$T/groff.err" ] && fail "groff warns: $(cat "$T/groff.err")"
	rendered=1
fi
if command -v man >/dev/null 2>&1; then
	LC_ALL=C MANWIDTH=80 man --warnings -l "$MAN" >"$T/man.txt" \
	    2>"$T/man.err" || fail "man -l failed: $(cat "$T/man.err")"
	[ -s "$T/man.err" ] && fail "man -l warns: $(cat "$T/man.err")"
	col -b <"$T/man.txt" >"$T/man.plain" 2>/dev/null ||
	    cp "$T/man.txt" "$T/man.plain"
	while read -r o; do
		grep -q -e "$o" "$T/man.plain" ||
		    fail "$o is not in the rendered page"
	done <"$T/help.items"
	rendered=1
fi
if [ "$rendered" -eq 0 ]; then
	log "neither groff nor man is installed: rendering not checked"
fi
exit 0
