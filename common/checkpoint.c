/* checkpoint.c: per-pair checkpoint codec, validation and file I/O. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "checkpoint.h"
#include "compat.h"
#include "fmt.h"
#include "jscan.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The decoder walks the text with jscan rather than cJSON: cJSON parses
 * numbers as doubles (64-bit counters must stay exact) and would re-encode
 * LastEvaluatedKey instead of keeping it byte for byte.
 */

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define STR(x)		#x
#define XSTR(x)		STR(x)

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

/* Untrusted bytes in a message: at most 40, non-printable shown as '?'. */
static const char *
show(const char *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < n && i < 40 && o + 4 < outsz; i++) {
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

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 if invalid. */
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

static int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seqlen((const unsigned char *)s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * Identity strings, ids, ARNs: 1..CHECKPOINT_NAME_MAX bytes of printable
 * UTF-8. NULL if s is fine, else what is wrong with it.
 */
static const char *
name_problem(const char *s)
{
	size_t n;

	if (s == NULL)
		return "is missing";
	n = strlen(s);
	if (n == 0)
		return "is empty";
	if (n > CHECKPOINT_NAME_MAX)
		return "is longer than " XSTR(CHECKPOINT_NAME_MAX) " bytes";
	if (!utf8_valid(s, n))
		return "is not valid UTF-8";
	if (fmt_has_control(s, n))
		return "contains a control character";
	return NULL;
}

int
checkpoint_seq_valid(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > CHECKPOINT_SEQ_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
checkpoint_seq_cmp(const char *a, const char *b)
{
	size_t na, nb;
	int c;

	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	na = strlen(a);
	nb = strlen(b);
	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(a, b, na);
	return c < 0 ? -1 : c > 0;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
skip_ws(const char **pp, const char *end)
{
	while (*pp < end && is_ws(**pp))
		(*pp)++;
}

#define COMPACT_UTF8	(-1)	/* a string is not valid UTF-8 */
#define COMPACT_BIG	(-2)	/* the result exceeds out's maximum */

/*
 * Copy a JSON value that jscan accepted without the whitespace outside its
 * strings; strings are copied byte for byte, escapes included.
 */
static int
json_compact(const char *p, size_t n, struct buf *out)
{
	size_t i = 0, j, k;

	while (i < n) {
		if (p[i] == '"') {
			for (j = i + 1; j < n && p[j] != '"'; j += k) {
				if (p[j] == '\\')
					k = 2;
				else if ((k = utf8_seqlen(
				    (const unsigned char *)p + j, n - j)) == 0)
					return COMPACT_UTF8;
			}
			if (j >= n)
				return COMPACT_UTF8;	/* not from jscan */
			if (buf_add(out, p + i, j + 1 - i) == -1)
				return COMPACT_BIG;
			i = j + 1;
			continue;
		}
		for (j = i; j < n && p[j] != '"' && !is_ws(p[j]); j++)
			;
		if (j > i && buf_add(out, p + i, j - i) == -1)
			return COMPACT_BIG;
		for (i = j; i < n && is_ws(p[i]); i++)
			;
	}
	return 0;
}

/* Whether s is a non-empty JSON object, UTF-8, at most the key maximum. */
static const char *
key_problem(const char *s)
{
	const char *p = s, *end;
	struct jspan v, k;
	size_t n = strlen(s);

	if (n > CHECKPOINT_KEY_MAX)
		return "is longer than " XSTR(CHECKPOINT_KEY_MAX) " bytes";
	if (!utf8_valid(s, n))
		return "is not valid UTF-8";
	end = s + n;
	if (jscan_value(&p, end, &v) == -1)
		return "is not valid JSON";
	skip_ws(&p, end);
	if (p != end)
		return "has data after the JSON object";
	p = v.p;
	if (jscan_open(&p, end, '{') == -1)
		return "is not a JSON object";
	if (jscan_member(&p, end, &k, &v) != 1)
		return "is an empty object";
	return NULL;
}

int
checkpoint_set_last_key(struct ckpt_segment *sg, const char *json,
    size_t len)
{
	const char *p, *end;
	struct jspan v;
	struct buf b;
	char *s;
	int r;

	if (json == NULL) {
		free(sg->last_key);
		sg->last_key = NULL;
		return 0;
	}
	p = json;
	end = json + len;
	if (memchr(json, '\0', len) != NULL ||
	    jscan_value(&p, end, &v) == -1) {
		errno = EINVAL;
		return -1;
	}
	skip_ws(&p, end);
	if (p != end || v.p[0] != '{') {
		errno = EINVAL;
		return -1;
	}
	buf_init(&b, CHECKPOINT_KEY_MAX);
	if ((r = json_compact(v.p, v.len, &b)) != 0) {
		errno = r == COMPACT_BIG ? EFBIG : EINVAL;
		buf_free(&b);
		return -1;
	}
	if ((s = buf_steal(&b, NULL)) == NULL || key_problem(s) != NULL) {
		free(s);
		errno = EINVAL;
		return -1;
	}
	free(sg->last_key);
	sg->last_key = s;
	return 0;
}

void
checkpoint_init(struct checkpoint *ck)
{
	memset(ck, 0, sizeof(*ck));
}

void
checkpoint_clear(struct checkpoint *ck)
{
	size_t i;

	free(ck->pair);
	free(ck->src_table);
	free(ck->src_region);
	free(ck->dst_table);
	free(ck->dst_region);
	for (i = 0; i < ck->nsegments; i++)
		free(ck->segments[i].last_key);
	free(ck->segments);
	free(ck->stream_arn);
	for (i = 0; i < ck->nshards; i++) {
		free(ck->shards[i].shard_id);
		free(ck->shards[i].parent_id);
		free(ck->shards[i].seq);
	}
	free(ck->shards);
	checkpoint_init(ck);
}

struct ckpt_segment *
checkpoint_segment(struct checkpoint *ck, uint32_t seg)
{
	size_t i;

	for (i = 0; i < ck->nsegments; i++)
		if (ck->segments[i].segment == seg)
			return &ck->segments[i];
	return NULL;
}

struct ckpt_shard *
checkpoint_shard(struct checkpoint *ck, const char *id)
{
	size_t i;

	for (i = 0; i < ck->nshards; i++)
		if (strcmp(ck->shards[i].shard_id, id) == 0)
			return &ck->shards[i];
	return NULL;
}

struct ckpt_segment *
checkpoint_add_segment(struct checkpoint *ck, uint32_t seg)
{
	struct ckpt_segment *sg;

	if ((sg = checkpoint_segment(ck, seg)) != NULL)
		return sg;
	if (ck->nsegments == ck->segments_cap) {
		ck->segments_cap = ck->segments_cap ? ck->segments_cap * 2 : 16;
		ck->segments = xrealloc(ck->segments,
		    ck->segments_cap * sizeof(*ck->segments));
	}
	sg = &ck->segments[ck->nsegments++];
	memset(sg, 0, sizeof(*sg));
	sg->segment = seg;
	return sg;
}

struct ckpt_shard *
checkpoint_add_shard(struct checkpoint *ck, const char *id,
    const char *parent_id)
{
	struct ckpt_shard *sh;

	if ((sh = checkpoint_shard(ck, id)) != NULL)
		return sh;
	if (ck->nshards == ck->shards_cap) {
		ck->shards_cap = ck->shards_cap ? ck->shards_cap * 2 : 16;
		ck->shards = xrealloc(ck->shards,
		    ck->shards_cap * sizeof(*ck->shards));
	}
	sh = &ck->shards[ck->nshards++];
	memset(sh, 0, sizeof(*sh));
	sh->shard_id = xstrdup(id);
	sh->parent_id = parent_id != NULL ? xstrdup(parent_id) : NULL;
	return sh;
}

/* ------------------------------------------------------------- validation */

static int
check_name(const char *field, const char *s, int nullable, char *err,
    size_t errlen)
{
	const char *why;

	if (s == NULL && nullable)
		return 0;
	if ((why = name_problem(s)) != NULL)
		return perr(err, errlen, "%s %s", field, why);
	return 0;
}

static int
cmp_seg(const void *a, const void *b)
{
	const struct ckpt_segment *const *x = a, *const *y = b;

	return ((*x)->segment > (*y)->segment) -
	    ((*x)->segment < (*y)->segment);
}

static int
cmp_shard(const void *a, const void *b)
{
	const struct ckpt_shard *const *x = a, *const *y = b;

	return strcmp((*x)->shard_id, (*y)->shard_id);
}

/* Duplicates are found through a sorted copy: n log n for big tables. */
static int
check_unique(const struct checkpoint *ck, char *err, size_t errlen)
{
	const struct ckpt_segment **sv = NULL;
	const struct ckpt_shard **hv = NULL;
	char sb[64];
	size_t i, a, b;
	int rc = 0;

	if (ck->nsegments > 1) {
		sv = xcalloc(ck->nsegments, sizeof(*sv));
		for (i = 0; i < ck->nsegments; i++)
			sv[i] = &ck->segments[i];
		qsort(sv, ck->nsegments, sizeof(*sv), cmp_seg);
		for (i = 1; i < ck->nsegments; i++) {
			if (sv[i]->segment != sv[i - 1]->segment)
				continue;
			a = (size_t)(sv[i - 1] - ck->segments);
			b = (size_t)(sv[i] - ck->segments);
			rc = perr(err, errlen, "backfill.segments[%zu]: segment "
			    "%" PRIu32 " is listed twice (also "
			    "backfill.segments[%zu])", a > b ? a : b,
			    sv[i]->segment, a > b ? b : a);
			goto out;
		}
	}
	if (ck->nshards > 1) {
		hv = xcalloc(ck->nshards, sizeof(*hv));
		for (i = 0; i < ck->nshards; i++)
			hv[i] = &ck->shards[i];
		qsort(hv, ck->nshards, sizeof(*hv), cmp_shard);
		for (i = 1; i < ck->nshards; i++) {
			if (strcmp(hv[i]->shard_id, hv[i - 1]->shard_id) != 0)
				continue;
			a = (size_t)(hv[i - 1] - ck->shards);
			b = (size_t)(hv[i] - ck->shards);
			rc = perr(err, errlen, "stream.shards[%zu]: shard \"%s\" "
			    "is listed twice (also stream.shards[%zu])",
			    a > b ? a : b, show(hv[i]->shard_id,
			    strlen(hv[i]->shard_id), sb, sizeof(sb)),
			    a > b ? b : a);
			goto out;
		}
	}
out:
	free(sv);
	free(hv);
	return rc;
}

int
checkpoint_validate(const struct checkpoint *ck, char *err, size_t errlen)
{
	const struct ckpt_segment *sg;
	const struct ckpt_shard *sh;
	const char *why;
	char f[96];
	size_t i;

	if (check_name("identity.pair", ck->pair, 0, err, errlen) == -1 ||
	    check_name("identity.source_table", ck->src_table, 0, err,
	    errlen) == -1 ||
	    check_name("identity.source_region", ck->src_region, 0, err,
	    errlen) == -1 ||
	    check_name("identity.destination_table", ck->dst_table, 0, err,
	    errlen) == -1 ||
	    check_name("identity.destination_region", ck->dst_region, 0, err,
	    errlen) == -1)
		return -1;
	if (ck->total_segments > CHECKPOINT_SEGMENTS_MAX)
		return perr(err, errlen, "identity.total_segments %" PRIu32
		    " is above the maximum %d", ck->total_segments,
		    CHECKPOINT_SEGMENTS_MAX);
	if (ck->backfill_started_ms < 0)
		return perr(err, errlen, "backfill.started_ms is negative");
	if (ck->backfill_completed_ms < 0)
		return perr(err, errlen, "backfill.completed_ms is negative");
	if (ck->backfill_completed_ms != 0 && ck->backfill_started_ms == 0)
		return perr(err, errlen, "backfill.completed_ms is set but "
		    "backfill.started_ms is not");
	if (ck->nsegments > 0 && ck->segments == NULL)
		return perr(err, errlen, "backfill.segments is missing");
	for (i = 0; i < ck->nsegments; i++) {
		sg = &ck->segments[i];
		if (sg->segment >= ck->total_segments)
			return perr(err, errlen, "backfill.segments[%zu].segment "
			    "%" PRIu32 " is not below identity.total_segments "
			    "(%" PRIu32 ")", i, sg->segment,
			    ck->total_segments);
		if (sg->last_key != NULL &&
		    (why = key_problem(sg->last_key)) != NULL)
			return perr(err, errlen,
			    "backfill.segments[%zu].last_key %s", i, why);
		/* A complete backfill with an unfinished segment would
		 * silently skip items on the next run. */
		if (ck->backfill_completed_ms != 0 && !sg->done)
			return perr(err, errlen, "backfill.completed_ms is set "
			    "but backfill.segments[%zu] (segment %" PRIu32 ") "
			    "is not done", i, sg->segment);
	}
	if (check_name("stream.arn", ck->stream_arn, 1, err, errlen) == -1)
		return -1;
	if (ck->stream_started_ms < 0)
		return perr(err, errlen, "stream.started_ms is negative");
	if (ck->nshards > 0 && ck->shards == NULL)
		return perr(err, errlen, "stream.shards is missing");
	if (ck->nshards > 0 && ck->stream_arn == NULL)
		return perr(err, errlen, "stream.shards are listed but "
		    "stream.arn is null");
	if (ck->nshards > CHECKPOINT_SHARDS_MAX)
		return perr(err, errlen, "stream.shards has more than %d "
		    "entries", CHECKPOINT_SHARDS_MAX);
	for (i = 0; i < ck->nshards; i++) {
		sh = &ck->shards[i];
		(void)snprintf(f, sizeof(f), "stream.shards[%zu].shard_id", i);
		if (check_name(f, sh->shard_id, 0, err, errlen) == -1)
			return -1;
		(void)snprintf(f, sizeof(f), "stream.shards[%zu].parent_id", i);
		if (check_name(f, sh->parent_id, 1, err, errlen) == -1)
			return -1;
		if (sh->parent_id != NULL &&
		    strcmp(sh->parent_id, sh->shard_id) == 0)
			return perr(err, errlen, "stream.shards[%zu]: a shard "
			    "cannot be its own parent", i);
		if (sh->seq != NULL && !checkpoint_seq_valid(sh->seq))
			return perr(err, errlen, "stream.shards[%zu].seq is not "
			    "a sequence number (1 to %d decimal digits)", i,
			    CHECKPOINT_SEQ_MAX);
	}
	return check_unique(ck, err, errlen);
}

/* --------------------------------------------------------------- encoder */

/* Append s as a JSON string, or null. */
static int
add_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *p;
	char esc[6];
	int rc = 0;

	if (s == NULL)
		return buf_adds(b, "null");
	rc |= buf_addc(b, '"');
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			rc |= buf_add(b, esc, 2);
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			rc |= buf_add(b, esc, 6);
		} else
			rc |= buf_addc(b, (char)c);
	}
	rc |= buf_addc(b, '"');
	return rc;
}

int
checkpoint_encode(const struct checkpoint *ck, struct buf *out)
{
	const struct ckpt_segment *sg;
	const struct ckpt_shard *sh;
	size_t i, start = out->len;
	int rc = 0;

	if (checkpoint_validate(ck, NULL, 0) == -1) {
		errno = EINVAL;
		return -1;
	}
	/* One segment or shard per line: readable, and diff-friendly. */
	rc |= buf_printf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
	    "  \"identity\": {\n    \"pair\": ", CHECKPOINT_FORMAT,
	    CHECKPOINT_VERSION);
	rc |= add_str(out, ck->pair);
	rc |= buf_adds(out, ",\n    \"source_table\": ");
	rc |= add_str(out, ck->src_table);
	rc |= buf_adds(out, ",\n    \"source_region\": ");
	rc |= add_str(out, ck->src_region);
	rc |= buf_adds(out, ",\n    \"destination_table\": ");
	rc |= add_str(out, ck->dst_table);
	rc |= buf_adds(out, ",\n    \"destination_region\": ");
	rc |= add_str(out, ck->dst_region);
	rc |= buf_printf(out, ",\n    \"total_segments\": %" PRIu32 "\n  },\n"
	    "  \"backfill\": {\n    \"started_ms\": %" PRId64 ",\n"
	    "    \"completed_ms\": %" PRId64 ",\n    \"segments\": [",
	    ck->total_segments, ck->backfill_started_ms,
	    ck->backfill_completed_ms);
	for (i = 0; i < ck->nsegments; i++) {
		sg = &ck->segments[i];
		rc |= buf_printf(out, "%s\n      {\"segment\": %" PRIu32 ", "
		    "\"done\": %s, \"items\": %" PRIu64 ", \"last_key\": ",
		    i > 0 ? "," : "", sg->segment, sg->done ? "true" : "false",
		    sg->items);
		/* Verbatim: validated JSON, as DynamoDB sent it. */
		rc |= buf_adds(out, sg->last_key != NULL ? sg->last_key :
		    "null");
		rc |= buf_addc(out, '}');
	}
	rc |= buf_printf(out, "%s]\n  },\n", ck->nsegments > 0 ? "\n    " :
	    "");
	rc |= buf_adds(out, "  \"stream\": {\n    \"arn\": ");
	rc |= add_str(out, ck->stream_arn);
	rc |= buf_printf(out, ",\n    \"started_ms\": %" PRId64 ",\n"
	    "    \"items\": %" PRIu64 ",\n    \"shards\": [",
	    ck->stream_started_ms, ck->stream_items);
	for (i = 0; i < ck->nshards; i++) {
		sh = &ck->shards[i];
		rc |= buf_printf(out, "%s\n      {\"shard_id\": ",
		    i > 0 ? "," : "");
		rc |= add_str(out, sh->shard_id);
		rc |= buf_adds(out, ", \"parent_id\": ");
		rc |= add_str(out, sh->parent_id);
		rc |= buf_adds(out, ", \"seq\": ");
		rc |= add_str(out, sh->seq);
		rc |= buf_printf(out, ", \"done\": %s, \"items\": %" PRIu64 "}",
		    sh->done ? "true" : "false", sh->items);
	}
	rc |= buf_printf(out, "%s]\n  }\n}\n", ck->nshards > 0 ? "\n    " : "");
	if (rc != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		errno = EFBIG;
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- decoder */

struct member {
	const char	*name;
	struct jspan	 v;
	int		 seen;
};

#define MEMBER(n)	{ n, { NULL, 0 }, 0 }

/*
 * Collect the members of the object in span named in m[], all required; a
 * duplicate of one of them is an error, other names are ignored.
 */
static int
get_members(const struct jspan *span, const char *path, struct member *m,
    size_t n, char *err, size_t errlen)
{
	const char *p = span->p, *end = span->p + span->len;
	struct jspan k, v;
	size_t i;
	int r;

	if (span->len == 0 || span->p[0] != '{')
		return perr(err, errlen, "%s: expected an object", path);
	for (i = 0; i < n; i++)
		m[i].seen = 0;
	if (jscan_open(&p, end, '{') == -1)
		return perr(err, errlen, "%s: expected an object", path);
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		/* Our names have no escapes: an escaped key is not ours. */
		for (i = 0; i < n; i++)
			if (jscan_eq(&k, m[i].name))
				break;
		if (i == n)
			continue;
		if (m[i].seen)
			return perr(err, errlen, "%s: duplicate field \"%s\"",
			    path, m[i].name);
		m[i].seen = 1;
		m[i].v = v;
	}
	if (r == -1)
		return perr(err, errlen, "%s: not valid JSON", path);
	for (i = 0; i < n; i++)
		if (!m[i].seen)
			return perr(err, errlen, "%s: missing field \"%s\"",
			    path, m[i].name);
	return 0;
}

static int
is_null(const struct jspan *v)
{
	return v->len == 4 && memcmp(v->p, "null", 4) == 0;
}

/* A JSON integer: '-'? digits, no leading zero, magnitude at most max. */
static int
get_int(const struct jspan *v, const char *path, const char *name,
    int allow_neg, uint64_t max, int *neg, uint64_t *mag, char *err,
    size_t errlen)
{
	const char *p = v->p;
	size_t n = v->len, i = 0;
	uint64_t x = 0;
	char sb[64];
	unsigned d;

	*neg = 0;
	if (n > 0 && p[0] == '-') {
		*neg = 1;
		i = 1;
	}
	if (i == n || (p[i] == '0' && n - i > 1))
		goto notint;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			goto notint;
		d = (unsigned)(p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			goto range;
		x = x * 10 + d;
	}
	if (*neg && !allow_neg)
		return perr(err, errlen, "%s.%s: must not be negative", path,
		    name);
	if (x > max)
		goto range;
	*mag = x;
	return 0;
notint:
	return perr(err, errlen, "%s.%s: expected an integer, got %s", path,
	    name, show(p, n, sb, sizeof(sb)));
range:
	return perr(err, errlen, "%s.%s: %s is out of range (at most %" PRIu64
	    ")", path, name, show(p, n, sb, sizeof(sb)), max);
}

static int
get_u64(const struct jspan *v, const char *path, const char *name,
    uint64_t *out, char *err, size_t errlen)
{
	int neg;

	return get_int(v, path, name, 0, UINT64_MAX, &neg, out, err, errlen);
}

static int
get_u32(const struct jspan *v, const char *path, const char *name,
    uint32_t max, uint32_t *out, char *err, size_t errlen)
{
	uint64_t x;
	int neg;

	if (get_int(v, path, name, 0, max, &neg, &x, err, errlen) == -1)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

/* Times: epoch milliseconds, never negative. */
static int
get_ms(const struct jspan *v, const char *path, const char *name,
    int64_t *out, char *err, size_t errlen)
{
	uint64_t x;
	int neg;

	if (get_int(v, path, name, 0, INT64_MAX, &neg, &x, err, errlen) == -1)
		return -1;
	*out = (int64_t)x;
	return 0;
}

static int
get_bool(const struct jspan *v, const char *path, const char *name,
    int *out, char *err, size_t errlen)
{
	if (v->len == 4 && memcmp(v->p, "true", 4) == 0)
		*out = 1;
	else if (v->len == 5 && memcmp(v->p, "false", 5) == 0)
		*out = 0;
	else
		return perr(err, errlen, "%s.%s: expected true or false",
		    path, name);
	return 0;
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t
utf8_put(unsigned cp, char *u)
{
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | cp >> 18);
	u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A JSON string (or null if nullable) into an allocation: escapes decoded,
 * then held to the name rules (printable UTF-8, 1..CHECKPOINT_NAME_MAX).
 */
static int
get_str(const struct jspan *v, const char *path, const char *name,
    int nullable, char **out, char *err, size_t errlen)
{
	const char *p, *end, *why;
	unsigned cp, lo;
	struct buf b;
	char u[4];
	int rc = 0;

	*out = NULL;
	if (nullable && is_null(v))
		return 0;
	if (v->len < 2 || v->p[0] != '"')
		return perr(err, errlen, "%s.%s: expected a string%s", path,
		    name, nullable ? " or null" : "");
	buf_init(&b, CHECKPOINT_NAME_MAX);
	p = v->p + 1;
	end = v->p + v->len - 1;
	while (p < end && rc == 0) {
		if (*p != '\\') {
			rc = buf_addc(&b, *p++);
			continue;
		}
		/* jscan checked the escape's syntax. */
		switch (p[1]) {
		case 'b':
			rc = buf_addc(&b, '\b');
			break;
		case 'f':
			rc = buf_addc(&b, '\f');
			break;
		case 'n':
			rc = buf_addc(&b, '\n');
			break;
		case 'r':
			rc = buf_addc(&b, '\r');
			break;
		case 't':
			rc = buf_addc(&b, '\t');
			break;
		case 'u':
			if (hex4(p + 2, &cp) == -1)
				goto bad;
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - p < 8 || p[2] != '\\' || p[3] != 'u' ||
				    hex4(p + 4, &lo) == -1 || lo < 0xdc00 ||
				    lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad;
			if (cp == 0)
				goto bad;	/* would cut the C string */
			rc = buf_add(&b, u, utf8_put(cp, u));
			break;
		default:	/* " \ / */
			rc = buf_addc(&b, p[1]);
			break;
		}
		p += 2;
	}
	if (rc != 0) {
		buf_free(&b);
		return perr(err, errlen, "%s.%s: longer than %d bytes", path,
		    name, CHECKPOINT_NAME_MAX);
	}
	/* buf_steal() of an empty buf returns an unterminated allocation. */
	if (b.len == 0) {
		buf_free(&b);
		*out = xstrdup("");
	} else if ((*out = buf_steal(&b, NULL)) == NULL)
		fatalx("checkpoint: buf_steal");
	if ((why = name_problem(*out)) != NULL) {
		free(*out);
		*out = NULL;
		return perr(err, errlen, "%s.%s %s", path, name, why);
	}
	return 0;
bad:
	buf_free(&b);
	return perr(err, errlen, "%s.%s: has a \\u0000 or unpaired surrogate "
	    "escape", path, name);
}

static int
decode_identity(const struct jspan *obj, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct member m[] = {
		MEMBER("pair"),
		MEMBER("source_table"),
		MEMBER("source_region"),
		MEMBER("destination_table"),
		MEMBER("destination_region"),
		MEMBER("total_segments"),
	};
	const char *path = "identity";

	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_str(&m[0].v, path, m[0].name, 0, &ck->pair, err, errlen) ||
	    get_str(&m[1].v, path, m[1].name, 0, &ck->src_table, err,
	    errlen) ||
	    get_str(&m[2].v, path, m[2].name, 0, &ck->src_region, err,
	    errlen) ||
	    get_str(&m[3].v, path, m[3].name, 0, &ck->dst_table, err,
	    errlen) ||
	    get_str(&m[4].v, path, m[4].name, 0, &ck->dst_region, err,
	    errlen) ||
	    get_u32(&m[5].v, path, m[5].name, CHECKPOINT_SEGMENTS_MAX,
	    &ck->total_segments, err, errlen))
		return -1;
	return 0;
}

static int
decode_segment(const struct jspan *obj, size_t idx, struct checkpoint *ck,
    char *err, size_t errlen)
{
	struct member m[] = {
		MEMBER("segment"),
		MEMBER("done"),
		MEMBER("items"),
		MEMBER("last_key"),
	};
	struct ckpt_segment *sg;
	struct buf b;
	char path[64];
	int r;

	(void)snprintf(path, sizeof(path), "backfill.segments[%zu]", idx);
	/* Counted in nsegments (owned by ck) only once complete. */
	sg = &ck->segments[ck->nsegments];
	memset(sg, 0, sizeof(*sg));
	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_u32(&m[0].v, path, m[0].name, CHECKPOINT_SEGMENTS_MAX - 1,
	    &sg->segment, err, errlen) ||
	    get_bool(&m[1].v, path, m[1].name, &sg->done, err, errlen) ||
	    get_u64(&m[2].v, path, m[2].name, &sg->items, err, errlen))
		return -1;
	if (!is_null(&m[3].v)) {
		if (m[3].v.p[0] != '{')
			return perr(err, errlen, "%s.last_key: expected an "
			    "object or null", path);
		buf_init(&b, CHECKPOINT_KEY_MAX);
		if ((r = json_compact(m[3].v.p, m[3].v.len, &b)) != 0) {
			buf_free(&b);
			if (r == COMPACT_BIG)
				return perr(err, errlen, "%s.last_key: longer "
				    "than %d bytes", path, CHECKPOINT_KEY_MAX);
			return perr(err, errlen, "%s.last_key: not valid "
			    "UTF-8", path);
		}
		sg->last_key = buf_steal(&b, NULL);
	}
	ck->nsegments++;
	return 0;
}

static int
decode_shard(const struct jspan *obj, size_t idx, struct checkpoint *ck,
    char *err, size_t errlen)
{
	struct member m[] = {
		MEMBER("shard_id"),
		MEMBER("parent_id"),
		MEMBER("seq"),
		MEMBER("done"),
		MEMBER("items"),
	};
	struct ckpt_shard *sh;
	char path[64];

	(void)snprintf(path, sizeof(path), "stream.shards[%zu]", idx);
	/* Owned by ck at once: its strings are freed on any error. */
	sh = &ck->shards[ck->nshards++];
	memset(sh, 0, sizeof(*sh));
	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_str(&m[0].v, path, m[0].name, 0, &sh->shard_id, err,
	    errlen) ||
	    get_str(&m[1].v, path, m[1].name, 1, &sh->parent_id, err,
	    errlen) ||
	    get_str(&m[2].v, path, m[2].name, 1, &sh->seq, err, errlen) ||
	    get_bool(&m[3].v, path, m[3].name, &sh->done, err, errlen) ||
	    get_u64(&m[4].v, path, m[4].name, &sh->items, err, errlen))
		return -1;
	return 0;
}

