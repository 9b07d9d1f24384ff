/* proto.c: the worker -> supervisor line protocol codec (PROTOCOL.md). */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "jscan.h"
#include "proto.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define STR(x)		#x
#define XSTR(x)		STR(x)

/*
 * The codec is table-driven so that encoder and decoder cannot disagree on
 * a field's name, type or range. cJSON is not used: it parses numbers as
 * doubles, which cannot carry 64-bit counters exactly.
 */
enum pf_kind {
	PF_STR,		/* identifier: never truncated */
	PF_TEXT,	/* free text: truncated to fit; last in its table */
	PF_U64,
	PF_U32,
	PF_I64,
	PF_BOOL,	/* int, JSON true/false */
	PF_DBL,		/* finite, >= 0 */
	PF_LEVEL,	/* enum proto_level by name */
	PF_PHASE,	/* enum proto_phase by name */
	PF_PSTATE,	/* enum proto_phase_state by name */
};

#define PF_OPTIONAL	0x1	/* may be absent: 0 or "" */
#define PF_NONEMPTY	0x2	/* strings: not "" */

struct pf {
	const char	*name;
	enum pf_kind	 kind;
	size_t		 off;	/* in struct proto_msg */
	size_t		 size;	/* strings: buffer size */
	int		 flags;
	int64_t		 min;	/* PF_I64 */
	uint64_t	 max;	/* PF_U64, PF_U32; 0 = the type's maximum */
};

