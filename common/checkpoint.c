/* checkpoint.c: per-pair checkpoint codec, validation and file I/O. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "checkpoint.h"
#include "compat.h"
#include "fmt.h"
#include "json.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

/*
 * The decoder reads through common/json.c (jscan spans): 64-bit counters
 * stay exact and LastEvaluatedKey is kept byte for byte, never re-encoded.
 */

#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#define STR(x)	  #x
#define XSTR(x)	  STR(x)

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

#define COMPACT_UTF8 (-1) /* a string is not valid UTF-8 */
#define COMPACT_BIG  (-2) /* the result exceeds out's maximum */

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
				else if ((k = utf8_seqlen((const unsigned char
								  *)p +
						  j,
					      n - j)) == 0)
					return COMPACT_UTF8;
			}
			if (j >= n)
				return COMPACT_UTF8; /* not from jscan */
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
	const char *p, *end;
	struct jspan obj, k, v;
	size_t n = strlen(s);

	if (n > CHECKPOINT_KEY_MAX)
		return "is longer than " XSTR(CHECKPOINT_KEY_MAX) " bytes";
	if (!utf8_valid(s, n))
		return "is not valid UTF-8";
	switch (json_doc(s, n, &obj, NULL)) {
	case 0:
		break;
	case JSON_DOC_TRAILING:
		return "has data after the JSON object";
	case JSON_DOC_NOT_OBJECT:
		return "is not a JSON object";
	default:
		return "is not valid JSON";
	}
	p = obj.p;
	end = obj.p + obj.len;
	if (jscan_open(&p, end, '{') == -1 ||
	    jscan_member(&p, end, &k, &v) != 1)
		return "is an empty object";
	return NULL;
}