/* Allocate for and decode every element of an array member. */
static int
decode_array(const struct jspan *arr, const char *path, size_t max,
    struct checkpoint *ck, int shards, char *err, size_t errlen)
{
	const char *p = arr->p, *end = arr->p + arr->len;
	struct jspan v;
	size_t i = 0;
	long n;
	int r;

	if (arr->len == 0 || arr->p[0] != '[' || (n = jscan_count(arr)) < 0)
		return perr(err, errlen, "%s: expected an array", path);
	if ((size_t)n > max)
		return perr(err, errlen, "%s: more than %zu entries", path,
		    max);
	if (shards) {
		ck->shards_cap = (size_t)n;
		ck->shards = xcalloc((size_t)n, sizeof(*ck->shards));
	} else {
		ck->segments_cap = (size_t)n;
		ck->segments = xcalloc((size_t)n, sizeof(*ck->segments));
	}
	(void)jscan_open(&p, end, '[');
	while ((r = jscan_element(&p, end, &v)) == 1) {
		if (shards ? decode_shard(&v, i, ck, err, errlen) :
		    decode_segment(&v, i, ck, err, errlen))
			return -1;
		i++;
	}
	return r == 0 ? 0 : perr(err, errlen, "%s: not valid JSON", path);
}

static int
decode_backfill(const struct jspan *obj, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct member m[] = {
		MEMBER("started_ms"),
		MEMBER("completed_ms"),
		MEMBER("segments"),
	};
	const char *path = "backfill";

	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_ms(&m[0].v, path, m[0].name, &ck->backfill_started_ms, err,
	    errlen) ||
	    get_ms(&m[1].v, path, m[1].name, &ck->backfill_completed_ms, err,
	    errlen) ||
	    decode_array(&m[2].v, "backfill.segments", CHECKPOINT_SEGMENTS_MAX,
	    ck, 0, err, errlen))
		return -1;
	return 0;
}

