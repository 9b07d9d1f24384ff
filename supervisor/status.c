/* status.c: the live status table on stderr (README.md, "Output"). */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "fmt.h"
#include "log.h"
#include "outfd.h"
#include "status.h"
#include "sup.h"
#include "utf8.h"
#include "xmalloc.h"
#include "xtime.h"

/* ------------------------------------------------------------------ */
/* Display width and UTF-8.                                            */

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */
#define ARROW	 "\xe2\x87\xa8" /* U+21E8 ⇨ */

/* Characters never copied to the terminal: controls (an error message must
 * not move the cursor) and bidirectional overrides (nor reorder the row). */
static int
cp_unsafe(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* Columns a safe character takes: a small wcwidth() that does not depend on
 * the locale (the supervisor never calls setlocale). */
static size_t
cp_width(int32_t c)
{
	static const int32_t zero[][2] = {
		{ 0x0300, 0x036f },
		{ 0x0483, 0x0489 },
		{ 0x0591, 0x05bd },
		{ 0x0610, 0x061a },
		{ 0x064b, 0x065f },
		{ 0x1ab0, 0x1aff },
		{ 0x1dc0, 0x1dff },
		{ 0x200b, 0x200f },
		{ 0x2060, 0x2064 },
		{ 0x20d0, 0x20ff },
		{ 0xfe00, 0xfe0f },
		{ 0xfe20, 0xfe2f },
		{ 0xe0100, 0xe01ef },
	};
	static const int32_t wide[][2] = {
		{ 0x1100, 0x115f },
		{ 0x2e80, 0x303e },
		{ 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff },
		{ 0xa000, 0xa4cf },
		{ 0xac00, 0xd7a3 },
		{ 0xf900, 0xfaff },
		{ 0xfe30, 0xfe4f },
		{ 0xff00, 0xff60 },
		{ 0xffe0, 0xffe6 },
		{ 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff },
		{ 0x20000, 0x2fffd },
		{ 0x30000, 0x3fffd },
	};
	size_t i;

	if (c < 0x300)
		return 1;
	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

size_t
status_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), w = 0, k;
	int32_t c;

	while (n > 0) {
		k = fmt_utf8_next(p, n, &c);
		/* Shown as '?' (see sanitize()). */
		w += c == -1 || cp_unsafe(c) ? 1 : cp_width(c);
		p += k;
		n -= k;
	}
	return w;
}

/* A copy of s fit for the terminal: invalid bytes and unsafe characters
 * become '?'. Never longer than s. */
static char *
sanitize(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k, o = 0;
	char *out = xmalloc(n + 1);
	int32_t c;

	while (n > 0) {
		k = fmt_utf8_next(p, n, &c);
		if (c == -1 || cp_unsafe(c))
			out[o++] = c == '\t' || c == '\n' ? ' ' : '?';
		else {
			memcpy(out + o, p, k);
			o += k;
		}
		p += k;
		n -= k;
	}
	out[o] = '\0';
	return out;
}

/*
 * Append (sanitized) s to out, cut to at most cols columns: a string that
 * does not fit ends in "…". Characters are never split. Returns the columns
 * appended, or (size_t)-1 if out is full.
 */
static size_t
fit(struct buf *out, const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k, used = 0, cw, keep = 0, keepw = 0;
	int32_t c;

	if (status_width(s) <= cols)
		return buf_adds(out, s) == -1 ? (size_t)-1 : status_width(s);
	if (cols == 0)
		return 0;
	/* Room for the ellipsis. */
	while (n > 0) {
		k = fmt_utf8_next(p + keep, n, &c);
		cw = c == -1 || cp_unsafe(c) ? 1 : cp_width(c);
		if (used + cw > cols - 1)
			break;
		used += cw;
		keep += k;
		n -= k;
		keepw = used;
	}
	if (buf_add(out, s, keep) == -1 || buf_adds(out, ELLIPSIS) == -1)
		return (size_t)-1;
	return keepw + 1;
}

/* Cut s (in place) to at most max bytes, on a character boundary. */
static void
cut_bytes(char *s, size_t max)
{
	s[utf8_cut(s, strlen(s), max)] = '\0';
}

/* ------------------------------------------------------------------ */
/* Cells.                                                              */

enum {
	COL_TABLE = 0,
	COL_DETAILS,
	COL_BACKFILL,
	COL_STREAM,
	COL_SPOOL, /* only while some row has a spool */
	COL_RATES,
	NCOLS
};

/* Each cell has a full form (level 0) and two shorter ones. */
#define NLEVELS	 3
#define CELL_MAX 512

/* BACKFILL says VERIFY under ddb-sync verify (status_init). */
static const char *col_header[NCOLS] = {
	"TABLE",
	"DETAILS",
	"BACKFILL",
	"STREAM",
	"SPOOL",
	"RATES & BUFFER",
};

struct frow {
	char v[NCOLS][NLEVELS][CELL_MAX];
	size_t w[NCOLS][NLEVELS];
	char *span; /* FAILED: one text from BACKFILL to the end */
};

