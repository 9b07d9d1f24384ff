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

/*
 * A count from a JSON number; 0 (unknown) beyond 2^53, where doubles stop
 * holding every integer: converting a double outside int64_t's range is
 * undefined behaviour (cJSON returns any number, 1e400 as inf), and the
 * backfill's sizing adds to these counts in int64_t.
 */
static int64_t
jcount(const cJSON *n)
{
	double d = n->valuedouble;

	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0))
		return 0;
	return (int64_t)d;
}

int
ddb_parse_describe(const char *body, size_t len, struct ddb_table *t, char *err,
    size_t errlen)
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
		t->item_count = jcount(e);
	e = cJSON_GetObjectItemCaseSensitive(tab, "TableSizeBytes");
	if (cJSON_IsNumber(e))
		t->size_bytes = jcount(e);
	ks = cJSON_GetObjectItemCaseSensitive(tab, "KeySchema");
	ad = cJSON_GetObjectItemCaseSensitive(tab, "AttributeDefinitions");
	cJSON_ArrayForEach(e, ks)
	{
		const char *n = jstr(e, "AttributeName");
		const char *kt = jstr(e, "KeyType");
		struct ddb_key *k;
		const cJSON *d;

		if (n == NULL || kt == NULL)
			continue;
		k = strcmp(kt, "HASH") == 0 ? &t->hash : &t->range;
		strlcpy(k->name, n, sizeof(k->name));
		cJSON_ArrayForEach(d, ad)
		{
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
	snprintf(err, errlen,
	    "key schemas differ: source has %s, "
	    "destination has %s",
	    a, b);
	return -1;
}

/* ------------------------------------------------------------------------
 * Table definitions (DescribeTable / CreateTable answers) and the other
 * control-plane answers. Not a hot path: cJSON is fine here.
 */

static char *
jdup(const cJSON *o, const char *name)
{
	const char *s = jstr(o, name);

	return s != NULL ? xstrdup(s) : NULL;
}

static int64_t
jint(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? jcount(v) : 0;
}

static void
index_clear(struct ddb_index *x)
{
	free(x->name);
	free(x->hash);
	free(x->range);
	for (size_t i = 0; i < x->nnonkey; i++)
		free(x->nonkey[i]);
	free(x->nonkey);
	memset(x, 0, sizeof(*x));
}

void
ddb_tdef_clear(struct ddb_tdef *t)
{
	free(t->name);
	free(t->arn);
	free(t->attrs);
	for (size_t i = 0; i < t->ngsis; i++)
		index_clear(&t->gsis[i]);
	free(t->gsis);
	for (size_t i = 0; i < t->nlsis; i++)
		index_clear(&t->lsis[i]);
	free(t->lsis);
	free(t->sse_key);
	memset(t, 0, sizeof(*t));
}

const char *
ddb_tdef_attr_type(const struct ddb_tdef *t, const char *name)
{
	for (size_t i = 0; i < t->nattrs; i++)
		if (strcmp(t->attrs[i].name, name) == 0)
			return t->attrs[i].type;
	return NULL;
}

/* KeySchema: the HASH and RANGE names. 0, or -1 without a HASH. */
static int
key_schema(const cJSON *ks, const char **hash, const char **range)
{
	const cJSON *e;

	*hash = *range = NULL;
	cJSON_ArrayForEach(e, ks)
	{
		const char *n = jstr(e, "AttributeName");
		const char *kt = jstr(e, "KeyType");

		if (n == NULL || kt == NULL)
			return -1;
		if (strcmp(kt, "HASH") == 0)
			*hash = n;
		else if (strcmp(kt, "RANGE") == 0)
			*range = n;
		else
			return -1;
	}
	return *hash != NULL ? 0 : -1;
}

static int
parse_index(const cJSON *o, int global, struct ddb_index *x, char *err,
    size_t errlen)
{
	const cJSON *pr, *nk, *e, *pt;
	const char *hash, *range, *s;

	memset(x, 0, sizeof(*x));
	if ((x->name = jdup(o, "IndexName")) == NULL) {
		snprintf(err, errlen, "an index without IndexName");
		return -1;
	}
	if (key_schema(cJSON_GetObjectItemCaseSensitive(o, "KeySchema"), &hash,
		&range) == -1) {
		snprintf(err, errlen, "index %s: no usable KeySchema", x->name);
		return -1;
	}
	x->hash = xstrdup(hash);
	x->range = range != NULL ? xstrdup(range) : NULL;
	pr = cJSON_GetObjectItemCaseSensitive(o, "Projection");
	if ((s = jstr(pr, "ProjectionType")) == NULL ||
	    (strcmp(s, "ALL") != 0 && strcmp(s, "KEYS_ONLY") != 0 &&
		strcmp(s, "INCLUDE") != 0)) {
		snprintf(err, errlen, "index %s: unknown projection", x->name);
		return -1;
	}
	strlcpy(x->projection, s, sizeof(x->projection));
	nk = cJSON_GetObjectItemCaseSensitive(pr, "NonKeyAttributes");
	if (cJSON_IsArray(nk) && cJSON_GetArraySize(nk) > 0) {
		x->nonkey = xcalloc((size_t)cJSON_GetArraySize(nk),
		    sizeof(*x->nonkey));
		cJSON_ArrayForEach(e, nk)
		{
			if (!cJSON_IsString(e)) {
				snprintf(err, errlen,
				    "index %s: bad "
				    "NonKeyAttributes",
				    x->name);
				return -1;
			}
			x->nonkey[x->nnonkey++] = xstrdup(e->valuestring);
		}
	}
	if (!global)
		return 0;
	pt = cJSON_GetObjectItemCaseSensitive(o, "ProvisionedThroughput");
	x->rcu = jint(pt, "ReadCapacityUnits");
	x->wcu = jint(pt, "WriteCapacityUnits");
	pt = cJSON_GetObjectItemCaseSensitive(o, "OnDemandThroughput");
	x->max_rru = jint(pt, "MaxReadRequestUnits");
	x->max_wru = jint(pt, "MaxWriteRequestUnits");
	if ((s = jstr(o, "IndexStatus")) != NULL)
		strlcpy(x->status, s, sizeof(x->status));
	return 0;
}

static int
parse_indexes(const cJSON *arr, int global, struct ddb_index **out, size_t *n,
    char *err, size_t errlen)
{
	const cJSON *e;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return 0;
	*out = xcalloc((size_t)cJSON_GetArraySize(arr), sizeof(**out));
	cJSON_ArrayForEach(e, arr)
	{
		/* Counted before parsing: a half-parsed one is freed too. */
		if (parse_index(e, global, &(*out)[(*n)++], err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
ddb_parse_tdef(const char *body, size_t len, const char *member,
    struct ddb_tdef *t, char *err, size_t errlen)
{
	cJSON *j, *tab, *e, *o;
	const char *s, *hash, *range, *ty;

	memset(t, 0, sizeof(*t));
	if ((j = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(err, errlen, "malformed JSON");
		return -1;
	}
	tab = cJSON_GetObjectItemCaseSensitive(j, member);
	if (!cJSON_IsObject(tab)) {
		snprintf(err, errlen, "no %s in the answer", member);
		goto fail;
	}
	t->name = jdup(tab, "TableName");
	t->arn = jdup(tab, "TableArn");
	if ((s = jstr(tab, "TableStatus")) != NULL)
		strlcpy(t->status, s, sizeof(t->status));
	o = cJSON_GetObjectItemCaseSensitive(tab, "AttributeDefinitions");
	if (cJSON_IsArray(o) && cJSON_GetArraySize(o) > 0)
		t->attrs = xcalloc((size_t)cJSON_GetArraySize(o),
		    sizeof(*t->attrs));
	cJSON_ArrayForEach(e, o)
	{
		s = jstr(e, "AttributeName");
		ty = jstr(e, "AttributeType");
		if (s == NULL || ty == NULL ||
		    (strcmp(ty, "S") != 0 && strcmp(ty, "N") != 0 &&
			strcmp(ty, "B") != 0) ||
		    strlen(s) >= sizeof(t->attrs[0].name)) {
			snprintf(err, errlen, "bad AttributeDefinitions");
			goto fail;
		}
		strlcpy(t->attrs[t->nattrs].name, s, sizeof(t->attrs[0].name));
		strlcpy(t->attrs[t->nattrs].type, ty, sizeof(t->attrs[0].type));
		t->nattrs++;
	}
	if (key_schema(cJSON_GetObjectItemCaseSensitive(tab, "KeySchema"),
		&hash, &range) == -1 ||
	    strlen(hash) >= sizeof(t->hash.name) ||
	    (range != NULL && strlen(range) >= sizeof(t->range.name))) {
		snprintf(err, errlen, "no usable KeySchema");
		goto fail;
	}
	strlcpy(t->hash.name, hash, sizeof(t->hash.name));
	if (range != NULL)
		strlcpy(t->range.name, range, sizeof(t->range.name));
	if ((ty = ddb_tdef_attr_type(t, hash)) == NULL ||
	    (range != NULL && ddb_tdef_attr_type(t, range) == NULL)) {
		snprintf(err, errlen, "a key attribute has no definition");
		goto fail;
	}
	strlcpy(t->hash.type, ty, sizeof(t->hash.type));
	if (range != NULL)
		strlcpy(t->range.type, ddb_tdef_attr_type(t, range),
		    sizeof(t->range.type));
	if (parse_indexes(cJSON_GetObjectItemCaseSensitive(tab,
			      "GlobalSecondaryIndexes"),
		1, &t->gsis, &t->ngsis, err, errlen) == -1 ||
	    parse_indexes(cJSON_GetObjectItemCaseSensitive(tab,
			      "LocalSecondaryIndexes"),
		0, &t->lsis, &t->nlsis, err, errlen) == -1)
		goto fail;
	o = cJSON_GetObjectItemCaseSensitive(tab, "ProvisionedThroughput");
	t->rcu = jint(o, "ReadCapacityUnits");
	t->wcu = jint(o, "WriteCapacityUnits");
	o = cJSON_GetObjectItemCaseSensitive(tab, "OnDemandThroughput");
	t->max_rru = jint(o, "MaxReadRequestUnits");
	t->max_wru = jint(o, "MaxWriteRequestUnits");
	/* Tables that were always provisioned may come without a summary. */
	s = jstr(cJSON_GetObjectItemCaseSensitive(tab, "BillingModeSummary"),
	    "BillingMode");
	strlcpy(t->billing,
	    s != NULL			   ? s :
		t->rcu == 0 && t->wcu == 0 ? "PAY_PER_REQUEST" :
					     "PROVISIONED",
	    sizeof(t->billing));
	s = jstr(cJSON_GetObjectItemCaseSensitive(tab, "TableClassSummary"),
	    "TableClass");
	if (s != NULL)
		strlcpy(t->table_class, s, sizeof(t->table_class));
	o = cJSON_GetObjectItemCaseSensitive(tab, "SSEDescription");
	if ((s = jstr(o, "Status")) != NULL &&
	    (strcmp(s, "ENABLED") == 0 || strcmp(s, "ENABLING") == 0 ||
		strcmp(s, "UPDATING") == 0)) {
		t->sse_kms = 1;
		t->sse_key = jdup(o, "KMSMasterKeyArn");
	}
	t->deletion_protection = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(tab, "DeletionProtectionEnabled"));
	o = cJSON_GetObjectItemCaseSensitive(tab, "StreamSpecification");
	t->stream_enabled = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(o, "StreamEnabled"));
	if ((s = jstr(o, "StreamViewType")) != NULL)
		strlcpy(t->stream_view, s, sizeof(t->stream_view));
	cJSON_Delete(j);
	return 0;
fail:
	cJSON_Delete(j);
	ddb_tdef_clear(t);
	return -1;
}

int
ddb_parse_ttl(const char *body, size_t len, struct ddb_ttl *ttl, char *err,
    size_t errlen)
{
	cJSON *j, *d;
	const char *s;

	memset(ttl, 0, sizeof(*ttl));
	if ((j = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(err, errlen, "DescribeTimeToLive: malformed JSON");
		return -1;
	}
	d = cJSON_GetObjectItemCaseSensitive(j, "TimeToLiveDescription");
	if ((s = jstr(d, "TimeToLiveStatus")) == NULL) {
		snprintf(err, errlen,
		    "DescribeTimeToLive: no "
		    "TimeToLiveStatus in the answer");
		cJSON_Delete(j);
		return -1;
	}
	strlcpy(ttl->status, s, sizeof(ttl->status));
	if ((s = jstr(d, "AttributeName")) != NULL)
		strlcpy(ttl->attr, s, sizeof(ttl->attr));
	cJSON_Delete(j);
	return 0;
}

int
ddb_ttl_on(const struct ddb_ttl *ttl)
{
	return ttl->attr[0] != '\0' &&
	    (strcmp(ttl->status, "ENABLED") == 0 ||
		strcmp(ttl->status, "ENABLING") == 0);
}

int
ddb_parse_pitr(const char *body, size_t len, int *pitr, char *err,
    size_t errlen)
{
	cJSON *j, *d;
	const char *s;

	*pitr = 0;
	if ((j = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(err, errlen,
		    "DescribeContinuousBackups: malformed "
		    "JSON");
		return -1;
	}
	d = cJSON_GetObjectItemCaseSensitive(j, "ContinuousBackupsDescription");
	if (!cJSON_IsObject(d)) {
		snprintf(err, errlen,
		    "DescribeContinuousBackups: no "
		    "ContinuousBackupsDescription in the answer");
		cJSON_Delete(j);
		return -1;
	}
	s = jstr(cJSON_GetObjectItemCaseSensitive(d,
		     "PointInTimeRecoveryDescription"),
	    "PointInTimeRecoveryStatus");
	*pitr = s != NULL && strcmp(s, "ENABLED") == 0;
	cJSON_Delete(j);
	return 0;
}

void
ddb_tags_clear(struct ddb_tags *tg)
{
	for (size_t i = 0; i < tg->n; i++) {
		free(tg->v[i].key);
		free(tg->v[i].value);
	}
	free(tg->v);
	memset(tg, 0, sizeof(*tg));
}

int
ddb_parse_tags(const char *body, size_t len, struct ddb_tags *tg, char **next,
    char *err, size_t errlen)
{
	cJSON *j, *arr, *e;
	const char *k, *v;

	*next = NULL;
	if ((j = cJSON_ParseWithLength(body, len)) == NULL) {
		snprintf(err, errlen, "ListTagsOfResource: malformed JSON");
		return -1;
	}
	arr = cJSON_GetObjectItemCaseSensitive(j, "Tags");
	if (arr != NULL && !cJSON_IsArray(arr))
		goto bad;
	cJSON_ArrayForEach(e, arr)
	{
		if ((k = jstr(e, "Key")) == NULL ||
		    (v = jstr(e, "Value")) == NULL)
			goto bad;
		tg->v = xrealloc(tg->v, (tg->n + 1) * sizeof(*tg->v));
		tg->v[tg->n].key = xstrdup(k);
		tg->v[tg->n].value = xstrdup(v);
		tg->n++;
	}
	*next = jdup(j, "NextToken");
	cJSON_Delete(j);
	return 0;
bad:
	snprintf(err, errlen, "ListTagsOfResource: bad Tags in the answer");
	cJSON_Delete(j);
	return -1;
}

int
ddb_table_body(struct buf *b, const char *table)
{
	buf_reset(b);
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1)
		return -1;
	return buf_addc(b, '}');
}

int
ddb_list_tags_body(struct buf *b, const char *arn, const char *next)
{
	buf_reset(b);
	if (buf_adds(b, "{\"ResourceArn\":") == -1 ||
	    buf_json_str(b, arn) == -1)
		return -1;
	if (next != NULL &&
	    (buf_adds(b, ",\"NextToken\":") == -1 ||
		buf_json_str(b, next) == -1))
		return -1;
	return buf_addc(b, '}');
}

int
ddb_update_ttl_body(struct buf *b, const char *table, const char *attr)
{
	buf_reset(b);
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1 ||
	    buf_adds(b,
		",\"TimeToLiveSpecification\":{\"Enabled\":true,"
		"\"AttributeName\":") == -1 ||
	    buf_json_str(b, attr) == -1)
		return -1;
	return buf_adds(b, "}}");
}

int
ddb_update_pitr_body(struct buf *b, const char *table)
{
	buf_reset(b);
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1)
		return -1;
	return buf_adds(b,
	    ",\"PointInTimeRecoverySpecification\":"
	    "{\"PointInTimeRecoveryEnabled\":true}}");
}

/*
 * The end of a request body. Asking for consumed capacity is free on AWS
 * but not everywhere: DynamoDB Local spends about a fifth of its CPU on it
 * in a copy (bench/README.md), hence the per-pair opt-out.
 */
static int
ddb_body_end(struct buf *b, int capacity)
{
	if (capacity &&
	    buf_adds(b, ",\"ReturnConsumedCapacity\":\"TOTAL\"") == -1)
		return -1;
	return buf_addc(b, '}');
}

int
ddb_scan_body(struct buf *b, const char *table, uint32_t segment,
    uint32_t total, uint32_t limit, const char *start_key, int capacity)
{
	buf_reset(b);
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1 ||
	    buf_printf(b,
		",\"Segment\":%u,\"TotalSegments\":%u,"
		"\"Limit\":%u",
		segment, total, limit) == -1)
		return -1;
	if (start_key != NULL &&
	    (buf_adds(b, ",\"ExclusiveStartKey\":") == -1 ||
		buf_adds(b, start_key) == -1))
		return -1;
	return ddb_body_end(b, capacity);
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
			if (v.p[0] == '{' &&
			    jscan_find(&v, "CapacityUnits", &cu) == 1)
				jscan_double(&cu, &pg->capacity);
		}
	}
	if (r == -1 || jscan_end(p, end) == -1 || !have_items)
		return -1;
	return 0;
}