static int
decode_stream(const struct jspan *obj, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct member m[] = {
		MEMBER("arn"),
		MEMBER("started_ms"),
		MEMBER("items"),
		MEMBER("shards"),
	};
	const char *path = "stream";

	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_str(&m[0].v, path, m[0].name, 1, &ck->stream_arn, err,
	    errlen) ||
	    get_ms(&m[1].v, path, m[1].name, &ck->stream_started_ms, err,
	    errlen) ||
	    get_u64(&m[2].v, path, m[2].name, &ck->stream_items, err,
	    errlen) ||
	    decode_array(&m[3].v, "stream.shards", CHECKPOINT_SHARDS_MAX, ck,
	    1, err, errlen))
		return -1;
	return 0;
}

static int
decode(const char *text, size_t len, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct member m[] = {
		MEMBER("format"),
		MEMBER("version"),
		MEMBER("identity"),
		MEMBER("backfill"),
		MEMBER("stream"),
	};
	const char *p = text, *end = text + len;
	struct jspan obj, k, v;
	uint64_t ver = 0;
	char sb[64];
	int neg;

	if (len == 0)
		return perr(err, errlen, "the file is empty");
	if (jscan_value(&p, end, &obj) == -1)
		return perr(err, errlen, "not valid JSON (truncated or "
		    "corrupt)");
	skip_ws(&p, end);
	if (p != end)
		return perr(err, errlen, "data after the JSON object at byte "
		    "%zu", (size_t)(p - text));
	if (obj.p[0] != '{')
		return perr(err, errlen, "not a ddb-sync checkpoint (not a "
		    "JSON object)");

	/* The marker and the version first: they explain anything else. */
	p = obj.p;
	(void)jscan_open(&p, obj.p + obj.len, '{');
	while (jscan_member(&p, obj.p + obj.len, &k, &v) == 1) {
		if (jscan_eq(&k, "format")) {
			m[0].v = v;
			m[0].seen++;
		} else if (jscan_eq(&k, "version")) {
			m[1].v = v;
			m[1].seen++;
		}
	}
	if (m[0].seen > 1)
		return perr(err, errlen, "duplicate field \"format\"");
	if (m[0].seen != 1 || m[0].v.len != strlen(CHECKPOINT_FORMAT) + 2 ||
	    memcmp(m[0].v.p + 1, CHECKPOINT_FORMAT, m[0].v.len - 2) != 0)
		return perr(err, errlen, "not a ddb-sync checkpoint (no "
		    "\"format\": \"%s\")", CHECKPOINT_FORMAT);
	if (m[1].seen != 1)
		return perr(err, errlen, "%s field \"version\"",
		    m[1].seen ? "duplicate" : "missing");
	if (get_int(&m[1].v, "checkpoint", "version", 1, UINT64_MAX, &neg,
	    &ver, err, errlen) == -1)
		return -1;
	if (neg || ver < CHECKPOINT_VERSION)
		return perr(err, errlen, "written by an older ddb-sync "
		    "(checkpoint version %s; this ddb-sync reads version %d "
		    "only)", show(m[1].v.p, m[1].v.len, sb, sizeof(sb)),
		    CHECKPOINT_VERSION);
	if (ver > CHECKPOINT_VERSION)
		return perr(err, errlen, "written by a newer ddb-sync "
		    "(checkpoint version %" PRIu64 "; this ddb-sync reads "
		    "version %d): run the newer ddb-sync", ver,
		    CHECKPOINT_VERSION);

	if (get_members(&obj, "checkpoint", m, nitems(m), err, errlen) == -1 ||
	    decode_identity(&m[2].v, ck, err, errlen) == -1 ||
	    decode_backfill(&m[3].v, ck, err, errlen) == -1 ||
	    decode_stream(&m[4].v, ck, err, errlen) == -1)
		return -1;
	return checkpoint_validate(ck, err, errlen);
}