static void cellf(char *dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cellf(char *dst, const char *fmt, ...)
{
	va_list ap;

	/* Only a very long table name is cut; cleanly. */
	va_start(ap, fmt);
	utf8_vformat(dst, CELL_MAX, fmt, ap);
	va_end(ap);
}

static void
cell_all(char v[NLEVELS][CELL_MAX], const char *s)
{
	for (int l = 0; l < NLEVELS; l++)
		cellf(v[l], "%s", s);
}

/* Exact below a million (README.md: "267164 written"), then compact. */
static const char *
count_str(uint64_t n, char *b, size_t len)
{
	if (n < 1000000) {
		snprintf(b, len, "%" PRIu64, n);
		return b;
	}
	return fmt_count(n, b, len);
}

static const char *
rate_str(int have, double r, char *b, size_t len)
{
	if (!have || !(r >= 0))
		snprintf(b, len, "-");
	else if (r == 0)
		snprintf(b, len, "0");
	else if (r < 1)
		snprintf(b, len, "<1");
	else if (r < 9999.5)
		snprintf(b, len, "%.0f", r);
	else
		fmt_count(r > 1e18 ? (uint64_t)1e18 : (uint64_t)(r + 0.5), b,
		    len);
	return b;
}

const char *
status_glyph(uint32_t pct)
{
	/* Nearest quarter: each glyph stands for 0, 25, 50, 75, 100%. */
	if (pct <= 12)
		return "\xe2\x97\x8b"; /* ○ */
	if (pct <= 37)
		return "\xe2\x97\x94"; /* ◔ */
	if (pct <= 62)
		return "\xe2\x97\x91"; /* ◑ */
	if (pct <= 87)
		return "\xe2\x97\x95"; /* ◕ */
	return "\xe2\x97\x8f";	       /* ● */
}

/* A phase state that is a word rather than counters; NULL for counters. */
static const char *
phase_word(enum proto_phase_state ps)
{
	switch (ps) {
	case PROTO_PS_PENDING:
		return "-PENDING-";
	case PROTO_PS_COMPLETE:
		return "-COMPLETE-";
	case PROTO_PS_SKIPPED:
		return "-SKIPPED-";
	case PROTO_PS_FAILED:
		return "-FAILED-";
	case PROTO_PS_RUNNING:
	case PROTO_PS_STOPPED:
		return NULL;
	default:
		return "?";
	}
}

static void
cell_details(char v[NLEVELS][CELL_MAX], const struct status_row *r)
{
	char items[32], bytes[32];
	const char *ti = r->items_exact ? "" : "~";
	const char *tb = r->bytes_exact ? "" : "~";

	if (!r->have_est) {
		cell_all(v, "");
		return;
	}
	fmt_count(r->items, items, sizeof(items));
	fmt_bytes(r->bytes, bytes, sizeof(bytes));
	cellf(v[0], "%s%s items (%s%s)", ti, items, tb, bytes);
	cellf(v[1], "%s%s (%s%s)", ti, items, tb, bytes);
	cellf(v[2], "%s%s", ti, items);
}

/* TTL skips, in the widest form of a cell only: never silent, never
 * in the way on a narrow terminal. */
static void
cell_ttl(char v[NLEVELS][CELL_MAX], uint64_t n, const char *what)
{
	char c[32], s[CELL_MAX];

	if (n == 0)
		return;
	count_str(n, c, sizeof(c));
	snprintf(s, sizeof(s), "%s", v[0]);
	cellf(v[0], "%s, %s %s", s, c, what);
}

/* A fleet's leases after the running phase's figures: ", leases 3 (lost
 * 1)", shorter at level 1, none at level 2 (the widest forms only, as the
 * TTL skips). */
static void
cell_leases(char v[NLEVELS][CELL_MAX], const struct status_row *r)
{
	char s[CELL_MAX], lost[48] = "";

	if (r->leases_lost > 0)
		snprintf(lost, sizeof(lost), " (lost %" PRIu64 ")",
		    r->leases_lost);
	snprintf(s, sizeof(s), "%s", v[0]);
	cellf(v[0], "%s, leases %" PRIu32 "%s", s, r->leases_held, lost);
	snprintf(s, sizeof(s), "%s", v[1]);
	cellf(v[1], "%s L%" PRIu32 "%s", s, r->leases_held, lost);
}

static void
cell_backfill(char v[NLEVELS][CELL_MAX], const struct status_row *r)
{
	const char *word = phase_word(r->backfill);
	char n[32];
	uint64_t pct;

	if (word != NULL) {
		cell_all(v, word);
		return;
	}
	count_str(r->bf_written, n, sizeof(n));
	if (r->bf_target == 0) {
		cellf(v[0], "%s %s", n, r->verify ? "checked" : "written");
		cellf(v[1], "%s", n);
		cellf(v[2], "%s", n);
		return;
	}
	/* The estimate is hours old and may be low: never claim 100% (or
	 * more) before the phase says it is complete. */
	pct = r->bf_written >= r->bf_target ?
	    99 :
	    (uint64_t)((double)r->bf_written * 100.0 / (double)r->bf_target);
	if (pct > 99)
		pct = 99;
	cellf(v[0], "%s %s (%" PRIu64 "%%)", n,
	    r->verify ? "checked" : "written", pct);
	cellf(v[1], "%s (%" PRIu64 "%%)", n, pct);
	cellf(v[2], "%" PRIu64 "%%", pct);
}

static void
cell_stream(char v[NLEVELS][CELL_MAX], const struct status_row *r)
{
	const char *word = phase_word(r->stream);
	const char *gap = r->gap ? "GAP! " : "";
	char n[32], lat[32];
	int risk = r->retention_risk && !r->gap &&
	    r->stream != PROTO_PS_SKIPPED;
	const char *risk0 = risk ? " RETENTION RISK" : "";
	const char *risk1 = risk ? " RISK" : "";

	if (word != NULL) {
		cellf(v[0], "%s%s%s", gap, word, risk0);
		cellf(v[1], "%s%s%s", gap, word, risk1);
		cellf(v[2], "%s%s%s", gap, word, risk1);
		return;
	}
	count_str(r->st_written, n, sizeof(n));
	if (r->caught_up) {
		cellf(v[0], "%s%s written (caught up)%s", gap, n, risk0);
		cellf(v[1], "%s%s (caught up)%s", gap, n, risk1);
		cellf(v[2], "%scaught up%s", gap, risk1);
	} else if (r->st_latency_ms >= 0) {
		fmt_duration((uint64_t)r->st_latency_ms, lat, sizeof(lat));
		cellf(v[0], "%s%s written (~%s latent)%s", gap, n, lat, risk0);
		cellf(v[1], "%s%s (~%s)%s", gap, n, lat, risk1);
		cellf(v[2], "%s~%s%s", gap, lat, risk1);
	} else {
		cellf(v[0], "%s%s written%s", gap, n, risk0);
		cellf(v[1], "%s%s%s", gap, n, risk1);
		cellf(v[2], "%s%s%s", gap, n, risk1);
	}
}

const char *
status_spool_str(uint64_t bytes, int64_t oldest_ms, int paused, int level,
    char *b, size_t len)
{
	char size[32], age[32];
	const char *full = paused ? " FULL" : "";

	fmt_bytes(bytes, size, sizeof(size));
	if (level >= 2)
		snprintf(b, len, "%s", paused ? "FULL" : size);
	else if (oldest_ms >= 0) {
		/* Whole seconds: "350ms" would only flicker. */
		fmt_duration((uint64_t)oldest_ms / 1000 * 1000, age,
		    sizeof(age));
		snprintf(b, len, "%s/%s%s", size, age, full);
	} else
		snprintf(b, len, "%s%s", size, full);
	return b;
}

const char *
status_spool_cell(const struct status_row *r, int level, char *b, size_t len)
{
	if (!r->spool) {
		snprintf(b, len, "-");
		return b;
	}
	return status_spool_str(r->spool_bytes, r->spool_oldest_ms,
	    r->spool_paused, level, b, len);
}

const char *
status_spool_note(const struct proto_progress *p, char *b, size_t len)
{
	char size[32], age[32];

	b[0] = '\0';
	if (!proto_spool_shown(p))
		return b;
	fmt_bytes(p->spool_bytes, size, sizeof(size));
	if (p->spool_oldest_ms >= 0)
		fmt_duration((uint64_t)p->spool_oldest_ms / 1000 * 1000, age,
		    sizeof(age));
	snprintf(b, len, " (spool %s%s%s%s)", size,
	    p->spool_oldest_ms >= 0 ? ", oldest record " : "",
	    p->spool_oldest_ms >= 0 ? age : "",
	    p->spool_paused ? ", FULL: reading paused" : "");
	return b;
}

static void
cell_spool(char v[NLEVELS][CELL_MAX], const struct status_row *r)
{
	for (int l = 0; l < NLEVELS; l++)
		status_spool_cell(r, l, v[l], CELL_MAX);
}

static void
cell_rates(char v[NLEVELS][CELL_MAX], const struct status_row *r)
{
	char a[64], b[48], d[32], rl[32];
	const char *g;
	uint64_t secs;

	switch (r->proc) {
	case STATUS_PROC_STARTING:
		cell_all(v, "starting");
		return;
	case STATUS_PROC_STOPPED:
		cell_all(v, "stopped");
		return;
	case STATUS_PROC_DONE:
		cell_all(v, "done");
		return;
	case STATUS_PROC_FAILED:
		cell_all(v, ""); /* the row's span says it */
		return;
	case STATUS_PROC_RESTARTING:
		if (r->restart_in_ms <= 0) {
			cellf(v[0], "restarting now (restart %u)", r->restarts);
			cellf(v[1], "restart %u now", r->restarts);
			cellf(v[2], "restart %u now", r->restarts);
			return;
		}
		/* Whole seconds, rounded up: "in 0s" would be a lie. */
		secs = ((uint64_t)r->restart_in_ms + 999) / 1000;
		fmt_duration(secs * 1000, d, sizeof(d));
		cellf(v[0], "restarting in %s (restart %u)", d, r->restarts);
		cellf(v[1], "restart %u in %s", r->restarts, d);
		cellf(v[2], "restart %u in %s", r->restarts, d);
		return;
	case STATUS_PROC_RUNNING:
		break;
	}
	rate_str(r->have_rates, r->read_rate, a, sizeof(a));
	rate_str(r->have_rates, r->wcu_rate, b, sizeof(b));
	/* The capacity governor's limits next to what is consumed:
	 * "12 RCU/s of 150", "298/300 WCU/s". */
	if (r->write_limit > 0) {
		size_t n = strlen(b);

		snprintf(b + n, sizeof(b) - n, "/%.0f", r->write_limit);
	}
	if (r->read_limit > 0) {
		size_t n = strlen(a);

		rate_str(r->rcu_rate >= 0, r->rcu_rate, rl, sizeof(rl));
		snprintf(a + n, sizeof(a) - n, " (%s/%.0f RCU/s)", rl,
		    r->read_limit);
	}
	g = status_glyph(r->buffer_pct);
	cellf(v[0], "%s items/s " ARROW " %s " ARROW " %s WCU/s", a, g, b);
	cellf(v[1], "%s/s " ARROW " %s " ARROW " %s WCU/s", a, g, b);
	cellf(v[2], "%s/s %s %s WCU/s", a, g, b);
}

static void
build_row(struct frow *f, const struct status_row *r)
{
	char *s, text[PROTO_TEXT_MAX + 256];

	s = sanitize(r->table);
	cut_bytes(s, CELL_MAX - 8);
	for (int l = 0; l < NLEVELS; l++)
		cellf(f->v[COL_TABLE][l], ARROW " %s", s);
	free(s);
	cell_details(f->v[COL_DETAILS], r);
	cell_backfill(f->v[COL_BACKFILL], r);
	cell_ttl(f->v[COL_BACKFILL], r->ttl_expired, "expired skipped");
	cell_stream(f->v[COL_STREAM], r);
	cell_ttl(f->v[COL_STREAM], r->ttl_deletes, "TTL deletes skipped");
	/* The leases go with the phase that has them: the stream's once it
	 * runs, else the backfill's (a word such as -COMPLETE- only when
	 * something is held or was lost). */
	if (r->fleet) {
		int st = r->stream == PROTO_PS_RUNNING;
		enum proto_phase_state ps = st ? r->stream : r->backfill;

		if (phase_word(ps) == NULL || r->leases_held > 0 ||
		    r->leases_lost > 0)
			cell_leases(f->v[st ? COL_STREAM : COL_BACKFILL], r);
	}
	cell_spool(f->v[COL_SPOOL], r);
	cell_rates(f->v[COL_RATES], r);
	f->span = NULL;
	if (r->proc == STATUS_PROC_FAILED) {
		s = sanitize(fmt_printable_str(text, sizeof(text),
		    r->error != NULL ? r->error : ""));
		if (*s != '\0')
			xasprintf(&f->span, "FAILED: %s", s);
		else
			f->span = xstrdup("FAILED");
		free(s);
	} else if (r->retrying != NULL && *r->retrying != '\0') {
		s = sanitize(
		    fmt_printable_str(text, sizeof(text), r->retrying));
		xasprintf(&f->span, "RETRYING: %s", s);
		free(s);
	}
	for (int c = 0; c < NCOLS; c++)
		for (int l = 0; l < NLEVELS; l++)
			f->w[c][l] = status_width(f->v[c][l]);
}

/* ------------------------------------------------------------------ */
/* Layout.                                                             */

/* A table name is never cut below this many columns ("⇨ " + 8). */
#define TABLE_MIN 10

struct layout {
	int level[NCOLS];
	int shown[NCOLS]; /* SPOOL: only while a row has a spool */
	size_t table_cap; /* TABLE cells are cut to this */
	size_t gap;	  /* spaces between columns */
	size_t w[NCOLS];
	size_t total;
};

static void
measure(const struct frow *f, size_t n, struct layout *lo)
{
	size_t c, i, cw;

	lo->total = 0;
	for (c = 0; c < NCOLS; c++) {
		lo->w[c] = 0;
		if (!lo->shown[c])
			continue;
		lo->w[c] = strlen(col_header[c]);
		for (i = 0; i < n; i++) {
			/* A failed row's text spans these columns and is cut
			 * to the line instead. */
			if (c >= COL_BACKFILL && f[i].span != NULL)
				continue;
			cw = f[i].w[c][lo->level[c]];
			if (c == COL_TABLE && cw > lo->table_cap)
				cw = lo->table_cap;
			if (cw > lo->w[c])
				lo->w[c] = cw;
		}
		lo->total += lo->w[c] + (c > 0 ? lo->gap : 0);
	}
}

/*
 * What gives way, in order, while the table is too wide: very long table
 * names, then the words ("items", "written", "latent"), then whole figures
 * (counts before latency, bytes, the percentage, the spool's age), then
 * the gaps, then the table name down to TABLE_MIN; a line still too wide is cut at the end.
 */
static const struct {
	int col; /* COL_TABLE: cap the names at arg columns */
	int arg; /* else: the level to use */
} shrink_steps[] = {
	{ COL_TABLE, 40 },
	{ COL_RATES, 1 },
	{ COL_STREAM, 1 },
	{ COL_BACKFILL, 1 },
	{ COL_DETAILS, 1 },
	{ COL_RATES, 2 },
	{ COL_TABLE, 24 },
	{ COL_SPOOL, 2 },
	{ COL_STREAM, 2 },
	{ COL_DETAILS, 2 },
	{ COL_BACKFILL, 2 },
};

static void
layout(const struct status_row *rows, const struct frow *f, size_t n,
    size_t limit, struct layout *lo)
{
	size_t k, excess, cap;

	memset(lo, 0, sizeof(*lo));
	for (k = 0; k < NCOLS; k++)
		lo->shown[k] = k != COL_SPOOL;
	for (k = 0; k < n; k++)
		if (rows[k].spool)
			lo->shown[COL_SPOOL] = 1;
	lo->table_cap = SIZE_MAX;
	lo->gap = 2;
	measure(f, n, lo);
	for (k = 0; lo->total > limit &&
	     k < sizeof(shrink_steps) / sizeof(shrink_steps[0]);
	     k++) {
		if (shrink_steps[k].col == COL_TABLE) {
			if ((size_t)shrink_steps[k].arg < lo->table_cap)
				lo->table_cap = (size_t)shrink_steps[k].arg;
		} else
			lo->level[shrink_steps[k].col] = shrink_steps[k].arg;
		measure(f, n, lo);
	}
	if (lo->total > limit) {
		lo->gap = 1;
		measure(f, n, lo);
	}
	if (lo->total > limit && lo->w[COL_TABLE] > TABLE_MIN) {
		excess = lo->total - limit;
		cap = lo->w[COL_TABLE] > excess + TABLE_MIN ?
		    lo->w[COL_TABLE] - excess :
		    TABLE_MIN;
		if (cap < lo->table_cap)
			lo->table_cap = cap;
		measure(f, n, lo);
	}
}

static int
pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		if (buf_addc(b, ' ') == -1)
			return -1;
	return 0;
}

