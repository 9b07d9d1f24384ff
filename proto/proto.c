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
#include "json.h"
#include "proto.h"
#include "utf8.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#define STR(x)	  #x
#define XSTR(x)	  STR(x)

/*
 * The codec is table-driven so that encoder and decoder cannot disagree on
 * a field's name, type or range. Lines are read through common/json.c, the
 * strict reader on jscan (exact 64-bit integers, duplicates refused).
 */
enum pf_kind {
	PF_STR,	 /* identifier: never truncated */
	PF_TEXT, /* free text: truncated to fit; last in its table */
	PF_U64,
	PF_U32,
	PF_I64,
	PF_BOOL,   /* int, JSON true/false */
	PF_DBL,	   /* finite, >= 0 */
	PF_LEVEL,  /* enum proto_level by name */
	PF_PHASE,  /* enum proto_phase by name */
	PF_PSTATE, /* enum proto_phase_state by name */
};

#define PF_OPTIONAL 0x1 /* may be absent: 0 or "" */
#define PF_NONEMPTY 0x2 /* strings: not "" */
/* PF_I64, with PF_OPTIONAL: absent = -1 (unknown, none), and -1 is left
 * out, as an optional flag at false is. */
#define PF_ABSENT_NEG 0x4
/* PF_U32/PF_U64, with PF_OPTIONAL: 0 is left out (the fleet's lease
 * counts: a one-host pair never sends them). */
#define PF_ABSENT_ZERO 0x8

struct pf {
	const char *name;
	enum pf_kind kind;
	size_t off;  /* in struct proto_msg */
	size_t size; /* strings: buffer size */
	int flags;
	int64_t min;  /* PF_I64 */
	uint64_t max; /* PF_U64, PF_U32; 0 = the type's maximum */
};

#define OFF(t, m) offsetof(struct proto_msg, u.t.m)
#define SZ(t, m)  sizeof(((struct proto_msg *)NULL)->u.t.m)
#define FLD(t, m, k, fl, mn, mx) \
	{ \
#m, k, OFF(t, m), SZ(t, m), fl, mn, mx \
	}

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
	FLD(phase, from_checkpoint, PF_BOOL, PF_OPTIONAL, 0, 0),
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
	FLD(progress, bytes_written, PF_U64, PF_OPTIONAL, 0, 0),
	FLD(progress, stream_skipped, PF_U64, PF_OPTIONAL, 0, 0),
	FLD(progress, transient_errors, PF_U64, PF_OPTIONAL, 0, 0),
	FLD(progress, writes_inflight, PF_U32, PF_OPTIONAL, 0, 0),
	FLD(progress, writes_limit, PF_U32, PF_OPTIONAL, 0, 0),
	FLD(progress, read_limit, PF_DBL, PF_OPTIONAL, 0, 0),
	FLD(progress, write_limit, PF_DBL, PF_OPTIONAL, 0, 0),
	FLD(progress, spool_bytes, PF_U64, PF_OPTIONAL, 0, 0),
	FLD(progress, spool_oldest_ms, PF_I64, PF_OPTIONAL | PF_ABSENT_NEG, -1,
	    0),
	FLD(progress, spool_paused, PF_BOOL, PF_OPTIONAL, 0, 0),
	FLD(progress, spool_read_lag_ms, PF_I64, PF_OPTIONAL | PF_ABSENT_NEG,
	    -1, 0),
	FLD(progress, leases_held, PF_U32, PF_OPTIONAL | PF_ABSENT_ZERO, 0, 0),
	FLD(progress, leases_lost, PF_U64, PF_OPTIONAL | PF_ABSENT_ZERO, 0, 0),
	FLD(progress, lease_conflicts, PF_U64, PF_OPTIONAL | PF_ABSENT_ZERO, 0,
	    0),
};

static const struct pf pf_limits[] = {
	FLD(limits, read, PF_DBL, 0, 0, 0),
	FLD(limits, read_pct, PF_DBL, 0, 0, 0),
	FLD(limits, write, PF_DBL, 0, 0, 0),
	FLD(limits, write_pct, PF_DBL, 0, 0, 0),
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
	const char *name;
	const struct pf *fields;
	size_t nfields;
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
	[PROTO_LIMITS] = { "limits", pf_limits, nitems(pf_limits) },
};

/* The seen-field mask of the decoder is 64 bits wide. */
_Static_assert(nitems(pf_progress) <= 64, "too many fields");