/* What a write adds to a body beyond its span, and the span's wrapper. */
static const char *
op_head(int del)
{
	return del ? "{\"DeleteRequest\":{\"Key\":" :
		     "{\"PutRequest\":{\"Item\":";
}

size_t
ddb_batch_op_len(int del, size_t span_len)
{
	return strlen(op_head(del)) + span_len + 2; /* "}}" */
}

int
ddb_batch_begin(struct buf *b, const char *table)
{
	buf_reset(b);
	if (buf_adds(b, "{\"RequestItems\":{") == -1 ||
	    buf_json_str(b, table) == -1 || buf_adds(b, ":[") == -1)
		return -1;
	return 0;
}

int
ddb_batch_add(struct buf *b, int del, const struct jspan *span, int first)
{
	if ((!first && buf_addc(b, ',') == -1) ||
	    buf_adds(b, op_head(del)) == -1 ||
	    buf_add(b, span->p, span->len) == -1 || buf_adds(b, "}}") == -1)
		return -1;
	return 0;
}

int
ddb_batch_end(struct buf *b, int capacity)
{
	if (buf_adds(b, "]}") == -1)
		return -1;
	return ddb_body_end(b, capacity);
}

int
ddb_batch_put_body(struct buf *b, const char *table, const struct jspan *items,
    size_t n, int capacity)
{
	if (ddb_batch_begin(b, table) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ddb_batch_add(b, 0, &items[i], i == 0) == -1)
			return -1;
	return ddb_batch_end(b, capacity);
}