/* One line (header when f is NULL) into line, unlimited width. */
static int
render_line(const struct frow *f, const struct layout *lo, struct buf *line)
{
	const char *text;
	size_t c, cw;

	for (c = 0; c < NCOLS; c++) {
		if (f != NULL && f->span != NULL && c == COL_BACKFILL)
			return buf_adds(line, f->span);
		if (!lo->shown[c])
			continue;
		text = f == NULL ? col_header[c] : f->v[c][lo->level[c]];
		cw = f == NULL ? strlen(text) : f->w[c][lo->level[c]];
		if (c == COL_TABLE && cw > lo->table_cap) {
			if ((cw = fit(line, text, lo->table_cap)) == (size_t)-1)
				return -1;
		} else if (buf_adds(line, text) == -1)
			return -1;
		if (c + 1 < NCOLS && pad(line, lo->w[c] - cw + lo->gap) == -1)
			return -1;
	}
	return 0;
}

/* Append line to out cut to limit columns, trailing blanks dropped. */
static int
emit_line(struct buf *out, struct buf *line, size_t limit)
{
	while (line->len > 0 && line->data[line->len - 1] == ' ')
		line->data[--line->len] = '\0';
	if (fit(out, line->len > 0 ? line->data : "", limit) == (size_t)-1 ||
	    buf_addc(out, '\n') == -1)
		return -1;
	return 0;
}

