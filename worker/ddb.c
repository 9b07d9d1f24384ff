/* ddb.c: DynamoDB bodies built and read without re-serialising items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "ddb.h"
#include "xmalloc.h"

void
ddb_table_clear(struct ddb_table *t)
{
	free(t->stream_arn);
	memset(t, 0, sizeof(*t));
}

static const char *
jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
ddb_parse_describe(const char *body, size_t len, struct ddb_table *t,
    char *err, size_t errlen)
{
	cJSON *j, *tab, *ks, *ad, *e, *ss;
	const char *s;

	memset(t, 0, sizeof(*t));
	if ((j = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(err, errlen, "DescribeTable: malformed JSON");
		return -1;
	}
	tab = cJSON_GetObjectItemCaseSensitive(j, "Table");
	if (!cJSON_IsObject(tab)) {
		snprintf(err, errlen, "DescribeTable: no Table in response");
		goto fail;
	}
	if ((s = jstr(tab, "TableStatus")) != NULL)
		strlcpy(t->status, s, sizeof(t->status));
	e = cJSON_GetObjectItemCaseSensitive(tab, "ItemCount");
	if (cJSON_IsNumber(e))
		t->item_count = (int64_t)e->valuedouble;
	e = cJSON_GetObjectItemCaseSensitive(tab, "TableSizeBytes");
	if (cJSON_IsNumber(e))
		t->size_bytes = (int64_t)e->valuedouble;
	ks = cJSON_GetObjectItemCaseSensitive(tab, "KeySchema");
	ad = cJSON_GetObjectItemCaseSensitive(tab, "AttributeDefinitions");
	cJSON_ArrayForEach(e, ks) {
		const char *n = jstr(e, "AttributeName");
		const char *kt = jstr(e, "KeyType");
		struct ddb_key *k;
		const cJSON *d;

		if (n == NULL || kt == NULL)
			continue;
		k = strcmp(kt, "HASH") == 0 ? &t->hash : &t->range;
		strlcpy(k->name, n, sizeof(k->name));
		cJSON_ArrayForEach(d, ad) {
			const char *dn = jstr(d, "AttributeName");
			const char *dt = jstr(d, "AttributeType");

			if (dn != NULL && dt != NULL && strcmp(dn, n) == 0)
				strlcpy(k->type, dt, sizeof(k->type));
		}
	}
	if (t->hash.name[0] == '\0') {
		snprintf(err, errlen, "DescribeTable: no HASH key in schema");
		goto fail;
	}
	ss = cJSON_GetObjectItemCaseSensitive(tab, "StreamSpecification");
	if (cJSON_IsObject(ss)) {
		t->stream_enabled = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(ss, "StreamEnabled"));
		if ((s = jstr(ss, "StreamViewType")) != NULL)
			strlcpy(t->stream_view, s, sizeof(t->stream_view));
	}
	if ((s = jstr(tab, "LatestStreamArn")) != NULL)
		t->stream_arn = xstrdup(s);
	cJSON_Delete(j);
	return 0;
fail:
	cJSON_Delete(j);
	return -1;
}

static void
key_desc(const struct ddb_table *t, char *out, size_t len)
{
	if (t->range.name[0] != '\0')
		snprintf(out, len, "HASH %s (%s), RANGE %s (%s)", t->hash.name,
		    t->hash.type, t->range.name, t->range.type);
	else
		snprintf(out, len, "HASH %s (%s)", t->hash.name, t->hash.type);
}

int
ddb_keys_compare(const struct ddb_table *src, const struct ddb_table *dst,
    char *err, size_t errlen)
{
	char a[600], b[600];

	key_desc(src, a, sizeof(a));
	key_desc(dst, b, sizeof(b));
	if (strcmp(a, b) == 0)
		return 0;
	snprintf(err, errlen, "key schemas differ: source has %s, "
	    "destination has %s", a, b);
	return -1;
}

int
ddb_scan_body(struct buf *b, const char *table, uint32_t segment,
    uint32_t total, uint32_t limit, const char *start_key)
{
	buf_reset(b);
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1 ||
	    buf_printf(b, ",\"Segment\":%u,\"TotalSegments\":%u,"
	    "\"Limit\":%u,\"ReturnConsumedCapacity\":\"TOTAL\"", segment,
	    total, limit) == -1)
		return -1;
	if (start_key != NULL && (buf_adds(b, ",\"ExclusiveStartKey\":") ==
	    -1 || buf_adds(b, start_key) == -1))
		return -1;
	return buf_addc(b, '}');
}

void
ddb_page_free(struct ddb_page *pg)
{
	free(pg->items);
	memset(pg, 0, sizeof(*pg));
}

static int
parse_items(const struct jspan *arr, struct ddb_page *pg)
{
	const char *p = arr->p, *end = arr->p + arr->len;
	struct jspan v;
	int r;

	if (jscan_open(&p, end, '[') == -1)
		return -1;
	while ((r = jscan_element(&p, end, &v)) == 1) {
		if (v.len == 0 || v.p[0] != '{')
			return -1;
		if (pg->nitems == pg->cap) {
			pg->cap = pg->cap ? pg->cap * 2 : 256;
			pg->items = xrealloc(pg->items,
			    pg->cap * sizeof(*pg->items));
		}
		pg->items[pg->nitems++] = v;
		pg->item_bytes += v.len;
	}
	return r == 0 ? 0 : -1;
}

int
ddb_parse_scan(const char *body, size_t len, struct ddb_page *pg)
{
	const char *p = body, *end = body + len;
	struct jspan k, v, cu;
	int r, have_items = 0;

	pg->nitems = 0;
	pg->item_bytes = 0;
	pg->lek.p = NULL;
	pg->lek.len = 0;
	pg->capacity = 0;
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, "Items")) {
			if (parse_items(&v, pg) == -1)
				return -1;
			have_items = 1;
		} else if (jscan_eq(&k, "LastEvaluatedKey")) {
			if (v.len == 0 || v.p[0] != '{')
				return -1;
			pg->lek = v;
		} else if (jscan_eq(&k, "ConsumedCapacity")) {
			if (v.p[0] == '{' && jscan_find(&v, "CapacityUnits",
			    &cu) == 1)
				jscan_double(&cu, &pg->capacity);
		}
	}
	if (r == -1)
		return -1;
	/* Nothing may follow the object. */
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	if (p != end || !have_items)
		return -1;
	return 0;
}