int
ddb_batch_resend_body(struct buf *b, const struct jspan *unprocessed,
    int capacity)
{
	buf_reset(b);
	if (buf_adds(b, "{\"RequestItems\":") == -1 ||
	    buf_add(b, unprocessed->p, unprocessed->len) == -1)
		return -1;
	return ddb_body_end(b, capacity);
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

				if (el.p[0] == '{' &&
				    jscan_find(&el, "CapacityUnits", &cu) ==
					1 &&
				    jscan_double(&cu, &d) == 0)
					*wcu += d;
			}
			if (rr == -1)
				return -1;
		}
	}
	return r == 0 ? jscan_end(p, end) : -1;
}

void
ddb_shard_page_free(struct ddb_shard_page *pg)
{
	free(pg->shards);
	memset(pg, 0, sizeof(*pg));
}

static int
is_string(const struct jspan *v)
{
	return v->len >= 2 && v->p[0] == '"';
}

static int
parse_shard(const struct jspan *obj, struct ddb_shard *sh)
{
	const char *p = obj->p, *end = obj->p + obj->len;
	struct jspan k, v;
	int r;

	memset(sh, 0, sizeof(*sh));
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, "ShardId") && is_string(&v))
			sh->id = v;
		else if (jscan_eq(&k, "ParentShardId") && is_string(&v))
			sh->parent = v;
		else if (jscan_eq(&k, "SequenceNumberRange") && v.p[0] == '{') {
			struct jspan s;

			if (jscan_find(&v, "StartingSequenceNumber", &s) == 1 &&
			    is_string(&s))
				sh->start_seq = s;
			if (jscan_find(&v, "EndingSequenceNumber", &s) == 1 &&
			    is_string(&s))
				sh->end_seq = s;
		}
	}
	return r == 0 && sh->id.len > 2 ? 0 : -1;
}