int
status_format(const struct status_row *rows, size_t n, int width,
    struct buf *out)
{
	struct frow *f;
	struct layout lo;
	struct buf line;
	size_t i, limit = width > 0 ? (size_t)width : SIZE_MAX;
	int r = -1;

	f = xcalloc(n > 0 ? n : 1, sizeof(*f));
	for (i = 0; i < n; i++)
		build_row(&f[i], &rows[i]);
	layout(rows, f, n, limit, &lo);
	buf_init(&line, 0);
	if (render_line(NULL, &lo, &line) == -1 ||
	    emit_line(out, &line, limit) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		buf_reset(&line);
		if (render_line(&f[i], &lo, &line) == -1 ||
		    emit_line(out, &line, limit) == -1)
			goto done;
	}
	r = (int)n + 1;
done:
	buf_free(&line);
	for (i = 0; i < n; i++)
		free(f[i].span);
	free(f);
	return r;
}

/* ------------------------------------------------------------------ */
/* Rates.                                                              */

void
status_rate_reset(struct status_rate *r)
{
	memset(r, 0, sizeof(*r));
}

void
status_rate_add(struct status_rate *r, int64_t now, uint64_t items, double wcu)
{
	size_t last, i;

	if (r->n > 0) {
		last = (r->first + r->n - 1) % STATUS_RATE_SAMPLES;
		if (items < r->items[last] || wcu < r->wcu[last] ||
		    now < r->t[last])
			status_rate_reset(r);
		else if (now - r->t[last] < STATUS_RATE_SPACING_MS)
			return;
	}
	if (r->n == STATUS_RATE_SAMPLES) {
		r->first = (r->first + 1) % STATUS_RATE_SAMPLES;
		r->n--;
	}
	i = (r->first + r->n) % STATUS_RATE_SAMPLES;
	r->t[i] = now;
	r->items[i] = items;
	r->wcu[i] = wcu;
	r->n++;
}