int
checkpoint_decode(const char *text, size_t len, struct checkpoint *ck,
    char *err, size_t errlen)
{
	checkpoint_clear(ck);
	if (decode(text, len, ck, err, errlen) == -1) {
		checkpoint_clear(ck);
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------------- match */

static void
differ(struct buf *b, const char *what, const char *have, const char *want)
{
	char s1[64], s2[64];

	(void)buf_printf(b, "%s%s is \"%s\" in the checkpoint but \"%s\" in "
	    "the plan", b->len > 0 ? "; " : "", what,
	    show(have, strlen(have), s1, sizeof(s1)),
	    show(want, strlen(want), s2, sizeof(s2)));
}

int
checkpoint_match(const struct checkpoint *ck, const char *pair,
    const char *src_table, const char *src_region, const char *dst_table,
    const char *dst_region, uint32_t total_segments, char *err,
    size_t errlen)
{
	const struct {
		const char	*what;
		const char	*have;
		const char	*want;
	} ids[] = {
		{ "the pair name", ck->pair, pair },
		{ "the source table", ck->src_table, src_table },
		{ "the source region", ck->src_region, src_region },
		{ "the destination table", ck->dst_table, dst_table },
		{ "the destination region", ck->dst_region, dst_region },
	};
	const char *h, *w;
	struct buf b;
	size_t i;
	int names = 0;

	buf_init(&b, 4096);
	for (i = 0; i < nitems(ids); i++) {
		h = ids[i].have != NULL ? ids[i].have : "";
		w = ids[i].want != NULL ? ids[i].want : "";
		if (strcmp(h, w) != 0) {
			differ(&b, ids[i].what, h, w);
			names++;
		}
	}
	/* A finished backfill no longer depends on its segmentation. */
	if (total_segments != 0 && ck->total_segments != 0 &&
	    ck->backfill_completed_ms == 0 &&
	    total_segments != ck->total_segments)
		(void)buf_printf(&b, "%stotal_segments is %" PRIu32 " in the "
		    "checkpoint but %" PRIu32 " in the plan", b.len > 0 ?
		    "; " : "", ck->total_segments, total_segments);
	if (b.len == 0) {
		buf_free(&b);
		return 0;
	}
	if (names == 0)
		(void)perr(err, errlen, "checkpoint does not match the plan: "
		    "%s. Scan positions cannot be carried over to another "
		    "segmentation: set total_segments: %" PRIu32 " for this "
		    "pair to resume, or remove this pair's checkpoint "
		    "deliberately to restart its backfill", b.data,
		    ck->total_segments);
	else
		(void)perr(err, errlen, "checkpoint does not match the plan: "
		    "%s. It records the progress of another copy: use another "
		    "state directory for this plan, or remove this pair's "
		    "checkpoint deliberately to start the pair over", b.data);
	buf_free(&b);
	return -1;
}

/* ------------------------------------------------------------------ files */

int
checkpoint_load(const char *path, struct checkpoint *ck, char *err,
    size_t errlen)
{
	char why[512];
	char *data;
	size_t len;

	checkpoint_clear(ck);
	if (atomicfile_read(path, CHECKPOINT_MAX_SIZE, &data, &len) == -1) {
		if (errno == ENOENT)
			return 1;
		if (errno == EFBIG)
			return perr(err, errlen, "checkpoint %s is larger than "
			    "%u bytes: refusing to load it (the file was left "
			    "as it is)", path, CHECKPOINT_MAX_SIZE);
		return perr(err, errlen, "cannot read checkpoint %s: %s", path,
		    strerror(errno));
	}
	if (checkpoint_decode(data, len, ck, why, sizeof(why)) == -1) {
		free(data);
		return perr(err, errlen, "checkpoint %s is unusable: %s. The "
		    "file was left as it is: restore or fix it, use another "
		    "state directory, or remove it deliberately to start this "
		    "pair over", path, why);
	}
	free(data);
	return 0;
}

int
checkpoint_save(const char *path, const struct checkpoint *ck, char *err,
    size_t errlen)
{
	char why[512];
	struct buf b;
	int saved;

	if (checkpoint_validate(ck, why, sizeof(why)) == -1)
		return perr(err, errlen, "checkpoint %s not written, it would "
		    "be invalid: %s", path, why);
	buf_init(&b, CHECKPOINT_MAX_SIZE);
	if (checkpoint_encode(ck, &b) == -1) {
		buf_free(&b);
		return perr(err, errlen, "checkpoint %s not written: larger "
		    "than %u bytes", path, CHECKPOINT_MAX_SIZE);
	}
	if (atomicfile_write(path, b.data, b.len, CHECKPOINT_MODE) == -1) {
		saved = errno;
		buf_free(&b);
		(void)perr(err, errlen, "cannot write checkpoint %s: %s",
		    path, strerror(saved));
		errno = saved;
		return -1;
	}
	buf_free(&b);
	return 0;
}