int
checkpoint_set_last_key(struct ckpt_segment *sg, const char *json, size_t len)
{
	struct jspan v;
	struct buf b;
	char *s;
	int r;

	if (json == NULL) {
		free(sg->last_key);
		sg->last_key = NULL;
		return 0;
	}
	if (memchr(json, '\0', len) != NULL ||
	    json_doc(json, len, &v, NULL) != 0) {
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
		free(ck->shards[i].spooled);
	}
	free(ck->shards);
	hmap_clear(&ck->shard_idx);
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

/* The index, from scratch: after a decode, or shards set by hand (tests). */
static void
shard_reindex(struct checkpoint *ck)
{
	hmap_clear(&ck->shard_idx);
	for (size_t i = 0; i < ck->nshards; i++)
		hmap_put(&ck->shard_idx, ck->shards[i].shard_id,
		    (void *)(uintptr_t)(i + 1));
}

struct ckpt_shard *
checkpoint_shard(struct checkpoint *ck, const char *id)
{
	uintptr_t i;

	if (ck->shard_idx.n != ck->nshards)
		shard_reindex(ck);
	if ((i = (uintptr_t)hmap_get(&ck->shard_idx, id)) == 0 ||
	    i > ck->nshards || strcmp(ck->shards[i - 1].shard_id, id) != 0)
		return NULL;
	return &ck->shards[i - 1];
}

size_t
checkpoint_drop_shards(struct checkpoint *ck,
    int (*drop)(const struct ckpt_shard *, void *), void *arg)
{
	size_t i, j = 0;

	for (i = 0; i < ck->nshards; i++) {
		struct ckpt_shard *s = &ck->shards[i];

		if (drop(s, arg)) {
			free(s->shard_id);
			free(s->parent_id);
			free(s->seq);
			free(s->spooled);
			continue;
		}
		if (j != i)
			ck->shards[j] = *s;
		j++;
	}
	i = ck->nshards - j;
	ck->nshards = j;
	if (i > 0)
		shard_reindex(ck);
	return i;
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
	hmap_put(&ck->shard_idx, sh->shard_id, (void *)(uintptr_t)ck->nshards);
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
		return json_err(err, errlen, "%s %s", field, why);
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
	char sb[JSON_SHOW_MAX];
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
			rc = json_err(err, errlen,
			    "backfill.segments[%zu]: segment "
			    "%" PRIu32 " is listed twice (also "
			    "backfill.segments[%zu])",
			    a > b ? a : b, sv[i]->segment, a > b ? b : a);
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
			rc = json_err(err, errlen,
			    "stream.shards[%zu]: shard \"%s\" "
			    "is listed twice (also stream.shards[%zu])",
			    a > b ? a : b,
			    json_show(hv[i]->shard_id, strlen(hv[i]->shard_id),
				sb, sizeof(sb)),
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
		return json_err(err, errlen,
		    "identity.total_segments %" PRIu32
		    " is above the maximum %d",
		    ck->total_segments, CHECKPOINT_SEGMENTS_MAX);
	if (ck->backfill_started_ms < 0)
		return json_err(err, errlen, "backfill.started_ms is negative");
	if (ck->backfill_completed_ms < 0)
		return json_err(err, errlen,
		    "backfill.completed_ms is negative");
	if (ck->backfill_completed_ms != 0 && ck->backfill_started_ms == 0)
		return json_err(err, errlen,
		    "backfill.completed_ms is set but "
		    "backfill.started_ms is not");
	if (ck->nsegments > 0 && ck->segments == NULL)
		return json_err(err, errlen, "backfill.segments is missing");
	for (i = 0; i < ck->nsegments; i++) {
		sg = &ck->segments[i];
		if (sg->segment >= ck->total_segments)
			return json_err(err, errlen,
			    "backfill.segments[%zu].segment "
			    "%" PRIu32 " is not below identity.total_segments "
			    "(%" PRIu32 ")",
			    i, sg->segment, ck->total_segments);
		if (sg->last_key != NULL &&
		    (why = key_problem(sg->last_key)) != NULL)
			return json_err(err, errlen,
			    "backfill.segments[%zu].last_key %s", i, why);
		/* A complete backfill with an unfinished segment would
		 * silently skip items on the next run. */
		if (ck->backfill_completed_ms != 0 && !sg->done)
			return json_err(err, errlen,
			    "backfill.completed_ms is set "
			    "but backfill.segments[%zu] (segment %" PRIu32 ") "
			    "is not done",
			    i, sg->segment);
	}
	if (check_name("stream.arn", ck->stream_arn, 1, err, errlen) == -1)
		return -1;
	if (ck->stream_started_ms < 0)
		return json_err(err, errlen, "stream.started_ms is negative");
	if (ck->stream_lag_at_ms < 0 ||
	    (ck->stream_lag_at_ms > 0 && ck->stream_lag_ms < 0))
		return json_err(err, errlen,
		    "stream.lag_ms or lag_at_ms is negative");
	if (ck->nshards > 0 && ck->shards == NULL)
		return json_err(err, errlen, "stream.shards is missing");
	if (ck->nshards > 0 && ck->stream_arn == NULL)
		return json_err(err, errlen,
		    "stream.shards are listed but "
		    "stream.arn is null");
	if (ck->nshards > CHECKPOINT_SHARDS_MAX)
		return json_err(err, errlen,
		    "stream.shards has more than %d "
		    "entries",
		    CHECKPOINT_SHARDS_MAX);
	if (ck->stream_spool_segment > 0 && !ck->stream_spool)
		return json_err(err, errlen,
		    "stream.spool_segment without stream.spool");
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
			return json_err(err, errlen,
			    "stream.shards[%zu]: a shard "
			    "cannot be its own parent",
			    i);
		if (sh->seq != NULL && !checkpoint_seq_valid(sh->seq))
			return json_err(err, errlen,
			    "stream.shards[%zu].seq is not "
			    "a sequence number (1 to %d decimal digits)",
			    i, CHECKPOINT_SEQ_MAX);
		if (sh->spooled != NULL && !checkpoint_seq_valid(sh->spooled))
			return json_err(err, errlen,
			    "stream.shards[%zu].spooled is not "
			    "a sequence number (1 to %d decimal digits)",
			    i, CHECKPOINT_SEQ_MAX);
		if ((sh->spooled != NULL || sh->spooled_all) &&
		    !ck->stream_spool)
			return json_err(err, errlen,
			    "stream.shards[%zu]: spooled without "
			    "stream.spool",
			    i);
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
	rc |= buf_printf(out,
	    "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
	    "  \"identity\": {\n    \"pair\": ",
	    CHECKPOINT_FORMAT, CHECKPOINT_VERSION);
	rc |= add_str(out, ck->pair);
	rc |= buf_adds(out, ",\n    \"source_table\": ");
	rc |= add_str(out, ck->src_table);
	rc |= buf_adds(out, ",\n    \"source_region\": ");
	rc |= add_str(out, ck->src_region);
	rc |= buf_adds(out, ",\n    \"destination_table\": ");
	rc |= add_str(out, ck->dst_table);
	rc |= buf_adds(out, ",\n    \"destination_region\": ");
	rc |= add_str(out, ck->dst_region);
	rc |= buf_printf(out,
	    ",\n    \"total_segments\": %" PRIu32 "\n  },\n"
	    "  \"backfill\": {\n    \"started_ms\": %" PRId64 ",\n"
	    "    \"completed_ms\": %" PRId64 ",\n    \"segments\": [",
	    ck->total_segments, ck->backfill_started_ms,
	    ck->backfill_completed_ms);
	for (i = 0; i < ck->nsegments; i++) {
		sg = &ck->segments[i];
		rc |= buf_printf(out,
		    "%s\n      {\"segment\": %" PRIu32 ", "
		    "\"done\": %s, \"items\": %" PRIu64
		    ", \"scanned\": %" PRIu64 ", \"expired\": %" PRIu64
		    ", \"last_key\": ",
		    i > 0 ? "," : "", sg->segment, sg->done ? "true" : "false",
		    sg->items, sg->scanned, sg->expired);
		/* Verbatim: validated JSON, as DynamoDB sent it. */
		rc |= buf_adds(out,
		    sg->last_key != NULL ? sg->last_key : "null");
		rc |= buf_addc(out, '}');
	}
	rc |= buf_printf(out, "%s]\n  },\n", ck->nsegments > 0 ? "\n    " : "");
	rc |= buf_adds(out, "  \"stream\": {\n    \"arn\": ");
	rc |= add_str(out, ck->stream_arn);
	rc |= buf_printf(out,
	    ",\n    \"started_ms\": %" PRId64 ",\n"
	    "    \"items\": %" PRIu64 ",\n",
	    ck->stream_started_ms, ck->stream_items);
	if (ck->stream_lag_at_ms > 0)
		rc |= buf_printf(out,
		    "    \"lag_ms\": %" PRId64 ",\n"
		    "    \"lag_at_ms\": %" PRId64 ",\n",
		    ck->stream_lag_ms, ck->stream_lag_at_ms);
	if (ck->stream_spool)
		rc |= buf_adds(out, "    \"spool\": true,\n");
	if (ck->stream_spool_segment > 0)
		rc |= buf_printf(out, "    \"spool_segment\": %" PRIu64 ",\n",
		    ck->stream_spool_segment);
	rc |= buf_adds(out, "    \"shards\": [");
	for (i = 0; i < ck->nshards; i++) {
		sh = &ck->shards[i];
		rc |= buf_printf(out,
		    "%s\n      {\"shard_id\": ", i > 0 ? "," : "");
		rc |= add_str(out, sh->shard_id);
		rc |= buf_adds(out, ", \"parent_id\": ");
		rc |= add_str(out, sh->parent_id);
		rc |= buf_adds(out, ", \"seq\": ");
		rc |= add_str(out, sh->seq);
		rc |= buf_printf(out, ", \"done\": %s, \"items\": %" PRIu64,
		    sh->done ? "true" : "false", sh->items);
		/* Only with the spool, and only what is set. */
		if (sh->spooled != NULL) {
			rc |= buf_adds(out, ", \"spooled\": ");
			rc |= add_str(out, sh->spooled);
		}
		if (sh->spooled_all)
			rc |= buf_adds(out, ", \"spooled_all\": true");
		rc |= buf_addc(out, '}');
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

#define MEMBER(n) \
	{ \
		.name = n \
	}

/*
 * Collect the members of the object in span named in m[], all required; a
 * duplicate of one of them is an error, other names are ignored.
 */
static int
get_members(const struct jspan *span, const char *path, struct json_field *m,
    size_t n, char *err, size_t errlen)
{
	size_t i, dup;

	if (span->len == 0 || span->p[0] != '{')
		return json_err(err, errlen, "%s: expected an object", path);
	switch (json_fields(span, m, n, &dup)) {
	case 0:
		break;
	case JSON_FIELDS_DUP:
		return json_err(err, errlen, "%s: duplicate field \"%s\"", path,
		    m[dup].name);
	default:
		return json_err(err, errlen, "%s: not valid JSON", path);
	}
	for (i = 0; i < n; i++)
		if (!m[i].seen)
			return json_err(err, errlen, "%s: missing field \"%s\"",
			    path, m[i].name);
	return 0;
}

/* A JSON integer: '-'? digits, no leading zero, magnitude at most max. */
static int
get_int(const struct jspan *v, const char *path, const char *name,
    int allow_neg, uint64_t max, int *neg, uint64_t *mag, char *err,
    size_t errlen)
{
	char sb[JSON_SHOW_MAX];
	int r;

	if ((r = json_int(v, neg, mag)) == -1)
		return json_err(err, errlen,
		    "%s.%s: expected an integer, got "
		    "%s",
		    path, name, json_show(v->p, v->len, sb, sizeof(sb)));
	if (*neg && !allow_neg)
		return json_err(err, errlen, "%s.%s: must not be negative",
		    path, name);
	if (r == -2 || *mag > max)
		return json_err(err, errlen,
		    "%s.%s: %s is out of range (at "
		    "most %" PRIu64 ")",
		    path, name, json_show(v->p, v->len, sb, sizeof(sb)), max);
	return 0;
}

static int
get_u64(const struct jspan *v, const char *path, const char *name,
    uint64_t *out, char *err, size_t errlen)
{
	int neg;

	return get_int(v, path, name, 0, UINT64_MAX, &neg, out, err, errlen);
}

static int
get_u32(const struct jspan *v, const char *path, const char *name, uint32_t max,
    uint32_t *out, char *err, size_t errlen)
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
get_ms(const struct jspan *v, const char *path, const char *name, int64_t *out,
    char *err, size_t errlen)
{
	uint64_t x;
	int neg;

	if (get_int(v, path, name, 0, INT64_MAX, &neg, &x, err, errlen) == -1)
		return -1;
	*out = (int64_t)x;
	return 0;
}

static int
get_bool(const struct jspan *v, const char *path, const char *name, int *out,
    char *err, size_t errlen)
{
	if (json_bool(v, out) == -1)
		return json_err(err, errlen, "%s.%s: expected true or false",
		    path, name);
	return 0;
}

/*
 * A JSON string (or null if nullable) into an allocation: escapes decoded,
 * then held to the name rules (printable UTF-8, 1..CHECKPOINT_NAME_MAX).
 */
static int
get_str(const struct jspan *v, const char *path, const char *name, int nullable,
    char **out, char *err, size_t errlen)
{
	char s[CHECKPOINT_NAME_MAX + 1];
	const char *why;

	*out = NULL;
	if (nullable && json_is_null(v))
		return 0;
	switch (json_string(v, s, sizeof(s), NULL)) {
	case JSON_STR_OK:
		break;
	case JSON_STR_NOT_STRING:
		return json_err(err, errlen, "%s.%s: expected a string%s", path,
		    name, nullable ? " or null" : "");
	case JSON_STR_TOO_LONG:
		return json_err(err, errlen, "%s.%s: longer than %d bytes",
		    path, name, CHECKPOINT_NAME_MAX);
	case JSON_STR_NUL:
	case JSON_STR_SURROGATE:
		return json_err(err, errlen,
		    "%s.%s: has a \\u0000 or "
		    "unpaired surrogate escape",
		    path, name);
	case JSON_STR_UTF8:
		return json_err(err, errlen, "%s.%s is not valid UTF-8", path,
		    name);
	default:
		return json_err(err, errlen, "%s.%s: not valid JSON", path,
		    name);
	}
	if ((why = name_problem(s)) != NULL)
		return json_err(err, errlen, "%s.%s %s", path, name, why);
	*out = xstrdup(s);
	return 0;
}

static int
decode_identity(const struct jspan *obj, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct json_field m[] = {
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
	    get_str(&m[1].v, path, m[1].name, 0, &ck->src_table, err, errlen) ||
	    get_str(&m[2].v, path, m[2].name, 0, &ck->src_region, err,
		errlen) ||
	    get_str(&m[3].v, path, m[3].name, 0, &ck->dst_table, err, errlen) ||
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
	struct json_field m[] = {
		MEMBER("segment"),
		MEMBER("done"),
		MEMBER("items"),
		MEMBER("last_key"),
	};
	/* The tally, optional: files written before it have neither. */
	struct json_field t[] = {
		MEMBER("scanned"),
		MEMBER("expired"),
	};
	struct ckpt_segment *sg;
	struct buf b;
	char path[64];
	size_t dup;
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
	if (json_fields(obj, t, nitems(t), &dup) == JSON_FIELDS_DUP)
		return json_err(err, errlen, "%s: duplicate field \"%s\"", path,
		    t[dup].name);
	/* Without a tally, what was written counts as what was scanned. */
	sg->scanned = sg->items;
	if ((t[0].seen &&
		get_u64(&t[0].v, path, t[0].name, &sg->scanned, err, errlen)) ||
	    (t[1].seen &&
		get_u64(&t[1].v, path, t[1].name, &sg->expired, err, errlen)))
		return -1;
	if (!json_is_null(&m[3].v)) {
		if (m[3].v.p[0] != '{')
			return json_err(err, errlen,
			    "%s.last_key: expected an "
			    "object or null",
			    path);
		buf_init(&b, CHECKPOINT_KEY_MAX);
		if ((r = json_compact(m[3].v.p, m[3].v.len, &b)) != 0) {
			buf_free(&b);
			if (r == COMPACT_BIG)
				return json_err(err, errlen,
				    "%s.last_key: longer "
				    "than %d bytes",
				    path, CHECKPOINT_KEY_MAX);
			return json_err(err, errlen,
			    "%s.last_key: not valid "
			    "UTF-8",
			    path);
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
	struct json_field m[] = {
		MEMBER("shard_id"),
		MEMBER("parent_id"),
		MEMBER("seq"),
		MEMBER("done"),
		MEMBER("items"),
	};
	/* Optional: the spool's (issue 13). */
	struct json_field o[] = {
		MEMBER("spooled"),
		MEMBER("spooled_all"),
	};
	struct ckpt_shard *sh;
	char path[64];
	size_t dup;

	(void)snprintf(path, sizeof(path), "stream.shards[%zu]", idx);
	/* Owned by ck at once: its strings are freed on any error. */
	sh = &ck->shards[ck->nshards++];
	memset(sh, 0, sizeof(*sh));
	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_str(&m[0].v, path, m[0].name, 0, &sh->shard_id, err, errlen) ||
	    get_str(&m[1].v, path, m[1].name, 1, &sh->parent_id, err, errlen) ||
	    get_str(&m[2].v, path, m[2].name, 1, &sh->seq, err, errlen) ||
	    get_bool(&m[3].v, path, m[3].name, &sh->done, err, errlen) ||
	    get_u64(&m[4].v, path, m[4].name, &sh->items, err, errlen))
		return -1;
	if (json_fields(obj, o, nitems(o), &dup) == JSON_FIELDS_DUP)
		return json_err(err, errlen, "%s: duplicate field \"%s\"", path,
		    o[dup].name);
	if ((o[0].seen &&
		get_str(&o[0].v, path, o[0].name, 1, &sh->spooled, err,
		    errlen)) ||
	    (o[1].seen &&
		get_bool(&o[1].v, path, o[1].name, &sh->spooled_all, err,
		    errlen)))
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
		return json_err(err, errlen, "%s: expected an array", path);
	if ((size_t)n > max)
		return json_err(err, errlen, "%s: more than %zu entries", path,
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
	return r == 0 ? 0 : json_err(err, errlen, "%s: not valid JSON", path);
}

static int
decode_backfill(const struct jspan *obj, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct json_field m[] = {
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
	struct json_field m[] = {
		MEMBER("arn"),
		MEMBER("started_ms"),
		MEMBER("items"),
		MEMBER("shards"),
	};
	/* The lag, optional: files written before it, or before the
	 * stream measured one, have neither. */
	struct json_field l[] = {
		MEMBER("lag_ms"),
		MEMBER("lag_at_ms"),
		MEMBER("spool"),
		MEMBER("spool_segment"),
	};
	const char *path = "stream";
	size_t dup;

	if (get_members(obj, path, m, nitems(m), err, errlen) == -1 ||
	    get_str(&m[0].v, path, m[0].name, 1, &ck->stream_arn, err,
		errlen) ||
	    get_ms(&m[1].v, path, m[1].name, &ck->stream_started_ms, err,
		errlen) ||
	    get_u64(&m[2].v, path, m[2].name, &ck->stream_items, err, errlen) ||
	    decode_array(&m[3].v, "stream.shards", CHECKPOINT_SHARDS_MAX, ck, 1,
		err, errlen))
		return -1;
	if (json_fields(obj, l, nitems(l), &dup) == JSON_FIELDS_DUP)
		return json_err(err, errlen, "%s: duplicate field \"%s\"", path,
		    l[dup].name);
	if (l[0].seen != l[1].seen)
		return json_err(err, errlen,
		    "%s: lag_ms and lag_at_ms go "
		    "together",
		    path);
	if (l[0].seen &&
	    (get_ms(&l[0].v, path, l[0].name, &ck->stream_lag_ms, err,
		 errlen) ||
		get_ms(&l[1].v, path, l[1].name, &ck->stream_lag_at_ms, err,
		    errlen)))
		return -1;
	if (l[0].seen && ck->stream_lag_at_ms == 0)
		return json_err(err, errlen, "%s.lag_at_ms is 0", path);
	if (l[2].seen &&
	    get_bool(&l[2].v, path, l[2].name, &ck->stream_spool, err, errlen))
		return -1;
	if (l[3].seen &&
	    get_u64(&l[3].v, path, l[3].name, &ck->stream_spool_segment, err,
		errlen))
		return -1;
	return 0;
}

static int
decode(const char *text, size_t len, struct checkpoint *ck, char *err,
    size_t errlen)
{
	struct json_field m[] = {
		MEMBER("format"),
		MEMBER("version"),
		MEMBER("identity"),
		MEMBER("backfill"),
		MEMBER("stream"),
	};
	struct jspan obj;
	uint64_t ver = 0;
	char sb[JSON_SHOW_MAX];
	size_t at, dup;
	int neg;

	if (len == 0)
		return json_err(err, errlen, "the file is empty");
	switch (json_doc(text, len, &obj, &at)) {
	case 0:
		break;
	case JSON_DOC_TRAILING:
		return json_err(err, errlen,
		    "data after the JSON object at "
		    "byte %zu",
		    at);
	case JSON_DOC_NOT_OBJECT:
		return json_err(err, errlen,
		    "not a ddb-sync checkpoint (not "
		    "a JSON object)");
	default:
		return json_err(err, errlen,
		    "not valid JSON (truncated or "
		    "corrupt)");
	}

	/* The marker and the version first: they explain anything else. */
	if (json_fields(&obj, m, 2, &dup) == JSON_FIELDS_DUP)
		return json_err(err, errlen, "duplicate field \"%s\"",
		    m[dup].name);
	if (!m[0].seen || m[0].v.len != strlen(CHECKPOINT_FORMAT) + 2 ||
	    memcmp(m[0].v.p + 1, CHECKPOINT_FORMAT, m[0].v.len - 2) != 0)
		return json_err(err, errlen,
		    "not a ddb-sync checkpoint (no "
		    "\"format\": \"%s\")",
		    CHECKPOINT_FORMAT);
	if (!m[1].seen)
		return json_err(err, errlen, "missing field \"version\"");
	if (get_int(&m[1].v, "checkpoint", "version", 1, UINT64_MAX, &neg, &ver,
		err, errlen) == -1)
		return -1;
	if (neg || ver < CHECKPOINT_VERSION)
		return json_err(err, errlen,
		    "written by an older ddb-sync "
		    "(checkpoint version %s; this ddb-sync reads version %d "
		    "only)",
		    json_show(m[1].v.p, m[1].v.len, sb, sizeof(sb)),
		    CHECKPOINT_VERSION);
	if (ver > CHECKPOINT_VERSION)
		return json_err(err, errlen,
		    "written by a newer ddb-sync "
		    "(checkpoint version %" PRIu64 "; this ddb-sync reads "
		    "version %d): run the newer ddb-sync",
		    ver, CHECKPOINT_VERSION);

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
	char s1[JSON_SHOW_MAX], s2[JSON_SHOW_MAX];

	(void)buf_printf(b,
	    "%s%s is \"%s\" in the checkpoint but \"%s\" in "
	    "the plan",
	    b->len > 0 ? "; " : "", what,
	    json_show(have, strlen(have), s1, sizeof(s1)),
	    json_show(want, strlen(want), s2, sizeof(s2)));
}

int
checkpoint_match(const struct checkpoint *ck, const char *pair,
    const char *src_table, const char *src_region, const char *dst_table,
    const char *dst_region, uint32_t total_segments, char *err, size_t errlen)
{
	const struct {
		const char *what;
		const char *have;
		const char *want;
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
		(void)buf_printf(&b,
		    "%stotal_segments is %" PRIu32 " in the "
		    "checkpoint but %" PRIu32 " in the plan",
		    b.len > 0 ? "; " : "", ck->total_segments, total_segments);
	if (b.len == 0) {
		buf_free(&b);
		return 0;
	}
	if (names == 0)
		(void)json_err(err, errlen,
		    "checkpoint does not match the plan: "
		    "%s. Scan positions cannot be carried over to another "
		    "segmentation: set total_segments: %" PRIu32 " for this "
		    "pair to resume, or remove this pair's checkpoint "
		    "deliberately to restart its backfill",
		    b.data, ck->total_segments);
	else
		(void)json_err(err, errlen,
		    "checkpoint does not match the plan: "
		    "%s. It records the progress of another copy: use another "
		    "state directory for this plan, or remove this pair's "
		    "checkpoint deliberately to start the pair over",
		    b.data);
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
			return json_err(err, errlen,
			    "checkpoint %s is larger than "
			    "%u bytes: refusing to load it (the file was left "
			    "as it is)",
			    path, CHECKPOINT_MAX_SIZE);
		return json_err(err, errlen, "cannot read checkpoint %s: %s",
		    path, strerror(errno));
	}
	if (checkpoint_decode(data, len, ck, why, sizeof(why)) == -1) {
		free(data);
		return json_err(err, errlen,
		    "checkpoint %s is unusable: %s. The "
		    "file was left as it is: restore or fix it, use another "
		    "state directory, or remove it deliberately to start this "
		    "pair over",
		    path, why);
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
		return json_err(err, errlen,
		    "checkpoint %s not written, it would "
		    "be invalid: %s",
		    path, why);
	buf_init(&b, CHECKPOINT_MAX_SIZE);
	if (checkpoint_encode(ck, &b) == -1) {
		buf_free(&b);
		return json_err(err, errlen,
		    "checkpoint %s not written: larger "
		    "than %u bytes",
		    path, CHECKPOINT_MAX_SIZE);
	}
	if (atomicfile_write(path, b.data, b.len, CHECKPOINT_MODE) == -1) {
		saved = errno;
		buf_free(&b);
		(void)json_err(err, errlen, "cannot write checkpoint %s: %s",
		    path, strerror(saved));
		errno = saved;
		return -1;
	}
	buf_free(&b);
	return 0;
}