#define OFF(t, m)	offsetof(struct proto_msg, u.t.m)
#define SZ(t, m)	sizeof(((struct proto_msg *)NULL)->u.t.m)
#define FLD(t, m, k, fl, mn, mx)					\
	{ #m, k, OFF(t, m), SZ(t, m), fl, mn, mx }

/* Enums are read and written through an int. */
_Static_assert(sizeof(enum proto_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum proto_phase) == sizeof(int), "enum size");
_Static_assert(sizeof(enum proto_phase_state) == sizeof(int), "enum size");

static const struct pf pf_hello[] = {
	FLD(hello, pid, PF_I64, 0, 1, 0),
	FLD(hello, pair, PF_STR, PF_NONEMPTY, 0, 0),
	FLD(hello, version, PF_STR, PF_NONEMPTY, 0, 0),
	FLD(hello, resume, PF_TEXT, PF_OPTIONAL, 0, 0),
};

static const struct pf pf_log[] = {
	FLD(log, level, PF_LEVEL, 0, 0, 0),
	FLD(log, msg, PF_TEXT, 0, 0, 0),
};

static const struct pf pf_phase[] = {
	FLD(phase, phase, PF_PHASE, 0, 0, 0),
	FLD(phase, state, PF_PSTATE, 0, 0, 0),
	FLD(phase, items, PF_U64, 0, 0, 0),
	FLD(phase, duration_ms, PF_U64, 0, 0, 0),
	FLD(phase, detail, PF_TEXT, 0, 0, 0),
};

static const struct pf pf_progress[] = {
	FLD(progress, phase, PF_PHASE, 0, 0, 0),
	FLD(progress, est_items, PF_U64, 0, 0, 0),
	FLD(progress, est_bytes, PF_U64, 0, 0, 0),
	FLD(progress, est_exact, PF_BOOL, 0, 0, 0),
	FLD(progress, items_read, PF_U64, 0, 0, 0),
	FLD(progress, items_written, PF_U64, 0, 0, 0),
	FLD(progress, bytes_read, PF_U64, 0, 0, 0),
	FLD(progress, segments_done, PF_U32, 0, 0, 0),
	FLD(progress, segments_total, PF_U32, 0, 0, 0),
	FLD(progress, rcu, PF_DBL, 0, 0, 0),
	FLD(progress, wcu, PF_DBL, 0, 0, 0),
	FLD(progress, buffer_pct, PF_U32, 0, 0, 100),
	FLD(progress, stream_written, PF_U64, 0, 0, 0),
	FLD(progress, stream_latency_ms, PF_I64, 0, -1, 0),
	FLD(progress, caught_up, PF_BOOL, 0, 0, 0),
	FLD(progress, shards_active, PF_U32, 0, 0, 0),
	FLD(progress, throttles, PF_U64, 0, 0, 0),
	FLD(progress, retries, PF_U64, 0, 0, 0),
	FLD(progress, elapsed_ms, PF_U64, 0, 0, 0),
	FLD(progress, stream_read, PF_U64, 0, 0, 0),
	FLD(progress, shards_done, PF_U32, 0, 0, 0),
	FLD(progress, shards_total, PF_U32, 0, 0, 0),
	FLD(progress, retention_risk, PF_BOOL, 0, 0, 0),
	FLD(progress, gap, PF_BOOL, 0, 0, 0),
	FLD(progress, ttl_expired_skipped, PF_U64, PF_OPTIONAL, 0, 0),
	FLD(progress, ttl_deletes_skipped, PF_U64, PF_OPTIONAL, 0, 0),
};

static const struct pf pf_checkpoint[] = {
	FLD(checkpoint, kind, PF_STR, PF_NONEMPTY, 0, 0),
	FLD(checkpoint, id, PF_STR, PF_NONEMPTY, 0, 0),
	FLD(checkpoint, items, PF_U64, 0, 0, 0),
	FLD(checkpoint, done, PF_BOOL, 0, 0, 0),
};

static const struct pf pf_error[] = {
	FLD(error, code, PF_STR, PF_NONEMPTY, 0, 0),
	FLD(error, fatal, PF_BOOL, 0, 0, 0),
	FLD(error, msg, PF_TEXT, 0, 0, 0),
};

static const struct pf pf_done[] = {
	FLD(done, status, PF_STR, PF_NONEMPTY, 0, 0),
};

static const struct pf pf_warning[] = {
	FLD(warning, code, PF_STR, PF_NONEMPTY, 0, 0),
	FLD(warning, msg, PF_TEXT, 0, 0, 0),
};

struct ptype {
	const char	*name;
	const struct pf	*fields;
	size_t		 nfields;
};

static const struct ptype ptypes[PROTO_TYPE_MAX] = {
	[PROTO_HELLO] = { "hello", pf_hello, nitems(pf_hello) },
	[PROTO_LOG] = { "log", pf_log, nitems(pf_log) },
	[PROTO_PHASE] = { "phase", pf_phase, nitems(pf_phase) },
	[PROTO_PROGRESS] = { "progress", pf_progress, nitems(pf_progress) },
	[PROTO_CHECKPOINT] = { "checkpoint", pf_checkpoint,
	    nitems(pf_checkpoint) },
	[PROTO_ERROR] = { "error", pf_error, nitems(pf_error) },
	[PROTO_DONE] = { "done", pf_done, nitems(pf_done) },
	[PROTO_WARNING] = { "warning", pf_warning, nitems(pf_warning) },
};

/* The seen-field mask of the decoder is 64 bits wide. */
_Static_assert(nitems(pf_progress) <= 64, "too many fields");

static const char *const level_names[PROTO_LVL_MAX] = {
	"error", "warn", "info", "debug",
};
static const char *const phase_names[PROTO_PHASE_MAX] = {
	"backfill", "stream",
};
static const char *const pstate_names[PROTO_PS_MAX] = {
	"pending", "running", "complete", "skipped", "failed", "stopped",
};
static const char *const done_statuses[] = {
	"complete", "stopped", "failed",
};

const char *
proto_type_name(enum proto_type t)
{
	if ((unsigned)t >= PROTO_TYPE_MAX)
		return "unknown";
	return ptypes[t].name;
}

const char *
proto_phase_name(enum proto_phase p)
{
	if ((unsigned)p >= PROTO_PHASE_MAX)
		return "unknown";
	return phase_names[p];
}

const char *
proto_phase_state_name(enum proto_phase_state s)
{
	if ((unsigned)s >= PROTO_PS_MAX)
		return "unknown";
	return pstate_names[s];
}

const char *
proto_level_name(enum proto_level l)
{
	if ((unsigned)l >= PROTO_LVL_MAX)
		return "unknown";
	return level_names[l];
}

/* Error messages may be cut to errlen: they are for humans. */
static int __attribute__((format(printf, 3, 4)))
perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Quote untrusted bytes for an error message: at most 40 of them, anything
 * but printable ASCII shown as '?', so a worker cannot inject escape
 * sequences into the supervisor's log.
 */
static const char *
show(const char *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0, lim = 40;

	for (i = 0; i < n && i < lim && o + 4 < outsz; i++) {
		unsigned char c = (unsigned char)p[i];

		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/*
 * Length of the valid UTF-8 sequence (RFC 3629: no overlongs, surrogates or
 * code points above U+10FFFF) at p, or 0 if the bytes there are not one.
 */
static size_t
utf8_seqlen(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* C-locale numbers whatever setlocale() the supervisor made. */
static locale_t
c_locale(void)
{
	static locale_t loc = (locale_t)0;

	if (loc == (locale_t)0)
		loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return loc;
}

/* ---------------------------------------------------------------- encoder */

struct pw {
	char	*p;
	size_t	 len;
	size_t	 cap;	/* bytes usable before the newline */
	int	 full;
};

static void
pw_add(struct pw *w, const char *s, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
pw_adds(struct pw *w, const char *s)
{
	pw_add(w, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
pw_printf(struct pw *w, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->full = 1;
		return;
	}
	pw_add(w, tmp, (size_t)n);
}

#define ESC_DONE	0
#define ESC_ROOM	1	/* cut: output room exhausted */
#define ESC_CAP		2	/* cut: receiver's buffer would overflow */

/*
 * Append s as the inside of a JSON string, using at most room output bytes
 * and producing at most decmax bytes once decoded; stops on a character
 * boundary. Invalid UTF-8 bytes become U+FFFD.
 */
static int
pw_escape(struct pw *w, const char *s, size_t n, size_t room, size_t decmax)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, used = 0, dec = 0, in, k, kd;
	char esc[6];
	const char *o;

	while (i < n) {
		unsigned char c = u[i];

		in = 1;
		kd = 1;
		k = 2;
		switch (c) {
		case '"':
			o = "\\\"";
			break;
		case '\\':
			o = "\\\\";
			break;
		case '\b':
			o = "\\b";
			break;
		case '\f':
			o = "\\f";
			break;
		case '\n':
			o = "\\n";
			break;
		case '\r':
			o = "\\r";
			break;
		case '\t':
			o = "\\t";
			break;
		default:
			if (c < 0x20) {
				esc[0] = '\\';
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				o = esc;
				k = 6;
			} else if ((in = utf8_seqlen(u + i, n - i)) > 0) {
				o = s + i;
				k = kd = in;
			} else {
				o = "\xef\xbf\xbd";
				k = kd = 3;
				in = 1;
			}
			break;
		}
		if (k > room - used)
			return ESC_ROOM;
		if (kd > decmax - dec)
			return ESC_CAP;
		pw_add(w, o, k);
		used += k;
		dec += kd;
		i += in;
	}
	return ESC_DONE;
}

static int
get_int(const struct proto_msg *m, size_t off)
{
	int v;

	memcpy(&v, (const char *)m + off, sizeof(v));
	return v;
}

static void
set_int(struct proto_msg *m, size_t off, int v)
{
	memcpy((char *)m + off, &v, sizeof(v));
}

static int
enum_count(enum pf_kind k)
{
	switch (k) {
	case PF_LEVEL:
		return PROTO_LVL_MAX;
	case PF_PHASE:
		return PROTO_PHASE_MAX;
	default:
		return PROTO_PS_MAX;
	}
}

static const char *const *
enum_names(enum pf_kind k)
{
	switch (k) {
	case PF_LEVEL:
		return level_names;
	case PF_PHASE:
		return phase_names;
	default:
		return pstate_names;
	}
}

/* Range checks of one field, shared by encoder and decoder. */
static int
check_field(const struct ptype *t, const struct pf *f,
    const struct proto_msg *m, char *err, size_t errlen)
{
	const char *p = (const char *)m + f->off;
	uint64_t u, max;
	int64_t i;
	double d;
	int e;

	switch (f->kind) {
	case PF_STR:
	case PF_TEXT:
		if ((f->flags & PF_NONEMPTY) && p[0] == '\0')
			return perr(err, errlen, "%s: field \"%s\" is empty",
			    t->name, f->name);
		break;
	case PF_U64:
	case PF_U32:
		if (f->kind == PF_U64)
			memcpy(&u, p, sizeof(u));
		else {
			uint32_t u32;

			memcpy(&u32, p, sizeof(u32));
			u = u32;
		}
		max = f->max;
		if (max != 0 && u > max)
			return perr(err, errlen, "%s: field \"%s\" is %" PRIu64
			    ", out of range 0..%" PRIu64, t->name, f->name, u,
			    max);
		break;
	case PF_I64:
		memcpy(&i, p, sizeof(i));
		if (i < f->min)
			return perr(err, errlen, "%s: field \"%s\" is %" PRId64
			    ", must be at least %" PRId64, t->name, f->name, i,
			    f->min);
		break;
	case PF_BOOL:
		break;
	case PF_DBL:
		memcpy(&d, p, sizeof(d));
		if (!isfinite(d) || d < 0)
			return perr(err, errlen, "%s: field \"%s\" must be a "
			    "finite number >= 0", t->name, f->name);
		break;
	case PF_LEVEL:
	case PF_PHASE:
	case PF_PSTATE:
		e = get_int(m, f->off);
		if (e < 0 || e >= enum_count(f->kind))
			return perr(err, errlen, "%s: field \"%s\" has an "
			    "invalid value %d", t->name, f->name, e);
		break;
	}
	return 0;
}

static int
is_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Rules across fields and value sets of string fields. */
static int
check_msg(const struct proto_msg *m, char *err, size_t errlen)
{
	const struct proto_progress *pg = &m->u.progress;
	const struct proto_checkpoint *ck = &m->u.checkpoint;
	size_t i;

	switch (m->type) {
	case PROTO_PROGRESS:
		if (pg->segments_done > pg->segments_total)
			return perr(err, errlen, "progress: segments_done "
			    "(%" PRIu32 ") > segments_total (%" PRIu32 ")",
			    pg->segments_done, pg->segments_total);
		if (pg->shards_done > pg->shards_total)
			return perr(err, errlen, "progress: shards_done "
			    "(%" PRIu32 ") > shards_total (%" PRIu32 ")",
			    pg->shards_done, pg->shards_total);
		break;
	case PROTO_CHECKPOINT:
		if (strcmp(ck->kind, "segment") == 0) {
			if (!is_digits(ck->id, strnlen(ck->id,
			    sizeof(ck->id))) || strlen(ck->id) > 10)
				return perr(err, errlen, "checkpoint: a "
				    "segment id must be a decimal number");
		} else if (strcmp(ck->kind, "shard") != 0)
			return perr(err, errlen, "checkpoint: field \"kind\" "
			    "must be \"segment\" or \"shard\"");
		break;
	case PROTO_DONE:
		for (i = 0; i < nitems(done_statuses); i++)
			if (strcmp(m->u.done.status, done_statuses[i]) == 0)
				break;
		if (i == nitems(done_statuses))
			return perr(err, errlen, "done: field \"status\" must "
			    "be \"complete\", \"stopped\" or \"failed\"");
		break;
	default:
		break;
	}
	return 0;
}

static int
encode_field(struct pw *w, const struct pf *f, const struct proto_msg *m)
{
	const char *p = (const char *)m + f->off;
	uint64_t u;
	uint32_t u32;
	int64_t i;
	double d;
	size_t n, room;
	locale_t loc, old = (locale_t)0;

	pw_printf(w, ",\"%s\":", f->name);
	switch (f->kind) {
	case PF_STR:
	case PF_TEXT:
		pw_add(w, "\"", 1);
		if (w->full)
			return -1;
		n = strnlen(p, f->size);
		room = w->cap - w->len;
		/* Leave room for the closing quote (and brace of a text). */
		if (room < (f->kind == PF_TEXT ? 2u : 1u))
			return -1;
		room -= f->kind == PF_TEXT ? 2 : 1;
		if (pw_escape(w, p, n, room, f->size - 1) == ESC_ROOM &&
		    f->kind == PF_STR)
			return -1;	/* identifiers are never cut */
		pw_add(w, "\"", 1);
		break;
	case PF_U64:
		memcpy(&u, p, sizeof(u));
		pw_printf(w, "%" PRIu64, u);
		break;
	case PF_U32:
		memcpy(&u32, p, sizeof(u32));
		pw_printf(w, "%" PRIu32, u32);
		break;
	case PF_I64:
		memcpy(&i, p, sizeof(i));
		pw_printf(w, "%" PRId64, i);
		break;
	case PF_BOOL:
		pw_adds(w, get_int(m, f->off) ? "true" : "false");
		break;
	case PF_DBL:
		memcpy(&d, p, sizeof(d));
		if (d == 0)
			d = 0;	/* no "-0" */
		if ((loc = c_locale()) != (locale_t)0)
			old = uselocale(loc);
		pw_printf(w, "%.17g", d);
		if (loc != (locale_t)0)
			uselocale(old);
		break;
	case PF_LEVEL:
	case PF_PHASE:
	case PF_PSTATE:
		pw_printf(w, "\"%s\"", enum_names(f->kind)[get_int(m, f->off)]);
		break;
	}
	return w->full ? -1 : 0;
}

int
proto_encode(const struct proto_msg *m, char *buf, size_t len)
{
	const struct ptype *t;
	struct pw w;
	size_t i, lim;

	if ((unsigned)m->type >= PROTO_TYPE_MAX) {
		errno = EINVAL;
		return -1;
	}
	t = &ptypes[m->type];
	for (i = 0; i < t->nfields; i++)
		if (check_field(t, &t->fields[i], m, NULL, 0) == -1) {
			errno = EINVAL;
			return -1;
		}
	if (check_msg(m, NULL, 0) == -1) {
		errno = EINVAL;
		return -1;
	}
	/* Room for the newline and the NUL: lim bytes of line at most. */
	if (len < 2) {
		errno = ENOSPC;
		return -1;
	}
	lim = len - 1 < PROTO_MAX_LINE ? len - 1 : PROTO_MAX_LINE;
	w.p = buf;
	w.len = 0;
	w.cap = lim - 1;
	w.full = 0;
	pw_printf(&w, "{\"v\":%d,\"type\":\"%s\"", PROTO_VERSION, t->name);
	for (i = 0; i < t->nfields; i++)
		if (encode_field(&w, &t->fields[i], m) == -1) {
			errno = ENOSPC;
			return -1;
		}
	pw_add(&w, "}", 1);
	if (w.full) {
		errno = ENOSPC;
		return -1;
	}
	buf[w.len++] = '\n';
	buf[w.len] = '\0';
	return (int)w.len;
}

/* ---------------------------------------------------------------- decoder */

static void
skip_ws(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t' || **pp == '\r' ||
	    **pp == '\n'))
		(*pp)++;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex4(const char *p, const char *end, unsigned *v)
{
	int i, h;

	if (end - p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		if ((h = hexval(p[i])) < 0)
			return -1;
		*v = *v << 4 | (unsigned)h;
	}
	return 0;
}

/*
 * Decode the inside of a JSON string (raw bytes between the quotes) into
 * out, NUL-terminated, at most outsz - 1 bytes. Returns 0, or -1 with *why
 * set: the result must be valid UTF-8 without NUL bytes.
 */
static int
unescape(const char *p, size_t n, char *out, size_t outsz, const char **why)
{
	const char *end = p + n;
	size_t o = 0, k;
	unsigned cp, lo;
	char tmp[4];

	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (c == '\\') {
			if (end - p < 2)
				goto bad_escape;
			k = 1;
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
				tmp[0] = p[1];
				break;
			case 'b':
				tmp[0] = '\b';
				break;
			case 'f':
				tmp[0] = '\f';
				break;
			case 'n':
				tmp[0] = '\n';
				break;
			case 'r':
				tmp[0] = '\r';
				break;
			case 't':
				tmp[0] = '\t';
				break;
			case 'u':
				if (hex4(p + 2, end, &cp) == -1)
					goto bad_escape;
				p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					goto bad_surrogate;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (end - p < 8 || p[2] != '\\' ||
					    p[3] != 'u' ||
					    hex4(p + 4, end, &lo) == -1 ||
					    lo < 0xdc00 || lo > 0xdfff)
						goto bad_surrogate;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
				if (cp == 0) {
					*why = "contains a NUL character";
					return -1;
				}
				if (cp < 0x80)
					tmp[0] = (char)cp;
				else if (cp < 0x800) {
					tmp[0] = (char)(0xc0 | cp >> 6);
					tmp[1] = (char)(0x80 | (cp & 0x3f));
					k = 2;
				} else if (cp < 0x10000) {
					tmp[0] = (char)(0xe0 | cp >> 12);
					tmp[1] = (char)(0x80 | (cp >> 6 & 0x3f));
					tmp[2] = (char)(0x80 | (cp & 0x3f));
					k = 3;
				} else {
					tmp[0] = (char)(0xf0 | cp >> 18);
					tmp[1] = (char)(0x80 | (cp >> 12 & 0x3f));
					tmp[2] = (char)(0x80 | (cp >> 6 & 0x3f));
					tmp[3] = (char)(0x80 | (cp & 0x3f));
					k = 4;
				}
				break;
			default:
				goto bad_escape;
			}
			p += 2;
			if (k > outsz - 1 - o)
				goto too_long;
			memcpy(out + o, tmp, k);
			o += k;
			continue;
		}
		if (c < 0x20) {
			*why = c == 0 ? "contains a NUL byte" :
			    "contains an unescaped control character";
			return -1;
		}
		if ((k = utf8_seqlen((const unsigned char *)p,
		    (size_t)(end - p))) == 0) {
			*why = "is not valid UTF-8";
			return -1;
		}
		if (k > outsz - 1 - o)
			goto too_long;
		memcpy(out + o, p, k);
		o += k;
		p += k;
	}
	out[o] = '\0';
	return 0;
bad_escape:
	*why = "has an invalid escape";
	return -1;
bad_surrogate:
	*why = "has an unpaired UTF-16 surrogate escape";
	return -1;
too_long:
	*why = "is too long";
	return -1;
}

/*
 * A JSON integer: optional '-', digits without a leading zero. Returns 0,
 * -1 if the span is not an integer, -2 if its magnitude exceeds 64 bits.
 */
static int
parse_int(const char *p, size_t n, int *neg, uint64_t *mag)
{
	size_t i = 0;
	uint64_t v = 0;
	unsigned d;

	*neg = 0;
	if (n > 0 && p[0] == '-') {
		*neg = 1;
		i = 1;
	}
	if (i == n || !is_digits(p + i, n - i))
		return -1;
	if (p[i] == '0' && n - i > 1)
		return -1;
	for (; i < n; i++) {
		d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

static int
decode_field(const struct ptype *t, const struct pf *f,
    const struct jspan *v, struct proto_msg *m, char *err, size_t errlen)
{
	char *p = (char *)m + f->off;
	char sbuf[64], tmp[32];
	const char *why;
	uint64_t mag;
	uint32_t u32;
	int64_t i64;
	double d;
	char *endp;
	locale_t loc;
	int neg, r, e, n;

	switch (f->kind) {
	case PF_STR:
	case PF_TEXT:
		if (v->p[0] != '"')
			goto want_string;
		if (unescape(v->p + 1, v->len - 2, p, f->size, &why) == -1) {
			if (strcmp(why, "is too long") == 0)
				return perr(err, errlen, "%s: field \"%s\" is "
				    "longer than %zu bytes", t->name, f->name,
				    f->size - 1);
			return perr(err, errlen, "%s: field \"%s\" %s",
			    t->name, f->name, why);
		}
		return 0;
	case PF_U64:
	case PF_U32:
	case PF_I64:
		if ((r = parse_int(v->p, v->len, &neg, &mag)) == -1)
			return perr(err, errlen, "%s: field \"%s\" must be an "
			    "integer, got %s", t->name, f->name,
			    show(v->p, v->len, sbuf, sizeof(sbuf)));
		if (f->kind != PF_I64 && neg)
			return perr(err, errlen, "%s: field \"%s\" must not be "
			    "negative", t->name, f->name);
		if (r == -2 || (f->kind == PF_U32 && mag > UINT32_MAX) ||
		    (f->kind == PF_I64 && mag > (uint64_t)INT64_MAX +
		    (neg ? 1u : 0u)))
			return perr(err, errlen, "%s: field \"%s\" is out of "
			    "range: %s", t->name, f->name,
			    show(v->p, v->len, sbuf, sizeof(sbuf)));
		if (f->kind == PF_U64)
			memcpy(p, &mag, sizeof(mag));
		else if (f->kind == PF_U32) {
			u32 = (uint32_t)mag;
			memcpy(p, &u32, sizeof(u32));
		} else {
			if (neg)
				i64 = mag == (uint64_t)INT64_MAX + 1 ?
				    INT64_MIN : -(int64_t)mag;
			else
				i64 = (int64_t)mag;
			memcpy(p, &i64, sizeof(i64));
		}
		return 0;
	case PF_BOOL:
		if (v->len == 4 && memcmp(v->p, "true", 4) == 0)
			set_int(m, f->off, 1);
		else if (v->len == 5 && memcmp(v->p, "false", 5) == 0)
			set_int(m, f->off, 0);
		else
			return perr(err, errlen, "%s: field \"%s\" must be "
			    "true or false", t->name, f->name);
		return 0;
	case PF_DBL:
		if (v->p[0] != '-' && (v->p[0] < '0' || v->p[0] > '9'))
			return perr(err, errlen, "%s: field \"%s\" must be a "
			    "number", t->name, f->name);
		if (v->len >= sizeof(sbuf))
			return perr(err, errlen, "%s: field \"%s\" has too "
			    "many digits", t->name, f->name);
		memcpy(sbuf, v->p, v->len);
		sbuf[v->len] = '\0';
		errno = 0;
		if ((loc = c_locale()) != (locale_t)0)
			d = strtod_l(sbuf, &endp, loc);
		else
			d = strtod(sbuf, &endp);
		if (*endp != '\0' || !isfinite(d))
			return perr(err, errlen, "%s: field \"%s\" is not a "
			    "finite number: %s", t->name, f->name,
			    show(v->p, v->len, tmp, sizeof(tmp)));
		memcpy(p, &d, sizeof(d));
		return 0;
	case PF_LEVEL:
	case PF_PHASE:
	case PF_PSTATE:
		if (v->p[0] != '"')
			goto want_string;
		n = enum_count(f->kind);
		if (unescape(v->p + 1, v->len - 2, tmp, sizeof(tmp),
		    &why) == 0) {
			for (e = 0; e < n; e++)
				if (strcmp(tmp, enum_names(f->kind)[e]) == 0) {
					set_int(m, f->off, e);
					return 0;
				}
		}
		return perr(err, errlen, "%s: field \"%s\" has an unknown "
		    "value %s", t->name, f->name,
		    show(v->p, v->len, sbuf, sizeof(sbuf)));
	}
	return 0;
want_string:
	return perr(err, errlen, "%s: field \"%s\" must be a string",
	    t->name, f->name);
}

/* The key of a member, decoded; "" if it cannot be one of ours. */
static void
member_key(const struct jspan *k, char *key, size_t keysz)
{
	const char *why;

	if (unescape(k->p, k->len, key, keysz, &why) == -1)
		key[0] = '\0';
}

int
proto_decode(const char *line, size_t len, struct proto_msg *m, char *err,
    size_t errlen)
{
	const struct ptype *t = NULL;
	const char *p, *end, *why;
	struct jspan obj, k, v, vspan = { NULL, 0 }, tspan = { NULL, 0 };
	char key[32], tname[32], sbuf[64];
	uint64_t seen = 0, mag;
	size_t i;
	int r, neg, have_v = 0, have_t = 0;

	memset(m, 0, sizeof(*m));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len == 0)
		return perr(err, errlen, "empty line");
	if (len >= PROTO_MAX_LINE)
		return perr(err, errlen, "line longer than %d bytes",
		    PROTO_MAX_LINE);
	if (memchr(line, '\0', len) != NULL)
		return perr(err, errlen, "NUL byte in line");
	p = line;
	end = line + len;
	if (jscan_value(&p, end, &obj) == -1)
		return perr(err, errlen, "not valid JSON: %s",
		    show(line, len, sbuf, sizeof(sbuf)));
	skip_ws(&p, end);
	if (p != end)
		return perr(err, errlen, "trailing data after the JSON object "
		    "at byte %zu", (size_t)(p - line));
	if (obj.p[0] != '{')
		return perr(err, errlen, "not a JSON object");

	/* Pass 1: version and type, wherever they are. */
	p = obj.p;
	end = obj.p + obj.len;
	if (jscan_open(&p, end, '{') == -1)
		return perr(err, errlen, "not a JSON object");
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		member_key(&k, key, sizeof(key));
		if (strcmp(key, "v") == 0) {
			if (have_v++)
				return perr(err, errlen,
				    "duplicate field \"v\"");
			vspan = v;
		} else if (strcmp(key, "type") == 0) {
			if (have_t++)
				return perr(err, errlen,
				    "duplicate field \"type\"");
			tspan = v;
		}
	}
	if (r == -1)
		return perr(err, errlen, "not valid JSON");
	if (!have_v)
		return perr(err, errlen, "missing field \"v\" (protocol "
		    "version)");
	r = parse_int(vspan.p, vspan.len, &neg, &mag);
	if (r == -1)
		return perr(err, errlen, "field \"v\" must be an integer, got "
		    "%s", show(vspan.p, vspan.len, sbuf, sizeof(sbuf)));
	if (r == -2 || neg || mag != PROTO_VERSION)
		return perr(err, errlen, "unsupported protocol version %s "
		    "(this ddb-sync speaks %d)",
		    show(vspan.p, vspan.len, sbuf, sizeof(sbuf)),
		    PROTO_VERSION);
	if (!have_t)
		return perr(err, errlen, "missing field \"type\"");
	if (tspan.p[0] != '"')
		return perr(err, errlen, "field \"type\" must be a string");
	if (unescape(tspan.p + 1, tspan.len - 2, tname, sizeof(tname),
	    &why) == 0) {
		for (i = 0; i < PROTO_TYPE_MAX; i++)
			if (strcmp(tname, ptypes[i].name) == 0) {
				t = &ptypes[i];
				m->type = (enum proto_type)i;
				break;
			}
	}
	if (t == NULL)
		return perr(err, errlen, "unknown message type %s",
		    show(tspan.p, tspan.len, sbuf, sizeof(sbuf)));

	/* Pass 2: the type's fields; others are ignored. */
	p = obj.p;
	(void)jscan_open(&p, end, '{');
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		member_key(&k, key, sizeof(key));
		for (i = 0; i < t->nfields; i++)
			if (strcmp(key, t->fields[i].name) == 0)
				break;
		if (i == t->nfields)
			continue;
		if (seen & (UINT64_C(1) << i))
			return perr(err, errlen, "%s: duplicate field \"%s\"",
			    t->name, t->fields[i].name);
		seen |= UINT64_C(1) << i;
		if (decode_field(t, &t->fields[i], &v, m, err, errlen) == -1)
			return -1;
	}
	if (r == -1)
		return perr(err, errlen, "not valid JSON");
	for (i = 0; i < t->nfields; i++) {
		if (!(seen & (UINT64_C(1) << i)) &&
		    !(t->fields[i].flags & PF_OPTIONAL))
			return perr(err, errlen, "%s: missing field \"%s\"",
			    t->name, t->fields[i].name);
		if (check_field(t, &t->fields[i], m, err, errlen) == -1)
			return -1;
	}
	return check_msg(m, err, errlen);
}

/* ----------------------------------------------------------------- reader */

void
proto_reader_init(struct proto_reader *r)
{
	r->off = r->len = r->scan = 0;
	r->error = 0;
}

static int
reader_fail(struct proto_reader *r, int e)
{
	if (r->error == 0)
		r->error = e;
	errno = r->error;
	return -1;
}

int
proto_reader_feed(struct proto_reader *r, const char *data, size_t n)
{
	if (r->error != 0)
		return reader_fail(r, r->error);
	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (n > sizeof(r->buf) - r->len)
		return reader_fail(r, ENOBUFS);
	if (n > 0)
		memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

int
proto_reader_next(struct proto_reader *r, const char **line,
    size_t *linelen)
{
	size_t i;

	if (r->error != 0)
		return reader_fail(r, r->error);
	for (i = r->off + r->scan; i < r->len; i++) {
		if (r->buf[i] == '\0')
			return reader_fail(r, EILSEQ);
		if (r->buf[i] == '\n')
			break;
	}
	if (i == r->len) {
		r->scan = r->len - r->off;
		/* Even a newline next could not make this line fit. */
		if (r->scan >= PROTO_MAX_LINE)
			return reader_fail(r, EMSGSIZE);
		return 0;
	}
	if (i - r->off + 1 > PROTO_MAX_LINE)
		return reader_fail(r, EMSGSIZE);
	r->buf[i] = '\0';
	*line = r->buf + r->off;
	*linelen = i - r->off;
	r->off = i + 1;
	r->scan = 0;
	return 1;
}

size_t
proto_reader_pending(const struct proto_reader *r)
{
	return r->len - r->off;
}

const char *
proto_reader_errstr(const struct proto_reader *r)
{
	switch (r->error) {
	case 0:
		return "";
	case EMSGSIZE:
		return "line longer than " XSTR(PROTO_MAX_LINE) " bytes";
	case EILSEQ:
		return "NUL byte in a line";
	case ENOBUFS:
		return "more bytes fed than the reader holds";
	default:
		return strerror(r->error);
	}
}