int
ddb_batch_put_body(struct buf *b, const char *table,
    const struct jspan *items, size_t n)
{
	size_t need = 64 + strlen(table) * 6;

	for (size_t i = 0; i < n; i++)
		need += items[i].len + 32;
	buf_reset(b);
	if (buf_reserve(b, need) == -1)
		return -1;
	if (buf_adds(b, "{\"RequestItems\":{") == -1 ||
	    buf_json_str(b, table) == -1 || buf_adds(b, ":[") == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && buf_addc(b, ',') == -1) ||
		    buf_adds(b, "{\"PutRequest\":{\"Item\":") == -1 ||
		    buf_add(b, items[i].p, items[i].len) == -1 ||
		    buf_adds(b, "}}") == -1)
			return -1;
	}
	return buf_adds(b, "]},\"ReturnConsumedCapacity\":\"TOTAL\"}");
}

int
ddb_batch_resend_body(struct buf *b, const struct jspan *unprocessed)
{
	buf_reset(b);
	if (buf_adds(b, "{\"RequestItems\":") == -1 ||
	    buf_add(b, unprocessed->p, unprocessed->len) == -1)
		return -1;
	return buf_adds(b, ",\"ReturnConsumedCapacity\":\"TOTAL\"}");
}

int
ddb_parse_batch(const char *body, size_t len, struct jspan *unprocessed,
    long *nunprocessed, double *wcu)
{
	const char *p = body, *end = body + len;
	struct jspan k, v, tk, tv, cu;
	int r;

	unprocessed->p = NULL;
	unprocessed->len = 0;
	*nunprocessed = 0;
	*wcu = 0;
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, "UnprocessedItems")) {
			const char *q = v.p, *qe = v.p + v.len;
			int rr;

			if (jscan_open(&q, qe, '{') == -1)
				return -1;
			while ((rr = jscan_member(&q, qe, &tk, &tv)) == 1) {
				long n = jscan_count(&tv);

				if (n < 0)
					return -1;
				*nunprocessed += n;
			}
			if (rr == -1)
				return -1;
			if (*nunprocessed > 0)
				*unprocessed = v;
		} else if (jscan_eq(&k, "ConsumedCapacity")) {
			const char *q = v.p, *qe = v.p + v.len;
			struct jspan el;
			int rr;

			if (jscan_open(&q, qe, '[') == -1)
				continue;
			while ((rr = jscan_element(&q, qe, &el)) == 1) {
				double d;

				if (el.p[0] == '{' && jscan_find(&el,
				    "CapacityUnits", &cu) == 1 &&
				    jscan_double(&cu, &d) == 0)
					*wcu += d;
			}
			if (rr == -1)
				return -1;
		}
	}
	return r == 0 ? 0 : -1;
}