int
status_rate_get(const struct status_rate *r, double *items_s, double *wcu_s)
{
	size_t last, k, j;
	int64_t span;

	*items_s = *wcu_s = 0;
	if (r->n < 2)
		return -1;
	last = (r->first + r->n - 1) % STATUS_RATE_SAMPLES;
	/* The oldest sample still inside the window. */
	for (j = 0; j < r->n; j++) {
		k = (r->first + j) % STATUS_RATE_SAMPLES;
		if (r->t[last] - r->t[k] <= STATUS_RATE_WINDOW_MS)
			break;
	}
	span = r->t[last] - r->t[k];
	if (span < STATUS_RATE_MIN_SPAN_MS)
		return -1;
	*items_s = (double)(r->items[last] - r->items[k]) * 1000.0 /
	    (double)span;
	*wcu_s = (r->wcu[last] - r->wcu[k]) * 1000.0 / (double)span;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rows from children.                                                 */

void
status_row_from_child(struct status_row *r, const struct child *c,
    const struct status_rate *rate, int seen, int64_t now)
{
	const struct proto_progress *p = &c->prog;

	memset(r, 0, sizeof(*r));
	r->table = c->pair->output.table;
	switch (c->state) {
	case CHILD_RUNNING:
		r->proc = c->progress_seen ? STATUS_PROC_RUNNING :
					     STATUS_PROC_STARTING;
		break;
	case CHILD_BACKOFF:
		r->proc = STATUS_PROC_RESTARTING;
		r->restart_in_ms = c->next_start_ms - now;
		break;
	case CHILD_STOPPED:
		r->proc = STATUS_PROC_STOPPED;
		break;
	case CHILD_DONE:
		r->proc = STATUS_PROC_DONE;
		break;
	case CHILD_FAILED:
		r->proc = STATUS_PROC_FAILED;
		break;
	case CHILD_IDLE:
	default:
		r->proc = STATUS_PROC_STARTING;
		break;
	}
	r->restarts = c->restarts;
	r->error = c->last_error;
	if (c->state == CHILD_RUNNING)
		r->retrying = c->retrying;
	r->backfill = c->backfill;
	r->verify = c->sup != NULL && c->sup->verify.on;
	r->stream = c->stream;
	/* c->prog outlives its worker; zeroes mean nothing arrived yet. */
	r->have_est = seen || c->progress_seen || p->est_items != 0 ||
	    p->est_bytes != 0 || p->segments_total != 0 || p->items_read != 0 ||
	    p->stream_written != 0;
	if (r->have_est) {
		r->items = p->est_items;
		r->items_exact = p->est_exact;
		r->bytes = p->est_bytes;
		r->bytes_exact = p->est_exact;
		/*
		 * A complete backfill of every segment counted the items,
		 * whatever DescribeTable said. The bytes it read are Scan
		 * page sizes of this run only, not the table's size, so the
		 * size stays an estimate unless the worker says otherwise.
		 * Items skipped as expired (TTL) were not written, so the
		 * written count is not the table's then.
		 */
		if (!p->est_exact && c->backfill == PROTO_PS_COMPLETE &&
		    c->pair->segments == NULL && p->ttl_expired_skipped == 0) {
			r->items = c->backfill_items;
			r->items_exact = 1;
		}
		r->bf_target = r->items;
	}
	r->bf_written = p->items_written;
	r->ttl_expired = p->ttl_expired_skipped;
	r->ttl_deletes = p->ttl_deletes_skipped;
	r->read_limit = p->read_limit;
	r->write_limit = p->write_limit;
	r->rcu_rate = c->pair->consumed_capacity ? c->rcu_rate : -1;
	r->st_written = p->stream_written;
	r->st_latency_ms = p->stream_latency_ms;
	r->caught_up = p->caught_up;
	r->retention_risk = p->retention_risk;
	r->gap = p->gap;
	r->buffer_pct = p->buffer_pct > 100 ? 100 : p->buffer_pct;
	r->spool = proto_spool_shown(p);
	if (r->spool) {
		r->spool_bytes = p->spool_bytes;
		r->spool_oldest_ms = p->spool_oldest_ms;
		r->spool_paused = p->spool_paused;
	}
	r->fleet = c->sup != NULL && c->sup->host_id != NULL;
	if (r->fleet) {
		r->leases_held = c->pid != -1 ? p->leases_held : 0;
		r->leases_lost = c->acc.leases_lost + p->leases_lost;
	}
	if (rate != NULL &&
	    status_rate_get(rate, &r->read_rate, &r->wcu_rate) == 0)
		r->have_rates = 1;
	/* Not asked for (consumed_capacity: false): unknown, not zero. */
	if (!c->pair->consumed_capacity)
		r->wcu_rate = -1;
}

/* ------------------------------------------------------------------ */
/* Terminal frames.                                                    */

int
status_frame(struct buf *out, const char *text, size_t up)
{
	const char *p = text, *nl;

	/* Back to the first row of the previous frame. */
	if (up > 0 && buf_printf(out, "\r\033[%zuA", up) == -1)
		return -1;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		/* Overwrite, then erase what a longer old line left. */
		if (buf_add(out, p, (size_t)(nl - p)) == -1 ||
		    buf_adds(out, "\033[K\n") == -1)
			return -1;
		p = *nl == '\n' ? nl + 1 : nl;
	}
	/* Rows of a taller previous frame. */
	return buf_adds(out, "\033[J");
}