int
ddb_parse_describe_stream(const char *body, size_t len,
    struct ddb_shard_page *pg)
{
	struct jspan desc = { NULL, 0 }, k, v, el;
	const char *p = body, *end = body + len;
	int r;

	pg->n = 0;
	pg->last_shard_id.len = 0;
	pg->last_shard_id.p = NULL;
	pg->status[0] = '\0';
	/* The whole answer must be one JSON value, not just a readable part. */
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1)
		if (jscan_eq(&k, "StreamDescription"))
			desc = v;
	if (r != 0 || jscan_end(p, end) == -1 || desc.len == 0 ||
	    desc.p[0] != '{')
		return -1;
	p = desc.p;
	end = desc.p + desc.len;
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, "Shards")) {
			const char *q = v.p, *qe = v.p + v.len;
			int rr;

			if (jscan_open(&q, qe, '[') == -1)
				return -1;
			while ((rr = jscan_element(&q, qe, &el)) == 1) {
				if (pg->n == pg->cap) {
					pg->cap = pg->cap ? pg->cap * 2 : 16;
					pg->shards = xrealloc(pg->shards,
					    pg->cap * sizeof(*pg->shards));
				}
				if (el.p[0] != '{' ||
				    parse_shard(&el, &pg->shards[pg->n]) == -1)
					return -1;
				pg->n++;
			}
			if (rr == -1)
				return -1;
		} else if (jscan_eq(&k, "LastEvaluatedShardId") &&
		    is_string(&v))
			pg->last_shard_id = v;
		else if (jscan_eq(&k, "StreamStatus") && is_string(&v))
			jscan_string(&v, pg->status, sizeof(pg->status));
	}
	return r == 0 ? 0 : -1;
}

