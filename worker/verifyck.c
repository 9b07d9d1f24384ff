/* verifyck.c: the verify checkpoint's codec, the sample rule and the
 * recheck delay (pure). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "verify.h"
#include "xmalloc.h"

/*
 * verify.ckpt sits next to the copy's checkpoint.json and shares nothing
 * with it: a verify may start, stop and start over without touching the
 * copy's progress. It is a cache of work done, not a record to protect:
 * a file that does not decode, or belongs to another verify, is replaced
 * by a fresh start (the worker says so).
 */

static const char *const pass_name[2] = { "source", "destination" };

void
verify_ckpt_clear(struct verify_ckpt *c)
{
	free(c->pair);
	free(c->src_table);
	free(c->src_region);
	free(c->dst_table);
	free(c->dst_region);
	free(c->report);
	for (int p = 0; p < 2; p++) {
		for (size_t i = 0; i < c->nsegs[p]; i++)
			free(c->segs[p][i].last_key);
		free(c->segs[p]);
	}
	memset(c, 0, sizeof(*c));
}

static int
add_str(struct buf *b, const char *name, const char *v)
{
	return buf_printf(b, "\"%s\":", name) == -1 ||
		buf_json_str(b, v) == -1 || buf_addc(b, ',') == -1 ?
	    -1 :
	    0;
}

int
verify_ckpt_encode(const struct verify_ckpt *c, struct buf *b)
{
	if (buf_printf(b, "{\"format\":\"%s\",\"version\":%d,",
		VERIFY_CKPT_FORMAT, VERIFY_CKPT_VERSION) == -1 ||
	    add_str(b, "pair", c->pair) == -1 ||
	    add_str(b, "source_table", c->src_table) == -1 ||
	    add_str(b, "source_region", c->src_region) == -1 ||
	    add_str(b, "destination_table", c->dst_table) == -1 ||
	    add_str(b, "destination_region", c->dst_region) == -1 ||
	    add_str(b, "report", c->report) == -1 ||
	    buf_printf(b,
		"\"report_bytes\":%" PRIu64 ",\"sample_ppm\":%" PRIu32
		",\"seed\":%" PRIu64 ",\"repair\":%s,\"delete_extra\":%s,"
		"\"started_ms\":%" PRId64,
		c->report_bytes, c->sample_ppm, c->seed,
		c->repair ? "true" : "false",
		c->delete_extra ? "true" : "false", c->started_ms) == -1)
		return -1;
	for (int p = 0; p < 2; p++) {
		if (buf_printf(b,
			",\n\"%s\":{\"total_segments\":%" PRIu32
			",\"segments\":[",
			pass_name[p], c->total[p]) == -1)
			return -1;
		for (size_t i = 0; i < c->nsegs[p]; i++) {
			const struct verify_seg *s = &c->segs[p][i];
			const struct verify_counts *n = &s->n;

			if (buf_printf(b,
				"%s\n{\"segment\":%" PRIu32 ",\"done\":"
				"%s,\"scanned\":%" PRIu64
				",\"checked\":%" PRIu64 ",\"missing\":%" PRIu64
				",\"extra\":%" PRIu64 ",\"different\":%" PRIu64
				",\"rechecked\":%" PRIu64
				",\"repaired\":%" PRIu64 ",\"deleted\":%" PRIu64
				",\"last_key\":%s}",
				i ? "," : "", s->segment,
				s->done ? "true" : "false", n->scanned,
				n->checked, n->missing, n->extra, n->different,
				n->rechecked, n->repaired, n->deleted,
				s->last_key != NULL ? s->last_key : "null") ==
			    -1)
				return -1;
		}
		if (buf_adds(b, "]}") == -1)
			return -1;
	}
	return buf_adds(b, "}\n");
}

static int
get_u64(const struct json_field *f, uint64_t *out)
{
	int neg;

	return json_int(&f->v, &neg, out) == 0 && !neg ? 0 : -1;
}