int
status_erase(struct buf *out, size_t rows)
{
	if (rows == 0)
		return 0;
	if (buf_printf(out, "\r\033[%zuA\033[2K", rows) == -1)
		return -1;
	for (size_t i = 1; i < rows; i++)
		if (buf_adds(out, "\033[B\033[2K") == -1)
			return -1;
	if (rows > 1 && buf_printf(out, "\033[%zuA", rows - 1) == -1)
		return -1;
	return 0;
}

size_t
status_rows_used(const size_t *widths, size_t n, int cols)
{
	size_t rows = 0, c = cols > 0 ? (size_t)cols : 1;

	for (size_t i = 0; i < n; i++)
		rows += widths[i] == 0 ? 1 : (widths[i] + c - 1) / c;
	return rows;
}

/* ------------------------------------------------------------------ */
/* The driver.                                                         */

enum status_out {
	STATUS_OUT_OFF = 0,
	STATUS_OUT_TTY,
	STATUS_OUT_PLAIN,
};

/* Tallest frame drawn in place; more pairs are summarised in a line. */
#define STATUS_MAX_LINES 256
/* Largest frame held for writing (256 lines of 250 columns fit). */
#define STATUS_FRAME_MAX (1024 * 1024)

struct status_track {
	struct status_rate rate;
	pid_t pid;
	enum proto_phase phase;
	int seen;
};

static struct {
	struct sup *sup;
	enum status_out out;
	int64_t plain_ms;
	int fd;		    /* where frames go; -1 none */
	struct outfd outfd; /* how, never blocking (outfd.c) */
	int tty;	    /* fd is a terminal */
	int shared;	    /* stdout is the same terminal */
	int broken;	    /* a write failed for good: stop */
	int started;	    /* events created */
	int final;
	int busy;   /* inside draw(): no recursion */
	int hidden; /* erased for stdout: redraw after */
	int sink;   /* our log sink is installed */
	int cols, lines;
	struct event *ev_tick, *ev_redraw, *ev_winch;
	struct status_track *track;
	size_t ntrack;
	int64_t last_draw_ms;
	int64_t next_plain_ms;
	size_t widths[STATUS_MAX_LINES]; /* frame on screen */
	size_t nlines;			 /* 0: none */
	struct buf pend;		 /* unwritten tail of the last frame */
	size_t pend_off;
} st = { .fd = -1 };

/* Where frames go without ever blocking: stderr, reopened (outfd.c). */
static void
open_output(void)
{
	outfd_open(&st.outfd, STDERR_FILENO);
	st.fd = st.outfd.fd;
}

/* stdout is the terminal the table is on: its lines must go around it. */
static int
stdout_shared(void)
{
	struct stat a, b;

	if (!isatty(STDOUT_FILENO) || fstat(STDOUT_FILENO, &a) == -1 ||
	    fstat(STDERR_FILENO, &b) == -1)
		return 0;
	return S_ISCHR(a.st_mode) && S_ISCHR(b.st_mode) &&
	    a.st_rdev == b.st_rdev;
}

static void
query_size(void)
{
	struct winsize ws;

	st.cols = 80;
	st.lines = 24;
	if (ioctl(st.fd, TIOCGWINSZ, &ws) == 0) {
		if (ws.ws_col > 0)
			st.cols = ws.ws_col;
		if (ws.ws_row > 0)
			st.lines = ws.ws_row;
	}
}

/* Bytes written, 0 if it would block, -1 on a lasting error. */
static ssize_t
out_write(const char *p, size_t len)
{
	return outfd_write(&st.outfd, p, len);
}

/* 1: nothing left to write, 0: some still pending, -1: broken. */
static int
out_flush(void)
{
	ssize_t n;

	while (st.pend_off < st.pend.len) {
		n = out_write(st.pend.data + st.pend_off,
		    st.pend.len - st.pend_off);
		if (n == -1) {
			/* stderr is gone (EPIPE, EIO): stop drawing. */
			st.broken = 1;
			buf_reset(&st.pend);
			st.pend_off = 0;
			return -1;
		}
		if (n == 0)
			return 0;
		st.pend_off += (size_t)n;
	}
	buf_reset(&st.pend);
	st.pend_off = 0;
	return 1;
}