void
ddb_records_free(struct ddb_records *rs)
{
	free(rs->recs);
	memset(rs, 0, sizeof(*rs));
}

/* An iterator member: a string, or null for a shard with nothing more
 * (out left empty). Anything else is unreadable: -1. */
static int
iter_value(const struct jspan *v, struct jspan *out)
{
	if (is_string(v))
		*out = *v;
	else if (!jscan_eq(v, "null"))
		return -1;
	return 0;
}

/*
 * userIdentity of a record the TTL service made (docs/plan-format.md, TTL).
 * The developer guide spells its members "type" and "principalId", the
 * API model (and so the wire) "Type" and "PrincipalId": accept both.
 */
static int
ttl_identity(const struct jspan *v)
{
	struct jspan t, pid;

	if (v->p[0] != '{')
		return 0;
	if (jscan_find(v, "Type", &t) != 1 && jscan_find(v, "type", &t) != 1)
		return 0;
	if (jscan_find(v, "PrincipalId", &pid) != 1 &&
	    jscan_find(v, "principalId", &pid) != 1)
		return 0;
	return jscan_eq(&t, "\"Service\"") &&
	    jscan_eq(&pid, "\"dynamodb.amazonaws.com\"");
}

static int
parse_record(const struct jspan *obj, struct ddb_record *rec)
{
	const char *p = obj->p, *end = obj->p + obj->len;
	struct jspan k, ev = { NULL, 0 }, d = { NULL, 0 }, v;
	int r;

	memset(rec, 0, sizeof(*rec));
	/* One pass over the record's members: this runs for every change. */
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, "eventName"))
			ev = v;
		else if (jscan_eq(&k, "dynamodb"))
			d = v;
		else if (jscan_eq(&k, "userIdentity"))
			rec->ttl = ttl_identity(&v);
	}
	/* Nothing after the object (a spooled record is exactly one). */
	if (r != 0 || ev.len == 0 || jscan_end(p, end) == -1)
		return -1;
	if (jscan_eq(&ev, "\"INSERT\""))
		rec->event = DDB_EV_INSERT;
	else if (jscan_eq(&ev, "\"MODIFY\""))
		rec->event = DDB_EV_MODIFY;
	else if (jscan_eq(&ev, "\"REMOVE\""))
		rec->event = DDB_EV_REMOVE;
	else
		return -1;
	if (d.len == 0 || d.p[0] != '{')
		return -1;
	if (jscan_find(&d, "Keys", &v) != 1 || v.p[0] != '{')
		return -1;
	rec->keys = v;
	if (jscan_find(&d, "SequenceNumber", &v) != 1 || !is_string(&v))
		return -1;
	rec->seq = v;
	if (jscan_find(&d, "NewImage", &v) == 1) {
		if (v.p[0] != '{')
			return -1;
		rec->new_image = v;
	} else if (rec->event != DDB_EV_REMOVE)
		return -1; /* nothing to write: never guess */
	if (jscan_find(&d, "ApproximateCreationDateTime", &v) == 1)
		jscan_double(&v, &rec->created);
	rec->raw = *obj;
	return 0;
}

