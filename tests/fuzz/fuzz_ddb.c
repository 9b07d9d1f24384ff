/*
 * fuzz_ddb.c: DynamoDB and Streams response bodies through every parser
 * (DescribeTable, Scan, BatchWriteItem, DescribeStream, GetRecords, and the
 * table definition, TTL, PITR and tags answers that creating a destination
 * reads; a definition must make a valid CreateTable body). Spans
 * must lie in the body and hold what their names say; counts must agree;
 * the request bodies built from parsed spans must be valid JSON, and the
 * table's counts must size a backfill as the worker does.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "create.h"
#include "ddb.h"
#include "fuzz.h"
#include "jscan.h"
#include "ttl.h"
#include "worker.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static const char *body;
static size_t body_len;

static void
check_in_body(const struct jspan *s)
{
	FUZZ_CHECK(fuzz_within(s->p, s->len, body, body_len));
}

/* A span that jscan_value() reads back as exactly one value. */
static void
check_value(const struct jspan *s, char first)
{
	const char *p = s->p;
	struct jspan v;

	check_in_body(s);
	FUZZ_CHECK(s->len > 0 && s->p[0] == first);
	FUZZ_CHECK(jscan_value(&p, s->p + s->len, &v) == 0);
	FUZZ_CHECK(v.p == s->p && v.len == s->len && p == s->p + s->len);
}

static void
check_opt_string(const struct jspan *s)
{
	if (s->len == 0)
		return;
	check_value(s, '"');
	FUZZ_CHECK(s->len >= 2);
}

/* A request body we built must be one JSON object and nothing else. */
static void
check_json(const struct buf *b, long want_items, const char *key)
{
	const char *p = b->data, *end = b->data + b->len;
	struct jspan v, ri, tab, k, arr;

	FUZZ_CHECK(jscan_value(&p, end, &v) == 0 && p == end);
	if (want_items < 0)
		return;
	FUZZ_CHECK(jscan_find(&v, "RequestItems", &ri) == 1);
	FUZZ_CHECK(jscan_find(&ri, key, &tab) == 1 || key[0] == '\0');
	if (key[0] == '\0')
		return;
	p = ri.p;
	FUZZ_CHECK(jscan_open(&p, ri.p + ri.len, '{') == 0);
	FUZZ_CHECK(jscan_member(&p, ri.p + ri.len, &k, &arr) == 1);
	FUZZ_CHECK(jscan_count(&arr) == want_items);
}