static int
get_str(const struct json_field *f, char **out)
{
	char tmp[4096];

	if (json_string(&f->v, tmp, sizeof(tmp), NULL) != JSON_STR_OK)
		return -1;
	*out = xstrdup(tmp);
	return 0;
}

static int
decode_seg(const struct jspan *obj, struct verify_seg *s)
{
	struct json_field f[] = {
		{ .name = "segment" },
		{ .name = "done" },
		{ .name = "scanned" },
		{ .name = "checked" },
		{ .name = "missing" },
		{ .name = "extra" },
		{ .name = "different" },
		{ .name = "rechecked" },
		{ .name = "repaired" },
		{ .name = "deleted" },
		{ .name = "last_key" },
	};
	uint64_t *n[] = { &s->n.scanned, &s->n.checked, &s->n.missing,
		&s->n.extra, &s->n.different, &s->n.rechecked, &s->n.repaired,
		&s->n.deleted };
	uint64_t seg;
	size_t dup;

	if (obj->len == 0 || obj->p[0] != '{' ||
	    json_fields(obj, f, sizeof(f) / sizeof(f[0]), &dup) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!f[i].seen)
			return -1;
	if (get_u64(&f[0], &seg) == -1 || seg > UINT32_MAX ||
	    json_bool(&f[1].v, &s->done) == -1)
		return -1;
	s->segment = (uint32_t)seg;
	for (size_t i = 0; i < 8; i++)
		if (get_u64(&f[2 + i], n[i]) == -1)
			return -1;
	if (json_is_null(&f[10].v))
		return 0;
	if (f[10].v.p[0] != '{')
		return -1;
	s->last_key = xstrndup(f[10].v.p, f[10].v.len);
	return 0;
}

static int
decode_pass(const struct jspan *obj, struct verify_ckpt *c, int p)
{
	struct json_field f[] = {
		{ .name = "total_segments" },
		{ .name = "segments" },
	};
	const char *q, *end;
	struct jspan e;
	uint64_t total;
	size_t dup, cap = 0;
	int r;

	if (obj->len == 0 || obj->p[0] != '{' ||
	    json_fields(obj, f, 2, &dup) != 0 || !f[0].seen || !f[1].seen ||
	    get_u64(&f[0], &total) == -1 || total > 1000000)
		return -1;
	c->total[p] = (uint32_t)total;
	q = f[1].v.p;
	end = q + f[1].v.len;
	if (jscan_open(&q, end, '[') == -1)
		return -1;
	while ((r = jscan_element(&q, end, &e)) == 1) {
		if (c->nsegs[p] == cap) {
			cap = cap ? cap * 2 : 16;
			c->segs[p] = xrealloc(c->segs[p],
			    cap * sizeof(*c->segs[p]));
		}
		memset(&c->segs[p][c->nsegs[p]], 0, sizeof(struct verify_seg));
		if (decode_seg(&e, &c->segs[p][c->nsegs[p]++]) == -1)
			return -1;
	}
	return r;
}