int
ddb_parse_record(const char *obj, size_t len, struct ddb_record *rec)
{
	struct jspan el = { obj, len };

	if (len == 0 || obj[0] != '{')
		return -1;
	return parse_record(&el, rec);
}

int
ddb_parse_records(const char *body, size_t len, struct ddb_records *rs)
{
	const char *p = body, *end = body + len;
	struct jspan k, v, el;
	int r, have = 0;

	rs->n = 0;
	rs->next_iter.p = NULL;
	rs->next_iter.len = 0;
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, "Records")) {
			const char *q = v.p, *qe = v.p + v.len;
			int rr;

			if (jscan_open(&q, qe, '[') == -1)
				return -1;
			while ((rr = jscan_element(&q, qe, &el)) == 1) {
				if (rs->n == rs->cap) {
					rs->cap = rs->cap ? rs->cap * 2 : 64;
					rs->recs = xrealloc(rs->recs,
					    rs->cap * sizeof(*rs->recs));
				}
				if (el.p[0] != '{' ||
				    parse_record(&el, &rs->recs[rs->n]) == -1)
					return -1;
				rs->n++;
			}
			if (rr == -1)
				return -1;
			have = 1;
		} else if (jscan_eq(&k, "NextShardIterator") &&
		    iter_value(&v, &rs->next_iter) == -1)
			return -1;
	}
	return r == 0 && have ? jscan_end(p, end) : -1;
}