static const char *const level_names[PROTO_LVL_MAX] = {
	"error",
	"warn",
	"info",
	"debug",
};
static const char *const phase_names[PROTO_PHASE_MAX] = {
	"backfill",
	"stream",
};
static const char *const pstate_names[PROTO_PS_MAX] = {
	"pending",
	"running",
	"complete",
	"skipped",
	"failed",
	"stopped",
};
static const char *const done_statuses[] = {
	"complete",
	"stopped",
	"failed",
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

int
proto_spool_shown(const struct proto_progress *p)
{
	return p->spool_bytes > 0 || p->spool_paused;
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
	char *p;
	size_t len;
	size_t cap; /* bytes usable before the newline */
	int full;
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

#define ESC_DONE 0
#define ESC_ROOM 1 /* cut: output room exhausted */
#define ESC_CAP	 2 /* cut: receiver's buffer would overflow */

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
			return json_err(err, errlen,
			    "%s: field \"%s\" is empty", t->name, f->name);
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
			return json_err(err, errlen,
			    "%s: field \"%s\" is %" PRIu64
			    ", out of range 0..%" PRIu64,
			    t->name, f->name, u, max);
		break;
	case PF_I64:
		memcpy(&i, p, sizeof(i));
		if (i < f->min)
			return json_err(err, errlen,
			    "%s: field \"%s\" is %" PRId64
			    ", must be at least %" PRId64,
			    t->name, f->name, i, f->min);
		break;
	case PF_BOOL:
		break;
	case PF_DBL:
		memcpy(&d, p, sizeof(d));
		if (!isfinite(d) || d < 0)
			return json_err(err, errlen,
			    "%s: field \"%s\" must be a "
			    "finite number >= 0",
			    t->name, f->name);
		break;
	case PF_LEVEL:
	case PF_PHASE:
	case PF_PSTATE:
		e = get_int(m, f->off);
		if (e < 0 || e >= enum_count(f->kind))
			return json_err(err, errlen,
			    "%s: field \"%s\" has an "
			    "invalid value %d",
			    t->name, f->name, e);
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
			return json_err(err, errlen,
			    "progress: segments_done "
			    "(%" PRIu32 ") > segments_total (%" PRIu32 ")",
			    pg->segments_done, pg->segments_total);
		if (pg->shards_done > pg->shards_total)
			return json_err(err, errlen,
			    "progress: shards_done "
			    "(%" PRIu32 ") > shards_total (%" PRIu32 ")",
			    pg->shards_done, pg->shards_total);
		break;
	case PROTO_CHECKPOINT:
		if (strcmp(ck->kind, "segment") == 0) {
			if (!is_digits(ck->id,
				strnlen(ck->id, sizeof(ck->id))) ||
			    strlen(ck->id) > 10)
				return json_err(err, errlen,
				    "checkpoint: a "
				    "segment id must be a decimal number");
		} else if (strcmp(ck->kind, "shard") != 0)
			return json_err(err, errlen,
			    "checkpoint: field \"kind\" "
			    "must be \"segment\" or \"shard\"");
		break;
	case PROTO_LIMITS:
		if (m->u.limits.read_pct > 100 || m->u.limits.write_pct > 100)
			return json_err(err, errlen,
			    "limits: a percentage is "
			    "above 100");
		if ((m->u.limits.read > 0 && m->u.limits.read_pct > 0) ||
		    (m->u.limits.write > 0 && m->u.limits.write_pct > 0))
			return json_err(err, errlen,
			    "limits: a side has both "
			    "units and a percentage");
		break;
	case PROTO_DONE:
		for (i = 0; i < nitems(done_statuses); i++)
			if (strcmp(m->u.done.status, done_statuses[i]) == 0)
				break;
		if (i == nitems(done_statuses))
			return json_err(err, errlen,
			    "done: field \"status\" must "
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

	/* An optional flag at its default says nothing: left out. */
	if (f->kind == PF_BOOL && (f->flags & PF_OPTIONAL) &&
	    !get_int(m, f->off))
		return 0;
	if (f->flags & PF_ABSENT_NEG) {
		memcpy(&i, p, sizeof(i));
		if (i == -1)
			return 0;
	}
	if (f->flags & PF_ABSENT_ZERO) {
		if (f->kind == PF_U32)
			memcpy(&u32, p, sizeof(u32));
		else
			memcpy(&u, p, sizeof(u));
		if (f->kind == PF_U32 ? u32 == 0 : u == 0)
			return 0;
	}
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
			return -1; /* identifiers are never cut */
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
			d = 0; /* no "-0" */
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

static int
decode_field(const struct ptype *t, const struct pf *f, const struct jspan *v,
    struct proto_msg *m, char *err, size_t errlen)
{
	char *p = (char *)m + f->off;
	char sbuf[JSON_SHOW_MAX], tmp[32];
	enum json_str_err se;
	uint64_t mag;
	uint32_t u32;
	int64_t i64;
	double d;
	char *endp;
	locale_t loc;
	int neg, r, e, n, b;

	switch (f->kind) {
	case PF_STR:
	case PF_TEXT:
		if ((se = json_string(v, p, f->size, NULL)) == JSON_STR_OK)
			return 0;
		if (se == JSON_STR_TOO_LONG)
			return json_err(err, errlen,
			    "%s: field \"%s\" is "
			    "longer than %zu bytes",
			    t->name, f->name, f->size - 1);
		return json_err(err, errlen, "%s: field \"%s\" %s", t->name,
		    f->name, json_str_why(se));
	case PF_U64:
	case PF_U32:
	case PF_I64:
		if ((r = json_int(v, &neg, &mag)) == -1)
			return json_err(err, errlen,
			    "%s: field \"%s\" must be "
			    "an integer, got %s",
			    t->name, f->name,
			    json_show(v->p, v->len, sbuf, sizeof(sbuf)));
		if (f->kind != PF_I64 && neg)
			return json_err(err, errlen,
			    "%s: field \"%s\" must "
			    "not be negative",
			    t->name, f->name);
		if (r == -2 || (f->kind == PF_U32 && mag > UINT32_MAX) ||
		    (f->kind == PF_I64 &&
			mag > (uint64_t)INT64_MAX + (neg ? 1u : 0u)))
			return json_err(err, errlen,
			    "%s: field \"%s\" is out "
			    "of range: %s",
			    t->name, f->name,
			    json_show(v->p, v->len, sbuf, sizeof(sbuf)));
		if (f->kind == PF_U64)
			memcpy(p, &mag, sizeof(mag));
		else if (f->kind == PF_U32) {
			u32 = (uint32_t)mag;
			memcpy(p, &u32, sizeof(u32));
		} else {
			if (neg)
				i64 = mag == (uint64_t)INT64_MAX + 1 ?
				    INT64_MIN :
				    -(int64_t)mag;
			else
				i64 = (int64_t)mag;
			memcpy(p, &i64, sizeof(i64));
		}
		return 0;
	case PF_BOOL:
		if (json_bool(v, &b) == -1)
			return json_err(err, errlen,
			    "%s: field \"%s\" must be "
			    "true or false",
			    t->name, f->name);
		set_int(m, f->off, b);
		return 0;
	case PF_DBL:
		if (v->p[0] != '-' && (v->p[0] < '0' || v->p[0] > '9'))
			return json_err(err, errlen,
			    "%s: field \"%s\" must be "
			    "a number",
			    t->name, f->name);
		if (v->len >= sizeof(sbuf))
			return json_err(err, errlen,
			    "%s: field \"%s\" has too "
			    "many digits",
			    t->name, f->name);
		memcpy(sbuf, v->p, v->len);
		sbuf[v->len] = '\0';
		errno = 0;
		if ((loc = c_locale()) != (locale_t)0)
			d = strtod_l(sbuf, &endp, loc);
		else
			d = strtod(sbuf, &endp);
		if (*endp != '\0' || !isfinite(d))
			return json_err(err, errlen,
			    "%s: field \"%s\" is not "
			    "a finite number: %s",
			    t->name, f->name,
			    json_show(v->p, v->len, tmp, sizeof(tmp)));
		memcpy(p, &d, sizeof(d));
		return 0;
	case PF_LEVEL:
	case PF_PHASE:
	case PF_PSTATE:
		if (v->p[0] != '"')
			return json_err(err, errlen,
			    "%s: field \"%s\" must be "
			    "a string",
			    t->name, f->name);
		n = enum_count(f->kind);
		if (json_string(v, tmp, sizeof(tmp), NULL) == JSON_STR_OK) {
			for (e = 0; e < n; e++)
				if (strcmp(tmp, enum_names(f->kind)[e]) == 0) {
					set_int(m, f->off, e);
					return 0;
				}
		}
		return json_err(err, errlen,
		    "%s: field \"%s\" has an unknown "
		    "value %s",
		    t->name, f->name,
		    json_show(v->p, v->len, sbuf, sizeof(sbuf)));
	}
	return 0;
}

/* The longest field table; json_fields() gets one entry per field. */
#define PF_MAX 48
_Static_assert(nitems(pf_progress) <= PF_MAX, "PF_MAX too small");

int
proto_decode(const char *line, size_t len, struct proto_msg *m, char *err,
    size_t errlen)
{
	const struct ptype *t = NULL;
	struct json_field head[] = { { .name = "v" }, { .name = "type" } };
	struct json_field f[PF_MAX];
	struct jspan obj;
	char tname[32], sbuf[JSON_SHOW_MAX];
	uint64_t mag;
	size_t i, at, dup;
	int r, neg;

	memset(m, 0, sizeof(*m));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len == 0)
		return json_err(err, errlen, "empty line");
	if (len >= PROTO_MAX_LINE)
		return json_err(err, errlen, "line longer than %d bytes",
		    PROTO_MAX_LINE);
	if (memchr(line, '\0', len) != NULL)
		return json_err(err, errlen, "NUL byte in line");
	switch (json_doc(line, len, &obj, &at)) {
	case 0:
		break;
	case JSON_DOC_TRAILING:
		return json_err(err, errlen,
		    "trailing data after the JSON "
		    "object at byte %zu",
		    at);
	case JSON_DOC_NOT_OBJECT:
		return json_err(err, errlen, "not a JSON object");
	default:
		return json_err(err, errlen, "not valid JSON: %s",
		    json_show(line, len, sbuf, sizeof(sbuf)));
	}

	/* The version and the type first, wherever they are. */
	if ((r = json_fields(&obj, head, nitems(head), &dup)) ==
	    JSON_FIELDS_DUP)
		return json_err(err, errlen, "duplicate field \"%s\"",
		    head[dup].name);
	if (r != 0)
		return json_err(err, errlen, "not valid JSON");
	if (!head[0].seen)
		return json_err(err, errlen,
		    "missing field \"v\" (protocol "
		    "version)");
	r = json_int(&head[0].v, &neg, &mag);
	if (r == -1)
		return json_err(err, errlen,
		    "field \"v\" must be an integer, "
		    "got %s",
		    json_show(head[0].v.p, head[0].v.len, sbuf, sizeof(sbuf)));
	if (r == -2 || neg || mag != PROTO_VERSION)
		return json_err(err, errlen,
		    "unsupported protocol version %s "
		    "(this ddb-sync speaks %d)",
		    json_show(head[0].v.p, head[0].v.len, sbuf, sizeof(sbuf)),
		    PROTO_VERSION);
	if (!head[1].seen)
		return json_err(err, errlen, "missing field \"type\"");
	if (head[1].v.p[0] != '"')
		return json_err(err, errlen, "field \"type\" must be a string");
	if (json_string(&head[1].v, tname, sizeof(tname), NULL) ==
	    JSON_STR_OK) {
		for (i = 0; i < PROTO_TYPE_MAX; i++)
			if (strcmp(tname, ptypes[i].name) == 0) {
				t = &ptypes[i];
				m->type = (enum proto_type)i;
				break;
			}
	}
	if (t == NULL)
		return json_err(err, errlen, "unknown message type %s",
		    json_show(head[1].v.p, head[1].v.len, sbuf, sizeof(sbuf)));

	/* Then the type's fields; others are ignored. */
	for (i = 0; i < t->nfields; i++)
		f[i].name = t->fields[i].name;
	if ((r = json_fields(&obj, f, t->nfields, &dup)) == JSON_FIELDS_DUP)
		return json_err(err, errlen, "%s: duplicate field \"%s\"",
		    t->name, f[dup].name);
	if (r != 0)
		return json_err(err, errlen, "not valid JSON");
	for (i = 0; i < t->nfields; i++) {
		if (!f[i].seen) {
			if (!(t->fields[i].flags & PF_OPTIONAL))
				return json_err(err, errlen,
				    "%s: missing "
				    "field \"%s\"",
				    t->name, f[i].name);
			if (t->fields[i].flags & PF_ABSENT_NEG) {
				int64_t neg1 = -1;

				memcpy((char *)m + t->fields[i].off, &neg1,
				    sizeof(neg1));
			}
			continue;
		}
		if (decode_field(t, &t->fields[i], &f[i].v, m, err, errlen) ==
		    -1)
			return -1;
	}
	for (i = 0; i < t->nfields; i++)
		if (check_field(t, &t->fields[i], m, err, errlen) == -1)
			return -1;
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
proto_reader_next(struct proto_reader *r, const char **line, size_t *linelen)
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