int
verify_ckpt_decode(const char *text, size_t len, struct verify_ckpt *c,
    char *err, size_t errlen)
{
	struct json_field f[] = {
		{ .name = "format" },
		{ .name = "version" },
		{ .name = "pair" },
		{ .name = "source_table" },
		{ .name = "source_region" },
		{ .name = "destination_table" },
		{ .name = "destination_region" },
		{ .name = "report" },
		{ .name = "report_bytes" },
		{ .name = "sample_ppm" },
		{ .name = "seed" },
		{ .name = "repair" },
		{ .name = "delete_extra" },
		{ .name = "started_ms" },
		{ .name = "source" },
		{ .name = "destination" },
	};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	struct jspan obj;
	uint64_t v, ppm, started;
	size_t dup;
	char fmt[64];

	if (json_doc(text, len, &obj, NULL) != 0 ||
	    json_fields(&obj, f, nf, &dup) != 0) {
		snprintf(err, errlen, "not valid JSON");
		return -1;
	}
	for (size_t i = 0; i < nf; i++)
		if (!f[i].seen) {
			snprintf(err, errlen, "missing field \"%s\"",
			    f[i].name);
			return -1;
		}
	if (json_string(&f[0].v, fmt, sizeof(fmt), NULL) != JSON_STR_OK ||
	    strcmp(fmt, VERIFY_CKPT_FORMAT) != 0 || get_u64(&f[1], &v) == -1 ||
	    v != VERIFY_CKPT_VERSION) {
		snprintf(err, errlen, "not a verify checkpoint of version %d",
		    VERIFY_CKPT_VERSION);
		return -1;
	}
	if (get_str(&f[2], &c->pair) == -1 ||
	    get_str(&f[3], &c->src_table) == -1 ||
	    get_str(&f[4], &c->src_region) == -1 ||
	    get_str(&f[5], &c->dst_table) == -1 ||
	    get_str(&f[6], &c->dst_region) == -1 ||
	    get_str(&f[7], &c->report) == -1 ||
	    get_u64(&f[8], &c->report_bytes) == -1 ||
	    get_u64(&f[9], &ppm) == -1 || ppm == 0 || ppm > VERIFY_SAMPLE_ALL ||
	    get_u64(&f[10], &c->seed) == -1 ||
	    json_bool(&f[11].v, &c->repair) == -1 ||
	    json_bool(&f[12].v, &c->delete_extra) == -1 ||
	    get_u64(&f[13], &started) == -1 || started > INT64_MAX ||
	    decode_pass(&f[14].v, c, VERIFY_SOURCE) == -1 ||
	    decode_pass(&f[15].v, c, VERIFY_DEST) == -1) {
		snprintf(err, errlen, "a field is malformed");
		verify_ckpt_clear(c);
		return -1;
	}
	c->sample_ppm = (uint32_t)ppm;
	c->started_ms = (int64_t)started;
	return 0;
}

static int
differs(const char *a, const char *b)
{
	return a == NULL || b == NULL || strcmp(a, b) != 0;
}

int
verify_ckpt_same(const struct verify_ckpt *a, const struct verify_ckpt *b,
    char *why, size_t whylen)
{
	const char *what = NULL;

	if (differs(a->pair, b->pair) || differs(a->src_table, b->src_table) ||
	    differs(a->src_region, b->src_region) ||
	    differs(a->dst_table, b->dst_table) ||
	    differs(a->dst_region, b->dst_region))
		what = "the tables differ";
	else if (differs(a->report, b->report))
		what = "the report path differs";
	else if (a->sample_ppm != b->sample_ppm)
		what = "the sample rate differs";
	else if (a->repair != b->repair || a->delete_extra != b->delete_extra)
		what = "--repair or --delete-extra differs";
	if (what == NULL)
		return 1;
	snprintf(why, whylen, "%s", what);
	return 0;
}

int
verify_sampled(const char *key, size_t len, uint64_t seed, uint32_t ppm)
{
	uint64_t h = 1469598103934665603ULL ^ seed;

	if (ppm >= VERIFY_SAMPLE_ALL)
		return 1;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	/* FNV's low bits are weak for short keys: mix (splitmix64's end). */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h % VERIFY_SAMPLE_ALL < ppm;
}

int64_t
verify_recheck_wait(int64_t margin_ms, int64_t lag_ms, int64_t lag_at_ms,
    int64_t now_ms)
{
	int64_t age = now_ms - lag_at_ms, lag;

	if (lag_at_ms <= 0 || lag_ms < 0 || age > VERIFY_LAG_FRESH_MS)
		return margin_ms;
	/* Not caught up then: the lag has grown since, unless changes were
	 * applied meanwhile (the next checkpoint says so). */
	lag = lag_ms > 0 && age > 0 ? lag_ms + age : lag_ms;
	if (lag > VERIFY_LAG_WAIT_MAX_MS)
		lag = VERIFY_LAG_WAIT_MAX_MS;
	return margin_ms + lag;
}