int
ddb_parse_shard_iterator(const char *body, size_t len, struct jspan *iter)
{
	const char *p = body, *end = body + len;
	struct jspan k, v;
	int r;

	iter->p = NULL;
	iter->len = 0;
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1)
		if (jscan_eq(&k, "ShardIterator") && iter_value(&v, iter) == -1)
			return -1;
	return r == 0 ? jscan_end(p, end) : -1;
}

int
ddb_describe_stream_body(struct buf *b, const char *arn,
    const char *start_shard)
{
	buf_reset(b);
	if (buf_adds(b, "{\"StreamArn\":") == -1 ||
	    buf_json_str(b, arn) == -1 || buf_adds(b, ",\"Limit\":100") == -1)
		return -1;
	if (start_shard != NULL &&
	    (buf_adds(b, ",\"ExclusiveStartShardId\":") == -1 ||
		buf_json_str(b, start_shard) == -1))
		return -1;
	return buf_addc(b, '}');
}

int
ddb_shard_iterator_body(struct buf *b, const char *arn, const char *shard,
    const char *type, const char *seq)
{
	buf_reset(b);
	if (buf_adds(b, "{\"StreamArn\":") == -1 ||
	    buf_json_str(b, arn) == -1 || buf_adds(b, ",\"ShardId\":") == -1 ||
	    buf_json_str(b, shard) == -1 ||
	    buf_adds(b, ",\"ShardIteratorType\":") == -1 ||
	    buf_json_str(b, type) == -1)
		return -1;
	if (seq != NULL &&
	    (buf_adds(b, ",\"SequenceNumber\":") == -1 ||
		buf_json_str(b, seq) == -1))
		return -1;
	return buf_addc(b, '}');
}

int
ddb_get_records_body(struct buf *b, const char *iter, unsigned limit)
{
	buf_reset(b);
	if (buf_adds(b, "{\"ShardIterator\":") == -1 ||
	    buf_json_str(b, iter) == -1)
		return -1;
	return buf_printf(b, ",\"Limit\":%u}", limit);
}

int
ddb_batch_ops_body(struct buf *b, const char *table, const struct ddb_op *ops,
    size_t n, int capacity)
{
	if (ddb_batch_begin(b, table) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ddb_batch_add(b, ops[i].del, &ops[i].span, i == 0) == -1)
			return -1;
	return ddb_batch_end(b, capacity);
}

/* The key's identity inside a Keys object: the value spans, in schema
 * order, so the attribute order in the JSON does not matter. */
int
ddb_item_key(const struct jspan *keys, const char *hash, const char *range,
    struct jspan out[2])
{
	out[1].p = NULL;
	out[1].len = 0;
	if (keys->len == 0 || keys->p[0] != '{' ||
	    jscan_find(keys, hash, &out[0]) != 1)
		return -1;
	if (range != NULL && range[0] != '\0' &&
	    jscan_find(keys, range, &out[1]) != 1)
		return -1;
	return 0;
}

int
ddb_key_json(struct buf *b, const char *hash, const char *range,
    const struct jspan k[2])
{
	if (buf_addc(b, '{') == -1 || buf_json_str(b, hash) == -1 ||
	    buf_addc(b, ':') == -1 || buf_add(b, k[0].p, k[0].len) == -1)
		return -1;
	if (range != NULL && range[0] != '\0' &&
	    (buf_addc(b, ',') == -1 || buf_json_str(b, range) == -1 ||
		buf_addc(b, ':') == -1 || buf_add(b, k[1].p, k[1].len) == -1))
		return -1;
	return buf_addc(b, '}');
}

int
ddb_batch_get_begin(struct buf *b, const char *table)
{
	buf_reset(b);
	if (buf_adds(b, "{\"RequestItems\":{") == -1 ||
	    buf_json_str(b, table) == -1 || buf_adds(b, ":{\"Keys\":[") == -1)
		return -1;
	return 0;
}