/* 1: sent or queued whole, 0: dropped (the previous one is still going
 * out), -1: broken. A frame is never split with another one. */
static int
out_send(const char *p, size_t len)
{
	int r;

	if ((r = out_flush()) <= 0)
		return r;
	if (buf_add(&st.pend, p, len) == -1)
		return 0;
	return out_flush() == -1 ? -1 : 1;
}

/* At exit only: let a pending tail out, waiting a little, never long. */
static void
out_drain(void)
{
	struct pollfd pfd;

	for (int i = 0; i < 10 && out_flush() == 0; i++) {
		pfd.fd = st.fd;
		pfd.events = POLLOUT;
		poll(&pfd, 1, 50);
	}
}

static void
sample_all(int64_t now)
{
	struct sup *s = st.sup;

	for (size_t i = 0; i < st.ntrack && i < s->nchildren; i++) {
		struct child *c = &s->children[i];
		struct status_track *t = &st.track[i];

		/* Run counters restart with each worker, and the items
		 * counter changes meaning with the phase. */
		if (c->pid != t->pid || c->prog.phase != t->phase) {
			status_rate_reset(&t->rate);
			t->pid = c->pid;
			t->phase = c->prog.phase;
		}
		if (c->state != CHILD_RUNNING || !c->progress_seen)
			continue;
		t->seen = 1;
		status_rate_add(&t->rate, now,
		    c->prog.phase == PROTO_PHASE_STREAM ? c->prog.stream_read :
							  c->prog.items_read,
		    c->prog.wcu);
	}
}

/* The table for the current state; at most maxlines lines (0: any). */
static void
build_text(struct buf *text, int width, size_t maxlines, int64_t now)
{
	struct sup *s = st.sup;
	struct status_row *rows;
	struct buf more;
	size_t n = s->nchildren, show = n, i;
	char line[96];

	if (maxlines > 0 && n + 1 > maxlines)
		show = maxlines > 2 ? maxlines - 2 : 0;
	rows = xcalloc(show > 0 ? show : 1, sizeof(*rows));
	for (i = 0; i < show; i++)
		status_row_from_child(&rows[i], &s->children[i],
		    i < st.ntrack ? &st.track[i].rate : NULL,
		    i < st.ntrack ? st.track[i].seen : 0, now);
	if (status_format(rows, show, width, text) == -1)
		buf_reset(text);
	free(rows);
	if (show < n) {
		snprintf(line, sizeof(line),
		    ELLIPSIS " %zu more pair%s not "
			     "shown (the terminal is too short)",
		    n - show, n - show == 1 ? "" : "s");
		buf_init(&more, 0);
		buf_adds(&more, line);
		if (emit_line(text, &more,
			width > 0 ? (size_t)width : SIZE_MAX) == -1)
			buf_reset(text);
		buf_free(&more);
	}
}

/* Redraw the table in place (terminal). */
static void
draw(int64_t now)
{
	struct buf text, frame;
	size_t up, n = 0;
	const char *p;
	char *nl;
	int maxl;

	if (st.out != STATUS_OUT_TTY || st.broken || st.final || st.busy ||
	    st.sup == NULL)
		return;
	sample_all(now);
	/* The previous frame is still going out: skip this one. */
	if (out_flush() != 1)
		return;
	st.busy = 1;
	/* Asked every time: a tick may come before the SIGWINCH does, and
	 * the rows the old frame takes depend on the width now. */
	query_size();
	maxl = st.lines - 1 < STATUS_MAX_LINES ? st.lines - 1 :
						 STATUS_MAX_LINES;
	buf_init(&text, STATUS_FRAME_MAX);
	buf_init(&frame, STATUS_FRAME_MAX);
	/* One column spare: a full-width line leaves some terminals in the
	 * pending-wrap state where erase-to-end-of-line eats its last
	 * character. */
	build_text(&text, st.cols > 1 ? st.cols - 1 : 1,
	    (size_t)(maxl > 2 ? maxl : 2), now);
	up = status_rows_used(st.widths, st.nlines, st.cols);
	if (text.len > 0 && status_frame(&frame, text.data, up) == 0 &&
	    out_send(frame.data, frame.len) == 1) {
		for (p = text.data; *p != '\0' && n < STATUS_MAX_LINES; n++) {
			nl = strchr(p, '\n');
			*nl = '\0';
			st.widths[n] = status_width(p);
			p = nl + 1;
		}
		st.nlines = n;
		st.hidden = 0;
		st.last_draw_ms = now;
	}
	buf_free(&text);
	buf_free(&frame);
	st.busy = 0;
}

/* A plain snapshot: a timestamp line, then the table. */
static void
snapshot(int64_t now)
{
	struct buf text;
	char ts[32];

	if (st.broken || st.busy || st.sup == NULL)
		return;
	st.busy = 1;
	sample_all(now);
	buf_init(&text, STATUS_FRAME_MAX);
	output_timestamp(wall_ms(), ts, sizeof(ts));
	buf_printf(&text, "%s\n", ts);
	/* No width on a file or pipe: an error is worth its whole line. */
	build_text(&text, st.tty ? st.cols - 1 : 0, 0, now);
	if (text.len > 0)
		out_send(text.data, text.len);
	buf_free(&text);
	st.busy = 0;
}

/* Take the table off the screen so other output can go where it was. */
static void
hide(void)
{
	struct buf seq;
	size_t up;

	if (st.out != STATUS_OUT_TTY || st.final || st.busy || st.nlines == 0)
		return;
	if (out_flush() != 1) {
		/* A frame is half out: forget it and start below. */
		buf_reset(&st.pend);
		st.pend_off = 0;
		st.nlines = 0;
		return;
	}
	query_size();
	up = status_rows_used(st.widths, st.nlines, st.cols);
	buf_init(&seq, STATUS_FRAME_MAX);
	if (status_erase(&seq, up) == 0 && out_send(seq.data, seq.len) == 1) {
		st.nlines = 0;
		st.hidden = 1;
	}
	buf_free(&seq);
}