static void
fuzz_describe(void)
{
	struct ddb_table t;
	uint32_t page, segs;
	char err[256];

	err[0] = '\0';
	if (ddb_parse_describe(body, body_len, &t, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(t.stream_arn == NULL);
		return;
	}
	FUZZ_CHECK(t.hash.name[0] != '\0');
	FUZZ_CHECK(
	    strnlen(t.hash.name, sizeof(t.hash.name)) < sizeof(t.hash.name));
	FUZZ_CHECK(
	    strnlen(t.range.name, sizeof(t.range.name)) < sizeof(t.range.name));
	FUZZ_CHECK(strnlen(t.status, sizeof(t.status)) < sizeof(t.status));
	FUZZ_CHECK(strnlen(t.stream_view, sizeof(t.stream_view)) <
	    sizeof(t.stream_view));
	FUZZ_CHECK(ddb_keys_compare(&t, &t, err, sizeof(err)) == 0);
	/* What the worker does with the counts (UBSan watches). */
	page = backfill_auto_page_size(t.item_count, t.size_bytes);
	FUZZ_CHECK(page >= 100 && page <= 1000);
	segs = backfill_auto_segments(t.item_count, t.size_bytes, page);
	FUZZ_CHECK(segs >= 1 && segs <= 1000);
	segs = backfill_auto_segments(t.item_count, t.size_bytes, 1);
	FUZZ_CHECK(segs >= 1 && segs <= 1000);
	ddb_table_clear(&t);
}

static void
fuzz_scan(void)
{
	struct ddb_page pg;
	struct buf b;
	size_t i, sum = 0;

	memset(&pg, 0, sizeof(pg));
	if (ddb_parse_scan(body, body_len, &pg) == 0) {
		FUZZ_CHECK(pg.nitems <= pg.cap);
		for (i = 0; i < pg.nitems; i++) {
			check_value(&pg.items[i], '{');
			sum += pg.items[i].len;
		}
		FUZZ_CHECK(sum == pg.item_bytes);
		/* Expired or not, every item is judged without a fault. */
		for (i = 0; i < pg.nitems; i++)
			(void)ttl_item_expired(&pg.items[i], "exp", 1700000000);
		if (pg.lek.len > 0)
			check_value(&pg.lek, '{');
		/* Items pass through to BatchWriteItem byte for byte. */
		buf_init(&b, 0);
		FUZZ_CHECK(ddb_batch_put_body(&b, "t\"\\x", pg.items, pg.nitems,
			       (int)(pg.nitems & 1)) == 0);
		check_json(&b, (long)pg.nitems, "t\\\"\\\\x");
		buf_free(&b);
	}
	ddb_page_free(&pg);
	FUZZ_CHECK(pg.items == NULL && pg.nitems == 0);
}

static void
fuzz_batch(void)
{
	struct jspan un;
	struct buf b;
	double wcu;
	long n;

	if (ddb_parse_batch(body, body_len, &un, &n, &wcu) == -1)
		return;
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK((un.len > 0) == (n > 0));
	if (un.len == 0)
		return;
	check_value(&un, '{');
	buf_init(&b, 0);
	FUZZ_CHECK(ddb_batch_resend_body(&b, &un, (int)(n & 1)) == 0);
	check_json(&b, -1, "");
	buf_free(&b);
}

static void
fuzz_describe_stream(void)
{
	struct ddb_shard_page pg;
	size_t i;

	memset(&pg, 0, sizeof(pg));
	if (ddb_parse_describe_stream(body, body_len, &pg) == 0) {
		FUZZ_CHECK(pg.n <= pg.cap);
		FUZZ_CHECK(
		    strnlen(pg.status, sizeof(pg.status)) < sizeof(pg.status));
		check_opt_string(&pg.last_shard_id);
		for (i = 0; i < pg.n; i++) {
			const struct ddb_shard *sh = &pg.shards[i];
			char *id;

			check_value(&sh->id, '"');
			FUZZ_CHECK(sh->id.len > 2);
			check_opt_string(&sh->parent);
			check_opt_string(&sh->start_seq);
			check_opt_string(&sh->end_seq);
			/* What the stream code does with an id. */
			id = jscan_strdup(&sh->id);
			FUZZ_CHECK(id != NULL);
			free(id);
		}
	}
	ddb_shard_page_free(&pg);
}

static void
fuzz_records(void)
{
	struct ddb_records rs;
	struct ddb_op *ops;
	struct buf b;
	size_t i;

	memset(&rs, 0, sizeof(rs));
	if (ddb_parse_records(body, body_len, &rs) == 0) {
		FUZZ_CHECK(rs.n <= rs.cap);
		check_opt_string(&rs.next_iter);
		ops = calloc(rs.n + 1, sizeof(*ops));
		FUZZ_CHECK(ops != NULL);
		for (i = 0; i < rs.n; i++) {
			const struct ddb_record *r = &rs.recs[i];

			FUZZ_CHECK(r->event == DDB_EV_INSERT ||
			    r->event == DDB_EV_MODIFY ||
			    r->event == DDB_EV_REMOVE);
			FUZZ_CHECK(r->ttl == 0 || r->ttl == 1);
			check_value(&r->keys, '{');
			check_value(&r->seq, '"');
			FUZZ_CHECK(
			    r->new_image.len > 0 || r->event == DDB_EV_REMOVE);
			if (r->new_image.len > 0)
				check_value(&r->new_image, '{');
			ops[i].del = r->event == DDB_EV_REMOVE;
			ops[i].span = ops[i].del ? r->keys : r->new_image;
		}
		buf_init(&b, 0);
		FUZZ_CHECK(ddb_batch_ops_body(&b, "tbl", ops, rs.n,
			       (int)(rs.n & 1)) == 0);
		check_json(&b, (long)rs.n, "tbl");
		buf_free(&b);
		free(ops);
	}
	ddb_records_free(&rs);
}

/* A definition: a CreateTable body that is one JSON object, naming the
 * destination, and no difference with itself. */
static void
fuzz_tdef(void)
{
	struct create_src src;
	struct create_spec sp;
	struct create_diff d;
	struct plan_pair p;
	const char *q, *end;
	struct jspan v;
	char err[1024];

	memset(&src, 0, sizeof(src));
	src.pitr = 1;
	if (ddb_parse_tdef(body, body_len, "Table", &src.tab, err,
		sizeof(err)) == -1) {
		FUZZ_CHECK(src.tab.name == NULL && src.tab.attrs == NULL);
		return;
	}
	FUZZ_CHECK(src.tab.hash.name[0] != '\0');
	FUZZ_CHECK(ddb_tdef_attr_type(&src.tab, src.tab.hash.name) != NULL);
	plan_pair_init(&p);
	p.input.table = (char *)(uintptr_t) "src";
	p.input.region = p.output.region = (char *)(uintptr_t) "us-east-1";
	p.output.table = (char *)(uintptr_t) "dst";
	strlcpy(src.ttl.status, "ENABLED", sizeof(src.ttl.status));
	strlcpy(src.ttl.attr, "exp", sizeof(src.ttl.attr));
	if (create_build(&p, &src, &sp, err, sizeof(err)) == 0) {
		q = sp.create_body;
		end = q + strlen(q);
		FUZZ_CHECK(jscan_value(&q, end, &v) == 0 && q == end);
		FUZZ_CHECK(jscan_find(&v, "TableName", &v) == 1 &&
		    jscan_eq(&v, "\"dst\""));
		FUZZ_CHECK(sp.ttl_body != NULL && sp.pitr_body != NULL);
		FUZZ_CHECK(sp.summary != NULL);
		create_spec_clear(&sp);
	} else
		FUZZ_CHECK(err[0] != '\0');
	create_compare(&p, &src, &src.tab, &src.ttl, &d);
	FUZZ_CHECK(d.error == NULL && d.nwarnings == 0);
	create_diff_clear(&d);
	ddb_tdef_clear(&src.tab);
}

static void
fuzz_ttl_pitr_tags(void)
{
	struct ddb_tags tags;
	struct ddb_ttl ttl;
	char err[256], *next = NULL;
	int pitr;

	if (ddb_parse_ttl(body, body_len, &ttl, err, sizeof(err)) == 0) {
		FUZZ_CHECK(
		    strnlen(ttl.attr, sizeof(ttl.attr)) < sizeof(ttl.attr));
		(void)ddb_ttl_on(&ttl);
	}
	if (ddb_parse_pitr(body, body_len, &pitr, err, sizeof(err)) == 0)
		FUZZ_CHECK(pitr == 0 || pitr == 1);
	memset(&tags, 0, sizeof(tags));
	if (ddb_parse_tags(body, body_len, &tags, &next, err, sizeof(err)) == 0)
		for (size_t i = 0; i < tags.n; i++)
			FUZZ_CHECK(
			    tags.v[i].key != NULL && tags.v[i].value != NULL);
	free(next);
	ddb_tags_clear(&tags);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	body = (const char *)data;
	body_len = size;
	fuzz_describe();
	fuzz_scan();
	fuzz_batch();
	fuzz_describe_stream();
	fuzz_records();
	fuzz_tdef();
	fuzz_ttl_pitr_tags();
	return 0;
}