int
ddb_batch_get_end(struct buf *b, int capacity)
{
	/* Strongly consistent: a verify must not call an item missing
	 * because a replica has not seen the write yet. */
	if (buf_adds(b, "],\"ConsistentRead\":true}}") == -1)
		return -1;
	return ddb_body_end(b, capacity);
}

void
ddb_get_page_free(struct ddb_get_page *g)
{
	free(g->items);
	free(g->unprocessed);
	memset(g, 0, sizeof(*g));
}

static int
spans_add(const struct jspan *arr, struct jspan **v, size_t *n, size_t *cap)
{
	const char *p = arr->p, *end = arr->p + arr->len;
	struct jspan e;
	int r;

	if (jscan_open(&p, end, '[') == -1)
		return -1;
	while ((r = jscan_element(&p, end, &e)) == 1) {
		if (e.len == 0 || e.p[0] != '{')
			return -1;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 128;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[(*n)++] = e;
	}
	return r;
}

int
ddb_parse_batch_get(const char *body, size_t len, struct ddb_get_page *g)
{
	const char *p = body, *end = body + len;
	struct jspan k, v, tk, tv, keys, cu;
	int r, rr, have = 0;

	g->nitems = g->nunprocessed = 0;
	g->capacity = 0;
	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		const char *q = v.p, *qe = v.p + v.len;

		if (jscan_eq(&k, "Responses")) {
			have = 1;
			if (jscan_open(&q, qe, '{') == -1)
				return -1;
			while ((rr = jscan_member(&q, qe, &tk, &tv)) == 1)
				if (spans_add(&tv, &g->items, &g->nitems,
					&g->icap) == -1)
					return -1;
			if (rr == -1)
				return -1;
		} else if (jscan_eq(&k, "UnprocessedKeys")) {
			if (jscan_open(&q, qe, '{') == -1)
				return -1;
			while ((rr = jscan_member(&q, qe, &tk, &tv)) == 1) {
				if (tv.len == 0 || tv.p[0] != '{' ||
				    jscan_find(&tv, "Keys", &keys) != 1 ||
				    spans_add(&keys, &g->unprocessed,
					&g->nunprocessed, &g->ucap) == -1)
					return -1;
			}
			if (rr == -1)
				return -1;
		} else if (jscan_eq(&k, "ConsumedCapacity")) {
			struct jspan el;
			double d;

			if (jscan_open(&q, qe, '[') == -1)
				continue;
			while ((rr = jscan_element(&q, qe, &el)) == 1)
				if (el.p[0] == '{' &&
				    jscan_find(&el, "CapacityUnits", &cu) ==
					1 &&
				    jscan_double(&cu, &d) == 0)
					g->capacity += d;
			if (rr == -1)
				return -1;
		}
	}
	if (r == -1 || jscan_end(p, end) == -1 || !have)
		return -1;
	return 0;
}

static uint64_t
span_hash(const struct jspan k[2])
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < k[i].len; j++) {
			h ^= (unsigned char)k[i].p[j];
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	return h;
}

static int
span_eq(const struct jspan a[2], const struct jspan b[2])
{
	return a[0].len == b[0].len && a[1].len == b[1].len &&
	    memcmp(a[0].p, b[0].p, a[0].len) == 0 &&
	    (a[1].len == 0 || memcmp(a[1].p, b[1].p, a[1].len) == 0);
}

long
ddb_collapse(const struct ddb_record *recs, size_t from, size_t n,
    const char *hash, const char *range, struct ddb_op *ops)
{
	size_t cap = 16, nops = 0;
	struct {
		struct jspan k[2];
		size_t op;
		int used;
	} * tab;

	while (cap < (n - from) * 2)
		cap *= 2;
	tab = xcalloc(cap, sizeof(*tab));
	for (size_t i = from; i < n; i++) {
		const struct ddb_record *r = &recs[i];
		struct jspan k[2];
		size_t slot;

		if (ddb_item_key(&r->keys, hash, range, k) == -1) {
			free(tab);
			return -1;
		}
		slot = (size_t)(span_hash(k) & (cap - 1));
		while (tab[slot].used && !span_eq(tab[slot].k, k))
			slot = (slot + 1) & (cap - 1);
		if (!tab[slot].used) {
			tab[slot].used = 1;
			tab[slot].k[0] = k[0];
			tab[slot].k[1] = k[1];
			tab[slot].op = nops++;
		}
		/* Later records win: order per key is kept. */
		ops[tab[slot].op].del = r->event == DDB_EV_REMOVE;
		ops[tab[slot].op].span = r->event == DDB_EV_REMOVE ?
		    r->keys :
		    r->new_image;
	}
	free(tab);
	return (long)nops;
}