static void
show(void)
{
	if (st.hidden)
		draw(clock_ms());
}

/* log_warn() and friends write to stderr, right where the table is. */
static void
log_sink_cb(int level, const char *msg, void *arg)
{
	hide();
	fprintf(stderr, "ddb-sync: %s\n", msg);
	show();
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = clock_ms();

	if (st.out == STATUS_OUT_TTY) {
		draw(now);
		return;
	}
	sample_all(now);
	if (now >= st.next_plain_ms) {
		snapshot(now);
		st.next_plain_ms = now + st.plain_ms;
	}
}

static void
redraw_cb(evutil_socket_t fd, short what, void *arg)
{
	draw(clock_ms());
}

/* Rate-limited: at once, or when STATUS_MIN_REDRAW_MS have passed. */
static void
request_draw(void)
{
	int64_t now = clock_ms(), wait;
	struct timeval tv;

	wait = st.last_draw_ms + STATUS_MIN_REDRAW_MS - now;
	if (st.last_draw_ms == 0 || wait <= 0 || st.ev_redraw == NULL) {
		draw(now);
		return;
	}
	if (evtimer_pending(st.ev_redraw, NULL))
		return;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(st.ev_redraw, &tv);
}

static void
winch_cb(evutil_socket_t sig, short what, void *arg)
{
	query_size();
	request_draw();
}

static void
start_events(struct sup *s)
{
	struct timeval tv;
	int64_t tick = STATUS_TICK_MS;

	if (st.started || s->base == NULL)
		return;
	/* Snapshots more often than a tick (tests) need a faster tick. */
	if (st.out == STATUS_OUT_PLAIN && st.plain_ms < tick)
		tick = st.plain_ms;
	tv.tv_sec = tick / 1000;
	tv.tv_usec = (tick % 1000) * 1000;
	st.started = 1;
	st.ev_tick = event_new(s->base, -1, EV_PERSIST, tick_cb, NULL);
	st.ev_redraw = evtimer_new(s->base, redraw_cb, NULL);
	if (st.ev_tick == NULL || st.ev_redraw == NULL)
		fatalx("event_new");
	evtimer_add(st.ev_tick, &tv);
	if (st.out == STATUS_OUT_TTY) {
		st.ev_winch = evsignal_new(s->base, SIGWINCH, winch_cb, NULL);
		if (st.ev_winch == NULL)
			fatalx("evsignal_new");
		evsignal_add(st.ev_winch, NULL);
	}
	st.next_plain_ms = clock_ms() + st.plain_ms;
}

static void
stop_events(void)
{
	if (st.ev_tick != NULL)
		event_free(st.ev_tick);
	if (st.ev_redraw != NULL)
		event_free(st.ev_redraw);
	if (st.ev_winch != NULL)
		event_free(st.ev_winch);
	st.ev_tick = st.ev_redraw = st.ev_winch = NULL;
}

void
status_init(struct sup *s, enum options_status mode, int64_t plain_ms)
{
	st.sup = s;
	if (s->verify.on)
		col_header[COL_BACKFILL] = "VERIFY";
	st.plain_ms = plain_ms > 0 ? plain_ms : OPTIONS_STATUS_INTERVAL_MS;
	switch (mode) {
	case OPTIONS_STATUS_AUTO:
		st.out = isatty(STDERR_FILENO) ? STATUS_OUT_TTY :
						 STATUS_OUT_PLAIN;
		break;
	case OPTIONS_STATUS_TTY:
		st.out = STATUS_OUT_TTY;
		break;
	case OPTIONS_STATUS_PLAIN:
		st.out = STATUS_OUT_PLAIN;
		break;
	default:
		st.out = STATUS_OUT_OFF;
		return;
	}
	open_output();
	if (st.fd == -1) {
		st.out = STATUS_OUT_OFF;
		return;
	}
	st.tty = isatty(st.fd);
	st.shared = stdout_shared();
	query_size();
	buf_init(&st.pend, STATUS_FRAME_MAX);
	st.ntrack = s->nchildren;
	st.track = xcalloc(st.ntrack > 0 ? st.ntrack : 1, sizeof(*st.track));
	for (size_t i = 0; i < st.ntrack; i++)
		st.track[i].pid = -1;
	if (st.out == STATUS_OUT_TTY) {
		log_set_sink(log_sink_cb, NULL);
		st.sink = 1;
	}
}

void
status_update(struct sup *s)
{
	if (st.out == STATUS_OUT_OFF || st.final || st.broken)
		return;
	start_events(s);
	if (st.out == STATUS_OUT_TTY)
		request_draw();
}

void
status_before_output(void)
{
	if (st.shared)
		hide();
}

void
status_after_output(void)
{
	if (st.shared)
		show();
}

void
status_final(struct sup *s)
{
	int64_t now = clock_ms();

	if (st.out == STATUS_OUT_OFF || st.final)
		return;
	out_drain();
	if (st.out == STATUS_OUT_TTY)
		draw(now);
	else
		snapshot(now);
	out_drain();
	/* The last table stays; what follows goes below it. */
	st.final = 1;
	stop_events();
}

void
status_shutdown(void)
{
	stop_events();
	if (st.sink) {
		log_set_sink(NULL, NULL);
		st.sink = 0;
	}
	outfd_close(&st.outfd);
	st.fd = -1;
	buf_free(&st.pend);
	st.pend_off = 0;
	free(st.track);
	st.track = NULL;
	st.ntrack = 0;
	st.out = STATUS_OUT_OFF;
	st.started = 0;
}
