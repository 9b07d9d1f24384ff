/* create.c: create the destination table from the source, or check it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomicfile.h"
#include "create.h"
#include "log.h"
#include "settings.h"
#include "testhook.h"
#include "ttl.h"
#include "worker.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * Users rebuild the destination by hand before a migration: keys, indexes,
 * capacity, encryption, TTL, PITR, tags. This reads all of it from the
 * source and makes the same table, or, when the destination exists, says
 * what differs. The pure part builds requests and comparisons; the driver
 * at the end makes the calls.
 */

/* ------------------------------------------------------------------------
 * Pure part
 */

void
create_spec_clear(struct create_spec *s)
{
	free(s->create_body);
	free(s->ttl_body);
	free(s->pitr_body);
	free(s->summary);
	memset(s, 0, sizeof(*s));
}

void
create_src_clear(struct create_src *s)
{
	ddb_tdef_clear(&s->tab);
	ddb_tags_clear(&s->tags);
	memset(s, 0, sizeof(*s));
	s->pitr = -1;
}

static void cerr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cerr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Field idx of "arn:partition:service:region:account:resource". */
static int
arn_field(const char *arn, int idx, char *out, size_t len)
{
	const char *p = arn, *e;
	int i;

	if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
		return -1;
	for (i = 0; i < idx; i++) {
		if ((p = strchr(p, ':')) == NULL)
			return -1;
		p++;
	}
	e = strchr(p, ':');
	if (e == NULL || e == p || (size_t)(e - p) >= len)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/*
 * The destination's account, as far as the plan shows it: its role's, or
 * the source table's when both sides use the same base credentials.
 */
static int
dest_account(const struct plan_pair *p, const struct ddb_tdef *src, char *out,
    size_t len)
{
	if (p->output.role_arn != NULL)
		return arn_field(p->output.role_arn, 4, out, len);
	if (p->input.role_arn == NULL)
		return arn_field(src->arn, 4, out, len);
	return -1;
}

int
create_sse(const struct plan_pair *p, const struct ddb_tdef *src,
    const char **key, char *err, size_t errlen)
{
	char kacct[32], kregion[64], dacct[32], where[160];

	*key = NULL;
	if (p->sse_kms_key != NULL) {
		*key = p->sse_kms_key;
		return 1;
	}
	if (p->sse != NULL)
		return strcmp(p->sse, "kms") == 0;
	if (!src->sse_kms)
		return 0;
	if (src->sse_key == NULL)
		return 1; /* KMS, key not told: the AWS managed one */
	/* A KMS key serves only its own account and region. */
	if (arn_field(src->sse_key, 3, kregion, sizeof(kregion)) == -1 ||
	    arn_field(src->sse_key, 4, kacct, sizeof(kacct)) == -1)
		snprintf(where, sizeof(where),
		    "another table (its ARN does "
		    "not say its account and region)");
	else if (strcmp(kregion, p->output.region) != 0)
		snprintf(where, sizeof(where), "a table in %s",
		    p->output.region);
	else if (dest_account(p, src, dacct, sizeof(dacct)) == -1)
		snprintf(where, sizeof(where),
		    "a table whose account is not "
		    "known (the output side has no role_arn, the input side "
		    "has one)");
	else if (strcmp(kacct, dacct) != 0)
		snprintf(where, sizeof(where), "a table of account %s", dacct);
	else {
		*key = src->sse_key;
		return 1;
	}
	cerr(err, errlen,
	    "source table %s is encrypted with KMS key %s, "
	    "which cannot be used by %s: set output.sse_kms_key "
	    "(--output-sse-kms-key) to a key of the destination's account "
	    "and region, output.sse: kms for its AWS managed key, or "
	    "output.sse: default for AWS-owned encryption",
	    p->input.table, src->sse_key, where);
	return -1;
}

static const char *
billing_of(const struct plan_pair *p, const struct ddb_tdef *src)
{
	if (p->billing_mode != NULL)
		return p->billing_mode;
	if (p->prov_rcu != 0)
		return "PROVISIONED";
	return src->billing;
}

static void
add_keys(cJSON *o, const char *hash, const char *range)
{
	cJSON *ks = cJSON_AddArrayToObject(o, "KeySchema"), *k;

	k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "AttributeName", hash);
	cJSON_AddStringToObject(k, "KeyType", "HASH");
	cJSON_AddItemToArray(ks, k);
	if (range == NULL || range[0] == '\0')
		return;
	k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "AttributeName", range);
	cJSON_AddStringToObject(k, "KeyType", "RANGE");
	cJSON_AddItemToArray(ks, k);
}

static void
add_throughput(cJSON *o, int64_t r, int64_t w)
{
	cJSON *t = cJSON_AddObjectToObject(o, "ProvisionedThroughput");

	cJSON_AddNumberToObject(t, "ReadCapacityUnits", (double)r);
	cJSON_AddNumberToObject(t, "WriteCapacityUnits", (double)w);
}

/* An on-demand maximum worth copying; -1 means none. */
static void
add_on_demand(cJSON *o, int64_t r, int64_t w)
{
	cJSON *t;

	if (r <= 0 && w <= 0)
		return;
	t = cJSON_AddObjectToObject(o, "OnDemandThroughput");
	cJSON_AddNumberToObject(t, "MaxReadRequestUnits",
	    (double)(r > 0 ? r : -1));
	cJSON_AddNumberToObject(t, "MaxWriteRequestUnits",
	    (double)(w > 0 ? w : -1));
}

static void
add_index(cJSON *arr, const struct ddb_index *x)
{
	cJSON *o = cJSON_CreateObject(), *pr, *nk;

	cJSON_AddStringToObject(o, "IndexName", x->name);
	add_keys(o, x->hash, x->range);
	pr = cJSON_AddObjectToObject(o, "Projection");
	cJSON_AddStringToObject(pr, "ProjectionType", x->projection);
	if (x->nnonkey > 0) {
		nk = cJSON_AddArrayToObject(pr, "NonKeyAttributes");
		for (size_t i = 0; i < x->nnonkey; i++)
			cJSON_AddItemToArray(nk,
			    cJSON_CreateString(x->nonkey[i]));
	}
	cJSON_AddItemToArray(arr, o);
}

/* A GSI's provisioned throughput: the plan's, the source's, the table's. */
static int
gsi_capacity(const struct plan_pair *p, const struct ddb_index *x, int64_t *r,
    int64_t *w, char *err, size_t errlen)
{
	const struct plan_index_cap *ic = plan_index_cap_find(p, x->name);

	if (ic != NULL) {
		*r = ic->read;
		*w = ic->write;
	} else if (x->rcu > 0 && x->wcu > 0) {
		*r = x->rcu;
		*w = x->wcu;
	} else if (p->prov_rcu != 0) {
		*r = p->prov_rcu;
		*w = p->prov_wcu;
	} else {
		cerr(err, errlen,
		    "global secondary index %s of %s has no "
		    "provisioned throughput to copy (the source is on-demand): "
		    "set output.index_capacity.%s or output.provisioned_read_capacity and "
		    "output.provisioned_write_capacity",
		    x->name, p->input.table, x->name);
		return -1;
	}
	return 0;
}

static void
summary_index(struct buf *b, const char *kind, const struct ddb_index *x,
    int64_t r, int64_t w)
{
	buf_printf(b, "; %s %s (%s%s%s; %s", kind, x->name, x->hash,
	    x->range != NULL ? ", " : "", x->range != NULL ? x->range : "",
	    x->projection);
	for (size_t i = 0; i < x->nnonkey; i++)
		buf_printf(b, "%s%s", i == 0 ? " " : ", ", x->nonkey[i]);
	if (r > 0)
		buf_printf(b, "; %lld/%lld RCU/WCU", (long long)r,
		    (long long)w);
	buf_addc(b, ')');
}

int
create_build(const struct plan_pair *p, const struct create_src *src,
    struct create_spec *spec, char *err, size_t errlen)
{
	const struct ddb_tdef *t = &src->tab;
	const char *billing = billing_of(p, t), *key;
	int prov = strcmp(billing, "PROVISIONED") == 0, sse, ntags = 0;
	int64_t r = 0, w = 0, gr, gw;
	cJSON *o, *a, *e;
	struct buf b;
	struct buf tb;

	memset(spec, 0, sizeof(*spec));
	for (size_t i = 0; i < p->nindex_caps; i++) {
		size_t j;

		for (j = 0; j < t->ngsis; j++)
			if (strcmp(t->gsis[j].name, p->index_caps[i].name) == 0)
				break;
		if (j == t->ngsis) {
			cerr(err, errlen,
			    "output.index_capacity names index "
			    "%s, which source table %s does not have as a "
			    "global secondary index",
			    p->index_caps[i].name, p->input.table);
			return -1;
		}
	}
	if (!prov && p->nindex_caps > 0) {
		cerr(err, errlen,
		    "output.index_capacity needs billing_mode "
		    "PROVISIONED: source table %s is on-demand "
		    "(PAY_PER_REQUEST); set output.billing_mode, "
		    "output.provisioned_read_capacity and output.provisioned_write_capacity",
		    p->input.table);
		return -1;
	}
	if (prov) {
		r = p->prov_rcu != 0 ? p->prov_rcu : t->rcu;
		w = p->prov_wcu != 0 ? p->prov_wcu : t->wcu;
		if (r <= 0 || w <= 0) {
			cerr(err, errlen,
			    "billing_mode PROVISIONED needs "
			    "output.provisioned_read_capacity and output.provisioned_write_capacity: "
			    "source table %s is on-demand (PAY_PER_REQUEST)",
			    p->input.table);
			return -1;
		}
	}
	if ((sse = create_sse(p, t, &key, err, errlen)) == -1)
		return -1;

	buf_init(&b, 0);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "TableName", p->output.table);
	a = cJSON_AddArrayToObject(o, "AttributeDefinitions");
	for (size_t i = 0; i < t->nattrs; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "AttributeName", t->attrs[i].name);
		cJSON_AddStringToObject(e, "AttributeType", t->attrs[i].type);
		cJSON_AddItemToArray(a, e);
	}
	add_keys(o, t->hash.name, t->range.name);
	buf_printf(&b, "HASH %s (%s)", t->hash.name, t->hash.type);
	if (t->range.name[0] != '\0')
		buf_printf(&b, ", RANGE %s (%s)", t->range.name, t->range.type);
	cJSON_AddStringToObject(o, "BillingMode", billing);
	if (prov)
		add_throughput(o, r, w);
	else if (strcmp(t->billing, "PAY_PER_REQUEST") == 0)
		add_on_demand(o, t->max_rru, t->max_wru);
	if (t->ngsis > 0) {
		a = cJSON_AddArrayToObject(o, "GlobalSecondaryIndexes");
		for (size_t i = 0; i < t->ngsis; i++) {
			const struct ddb_index *x = &t->gsis[i];

			gr = gw = 0;
			if (prov &&
			    gsi_capacity(p, x, &gr, &gw, err, errlen) == -1) {
				cJSON_Delete(o);
				buf_free(&b);
				return -1;
			}
			add_index(a, x);
			e = cJSON_GetArrayItem(a, (int)i);
			if (prov)
				add_throughput(e, gr, gw);
			else if (strcmp(t->billing, "PAY_PER_REQUEST") == 0)
				add_on_demand(e, x->max_rru, x->max_wru);
			summary_index(&b, "GSI", x, gr, gw);
		}
	}
	if (t->nlsis > 0) {
		a = cJSON_AddArrayToObject(o, "LocalSecondaryIndexes");
		for (size_t i = 0; i < t->nlsis; i++) {
			add_index(a, &t->lsis[i]);
			summary_index(&b, "LSI", &t->lsis[i], 0, 0);
		}
	}
	if (prov)
		buf_printf(&b, "; PROVISIONED %lld RCU / %lld WCU",
		    (long long)r, (long long)w);
	else
		buf_adds(&b, "; PAY_PER_REQUEST");
	if (t->table_class[0] != '\0') {
		cJSON_AddStringToObject(o, "TableClass", t->table_class);
		buf_printf(&b, "; class %s", t->table_class);
	}
	if (sse == 1) {
		e = cJSON_AddObjectToObject(o, "SSESpecification");
		cJSON_AddBoolToObject(e, "Enabled", 1);
		cJSON_AddStringToObject(e, "SSEType", "KMS");
		if (key != NULL)
			cJSON_AddStringToObject(e, "KMSMasterKeyId", key);
		buf_printf(&b, "; encryption KMS %s",
		    key != NULL ? key : "(AWS managed key)");
	} else
		buf_adds(&b, "; encryption AWS owned");
	if (t->deletion_protection) {
		cJSON_AddBoolToObject(o, "DeletionProtectionEnabled", 1);
		buf_adds(&b, "; deletion protection");
	}
	/* The destination rarely needs a stream of its own: only if asked. */
	if (p->stream_view != NULL) {
		e = cJSON_AddObjectToObject(o, "StreamSpecification");
		cJSON_AddBoolToObject(e, "StreamEnabled", 1);
		cJSON_AddStringToObject(e, "StreamViewType", p->stream_view);
		buf_printf(&b, "; stream %s", p->stream_view);
	}
	/* Tags in CreateTable itself: no window where they are missing.
	 * "aws:" tags are AWS's own and cannot be set. */
	for (size_t i = 0; i < src->tags.n; i++) {
		if (strncmp(src->tags.v[i].key, "aws:", 4) == 0)
			continue;
		if (ntags++ == 0)
			a = cJSON_AddArrayToObject(o, "Tags");
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "Key", src->tags.v[i].key);
		cJSON_AddStringToObject(e, "Value", src->tags.v[i].value);
		cJSON_AddItemToArray(a, e);
	}
	spec->create_body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (spec->create_body == NULL)
		fatalx("CreateTable body");
	if (ddb_ttl_on(&src->ttl)) {
		buf_init(&tb, 0);
		if (ddb_update_ttl_body(&tb, p->output.table, src->ttl.attr) ==
		    -1)
			fatalx("UpdateTimeToLive body");
		spec->ttl_body = buf_steal(&tb, NULL);
		buf_printf(&b, "; TTL on %s", src->ttl.attr);
	}
	if (src->pitr == 1) {
		buf_init(&tb, 0);
		if (ddb_update_pitr_body(&tb, p->output.table) == -1)
			fatalx("UpdateContinuousBackups body");
		spec->pitr_body = buf_steal(&tb, NULL);
		buf_adds(&b, "; point-in-time recovery");
	}
	if (ntags > 0)
		buf_printf(&b, "; %d tag%s", ntags, ntags == 1 ? "" : "s");
	spec->summary = buf_steal(&b, NULL);
	return 0;
}

void
create_diff_clear(struct create_diff *d)
{
	for (size_t i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	free(d->error);
	memset(d, 0, sizeof(*d));
}

static void warn_add(struct create_diff *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn_add(struct create_diff *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	d->warnings = xrealloc(d->warnings,
	    (d->nwarnings + 1) * sizeof(*d->warnings));
	d->warnings[d->nwarnings++] = s;
}

static const struct ddb_index *
index_find(const struct ddb_index *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int
str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static int
index_same(const struct ddb_index *a, const struct ddb_index *b)
{
	if (!str_eq(a->hash, b->hash) || !str_eq(a->range, b->range) ||
	    strcmp(a->projection, b->projection) != 0 ||
	    a->nnonkey != b->nnonkey)
		return 0;
	/* The same set of attributes, in any order. */
	for (size_t i = 0; i < a->nnonkey; i++) {
		size_t j;

		for (j = 0; j < b->nnonkey; j++)
			if (strcmp(a->nonkey[i], b->nonkey[j]) == 0)
				break;
		if (j == b->nnonkey)
			return 0;
	}
	return 1;
}

static void
compare_indexes(const struct ddb_index *sv, size_t sn,
    const struct ddb_index *dv, size_t dn, const char *kind, const char *dst,
    struct create_diff *d)
{
	for (size_t i = 0; i < sn; i++) {
		const struct ddb_index *x = &sv[i], *y;

		if ((y = index_find(dv, dn, x->name)) == NULL)
			warn_add(d,
			    "%s %s of the source is missing on "
			    "destination table %s: queries that use it will "
			    "not work there%s",
			    kind, x->name, dst,
			    strcmp(kind, "LSI") == 0 ?
				" (a local index can "
				"only be made with the table)" :
				" (UpdateTable "
				"can add it)");
		else if (!index_same(x, y))
			warn_add(d,
			    "%s %s differs on destination table %s: "
			    "its keys or projection are not the source's",
			    kind, x->name, dst);
	}
}

void
create_compare(const struct plan_pair *p, const struct create_src *src,
    const struct ddb_tdef *dst, const struct ddb_ttl *dst_ttl,
    struct create_diff *d)
{
	const struct ddb_tdef *s = &src->tab;
	const char *dn = p->output.table, *billing = billing_of(p, s);

	memset(d, 0, sizeof(*d));
	if (strcmp(s->hash.name, dst->hash.name) != 0 ||
	    strcmp(s->hash.type, dst->hash.type) != 0 ||
	    strcmp(s->range.name, dst->range.name) != 0 ||
	    strcmp(s->range.type, dst->range.type) != 0) {
		if (asprintf(&d->error,
			"key schemas differ: source %s has "
			"HASH %s (%s)%s%s%s%s%s, destination %s has HASH %s (%s)"
			"%s%s%s%s%s",
			p->input.table, s->hash.name, s->hash.type,
			s->range.name[0] ? ", RANGE " : "", s->range.name,
			s->range.name[0] ? " (" : "", s->range.type,
			s->range.name[0] ? ")" : "", dn, dst->hash.name,
			dst->hash.type, dst->range.name[0] ? ", RANGE " : "",
			dst->range.name, dst->range.name[0] ? " (" : "",
			dst->range.type, dst->range.name[0] ? ")" : "") == -1)
			fatal("asprintf");
		return;
	}
	compare_indexes(s->gsis, s->ngsis, dst->gsis, dst->ngsis, "GSI", dn, d);
	compare_indexes(s->lsis, s->nlsis, dst->lsis, dst->nlsis, "LSI", dn, d);
	if (strcmp(billing, dst->billing) != 0)
		warn_add(d, "destination table %s is %s, the %s %s", dn,
		    dst->billing,
		    p->billing_mode != NULL ? "plan asks for" : "source is",
		    billing);
	if (dst_ttl == NULL) {
		if (ddb_ttl_on(&src->ttl))
			warn_add(d,
			    "the TTL setting of destination table %s "
			    "could not be read (dynamodb:DescribeTimeToLive): "
			    "the source expires items on %s",
			    dn, src->ttl.attr);
	} else if (ddb_ttl_on(&src->ttl) && !ddb_ttl_on(dst_ttl))
		warn_add(d,
		    "TTL is off on destination table %s: the source "
		    "expires items on %s, the destination will keep them "
		    "(enable TTL on %s there)",
		    dn, src->ttl.attr, src->ttl.attr);
	else if (ddb_ttl_on(&src->ttl) &&
	    strcmp(src->ttl.attr, dst_ttl->attr) != 0)
		warn_add(d,
		    "TTL of destination table %s is on %s, the "
		    "source's on %s",
		    dn, dst_ttl->attr, src->ttl.attr);
	if (p->stream_view != NULL &&
	    (!dst->stream_enabled ||
		strcmp(dst->stream_view, p->stream_view) != 0))
		warn_add(d,
		    "destination table %s has %s%s, the plan asks for "
		    "a stream of view type %s",
		    dn,
		    dst->stream_enabled ? "a stream of view type " :
					  "no stream",
		    dst->stream_enabled ? dst->stream_view : "",
		    p->stream_view);
}

/* ------------------------------------------------------------------------
 * Driver
 */

struct creator {
	struct worker *w;
	struct plan_pair *p;
	struct create_src src;
	struct create_spec spec;
	struct ddb_tdef dst;
	char *marker; /* <pair dir>/create.pending */
	int64_t poll_ms;
	int64_t timeout_ms;
};

static enum aws_status
call(struct aws_call *c, struct aws_client *cl, const char *op,
    const char *body)
{
	aws_call_init(c, cl, op);
	if (buf_adds(&c->req, body) == -1)
		fatalx("%s body", op);
	return aws_call_sync(c);
}

/* An emulator without the operation (DynamoDB Local: PITR, tags). */
static int
unsupported(const struct aws_call *c)
{
	return strcmp(c->code, "UnknownOperationException") == 0;
}

/* A failed call: exit 2 for what the operator must fix, else a restart. */
static void
call_fail(struct creator *cr, const struct aws_call *c, const char *table,
    const char *what)
{
	int code;

	switch (c->status) {
	case AWS_DENIED:
		worker_fail(cr->w, WORKER_EXIT_CONFIG, c->code,
		    "%s %s: "
		    "access denied: this needs the IAM permission dynamodb:%s "
		    "on %s (%s)",
		    what, table, c->op, table, c->msg);
		return;
	case AWS_NOT_FOUND:
	case AWS_FATAL:
		code = WORKER_EXIT_CONFIG;
		break;
	default:
		code = WORKER_EXIT_CRASH;
		break;
	}
	worker_fail(cr->w, code, c->code, "%s %s: %s failed: %s", what, table,
	    c->op, c->msg);
}

/* Sleep ms unless asked to stop: 0, or 1 if stopped. */
static int
nap(struct creator *cr, int64_t ms)
{
	int64_t until = clock_ms() + ms;

	while (!worker_stop && clock_ms() < until)
		http_run(cr->w->http, 100);
	return worker_stop ? 1 : 0;
}

/* DescribeTable: the definition, and the short form the worker keeps. */
static enum aws_status
describe(struct aws_client *cl, const char *table, struct ddb_tdef *def,
    struct ddb_table *tab, struct aws_call *c)
{
	struct buf b;
	char err[400];
	enum aws_status st;

	buf_init(&b, 0);
	if (ddb_table_body(&b, table) == -1)
		fatalx("DescribeTable body");
	ddb_tdef_clear(def);
	st = call(c, cl, "DescribeTable", b.data);
	buf_free(&b);
	if (st != AWS_OK)
		return st;
	if (tab != NULL)
		ddb_table_clear(tab);
	if (ddb_parse_tdef(c->body, c->bodylen, "Table", def, err,
		sizeof(err)) == -1 ||
	    (tab != NULL &&
		ddb_parse_describe(c->body, c->bodylen, tab, err,
		    sizeof(err)) == -1)) {
		c->status = AWS_TRANSIENT;
		strlcpy(c->code, "MalformedResponse", sizeof(c->code));
		snprintf(c->msg, sizeof(c->msg), "DescribeTable: %s", err);
		return c->status;
	}
	return AWS_OK;
}

/*
 * Everything the source tells about itself. full: also PITR and tags
 * (for a creation; a comparison needs the definition and TTL only).
 */
static int
read_source(struct creator *cr, int full)
{
	struct worker *w = cr->w;
	const char *t = cr->p->input.table;
	struct aws_call c;
	struct buf b;
	char why[700], err[256], *next = NULL;
	enum aws_status st;

	create_src_clear(&cr->src);
	if (describe(&w->src, t, &cr->src.tab, NULL, &c) != AWS_OK) {
		call_fail(cr, &c, t, "source table");
		aws_call_cleanup(&c);
		return -1;
	}
	aws_call_cleanup(&c);
	if ((st = ttl_source(w, why, sizeof(why))) != AWS_OK) {
		worker_fail(w,
		    st == AWS_DENIED || st == AWS_FATAL ? WORKER_EXIT_CONFIG :
							  WORKER_EXIT_CRASH,
		    "TTLUnreadable",
		    "source table %s: cannot read its TTL setting, which "
		    "needs the IAM permission dynamodb:DescribeTimeToLive: %s",
		    t, why);
		return -1;
	}
	cr->src.ttl = w->src_ttl;
	if (!full)
		return 0;

	buf_init(&b, 0);
	if (ddb_table_body(&b, t) == -1)
		fatalx("DescribeContinuousBackups body");
	st = call(&c, &w->src, "DescribeContinuousBackups", b.data);
	buf_free(&b);
	if (st == AWS_OK &&
	    ddb_parse_pitr(c.body, c.bodylen, &cr->src.pitr, err,
		sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "source table %s: %s", t, err);
		aws_call_cleanup(&c);
		return -1;
	}
	if (st != AWS_OK && unsupported(&c))
		log_warnx(
		    "the source's endpoint does not support "
		    "DescribeContinuousBackups (%s): point-in-time recovery "
		    "is not copied",
		    c.msg);
	else if (st != AWS_OK) {
		call_fail(cr, &c, t, "source table");
		aws_call_cleanup(&c);
		return -1;
	}
	aws_call_cleanup(&c);

	if (cr->src.tab.arn == NULL) {
		log_warnx("source table %s: DescribeTable told no TableArn: "
			  "its tags are not copied",
		    t);
		return 0;
	}
	do {
		buf_init(&b, 0);
		if (ddb_list_tags_body(&b, cr->src.tab.arn, next) == -1)
			fatalx("ListTagsOfResource body");
		free(next);
		next = NULL;
		st = call(&c, &w->src, "ListTagsOfResource", b.data);
		buf_free(&b);
		if (st != AWS_OK && unsupported(&c)) {
			log_warnx(
			    "the source's endpoint does not support "
			    "ListTagsOfResource (%s): tags are not copied",
			    c.msg);
			aws_call_cleanup(&c);
			return 0;
		}
		if (st != AWS_OK) {
			call_fail(cr, &c, t, "source table");
			aws_call_cleanup(&c);
			return -1;
		}
		if (ddb_parse_tags(c.body, c.bodylen, &cr->src.tags, &next, err,
			sizeof(err)) == -1) {
			worker_fail(w, WORKER_EXIT_CRASH, "MalformedResponse",
			    "source table %s: %s", t, err);
			aws_call_cleanup(&c);
			return -1;
		}
		aws_call_cleanup(&c);
	} while (next != NULL);
	cr->src.tags_known = 1;
	return 0;
}

static int
all_active(const struct ddb_tdef *d, char *why, size_t len)
{
	if (strcmp(d->status, "ACTIVE") != 0) {
		snprintf(why, len, "table %s", d->status);
		return 0;
	}
	for (size_t i = 0; i < d->ngsis; i++) {
		if (d->gsis[i].status[0] != '\0' &&
		    strcmp(d->gsis[i].status, "ACTIVE") != 0) {
			snprintf(why, len, "index %s %s", d->gsis[i].name,
			    d->gsis[i].status);
			return 0;
		}
	}
	return 1;
}

/* Until the table and each GSI are ACTIVE. 0, 1 if stopped, -1. */
static int
wait_active(struct creator *cr)
{
	struct worker *w = cr->w;
	const char *t = cr->p->output.table;
	int64_t start = clock_ms(), said = start;
	struct aws_call c;
	char why[300];

	for (;;) {
		if (describe(&w->dst, t, &cr->dst, &w->dst_tab, &c) != AWS_OK) {
			call_fail(cr, &c, t, "destination table");
			aws_call_cleanup(&c);
			return -1;
		}
		aws_call_cleanup(&c);
		if (all_active(&cr->dst, why, sizeof(why)))
			return 0;
		if (clock_ms() - start > cr->timeout_ms) {
			worker_fail(w, WORKER_EXIT_CRASH, "CreateTimeout",
			    "destination table %s is still not ACTIVE (%s) "
			    "after %lld s; the next start goes on waiting",
			    t, why, (long long)(clock_ms() - start) / 1000);
			return -1;
		}
		if (clock_ms() - said >= 30000) {
			said = clock_ms();
			log_info("waiting for destination table %s to become "
				 "ACTIVE (%s)",
			    t, why);
		}
		if (nap(cr, cr->poll_ms))
			return 1;
	}
}

/* TTL, then PITR, on the ACTIVE table. 0, 1 if stopped, -1. */
static int
follow_ups(struct creator *cr)
{
	const char *t = cr->p->output.table;
	struct aws_call c;
	int64_t start = clock_ms();
	enum aws_status st;

	if (cr->spec.ttl_body != NULL) {
		st = call(&c, &cr->w->dst, "UpdateTimeToLive",
		    cr->spec.ttl_body);
		/* A restart after a crash here finds it on already. */
		if (st != AWS_OK &&
		    !(strcmp(c.code, "ValidationException") == 0 &&
			strstr(c.msg, "already enabled") != NULL)) {
			call_fail(cr, &c, t, "destination table");
			aws_call_cleanup(&c);
			return -1;
		}
		aws_call_cleanup(&c);
	}
	while (cr->spec.pitr_body != NULL) {
		st = call(&c, &cr->w->dst, "UpdateContinuousBackups",
		    cr->spec.pitr_body);
		if (st == AWS_OK)
			break;
		if (unsupported(&c)) {
			log_warnx("the destination's endpoint does not support "
				  "UpdateContinuousBackups (%s): point-in-time "
				  "recovery is not turned on",
			    c.msg);
			break;
		}
		/* A new table refuses PITR for a while after it is made. */
		if (strcmp(c.code, "ContinuousBackupsUnavailableException") ==
			0 &&
		    clock_ms() - start < cr->timeout_ms) {
			aws_call_cleanup(&c);
			if (nap(cr, cr->poll_ms))
				return 1;
			continue;
		}
		call_fail(cr, &c, t, "destination table");
		aws_call_cleanup(&c);
		return -1;
	}
	if (cr->spec.pitr_body != NULL)
		aws_call_cleanup(&c);
	return 0;
}

/* Made by us, its settings not all applied yet: a crash in between
 * must not leave a destination without TTL or PITR. */
static int
marker_set(struct creator *cr)
{
	char line[600];
	int n;

	n = snprintf(line, sizeof(line),
	    "{\"table\":\"%s\",\"started_ms\":"
	    "%lld}\n",
	    cr->p->output.table, (long long)wall_ms());
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    atomicfile_write(cr->marker, line, (size_t)n, 0600) == -1) {
		worker_fail(cr->w, WORKER_EXIT_CRASH, "StateDirError",
		    "cannot write %s: %s", cr->marker, strerror(errno));
		return -1;
	}
	return 0;
}

/* Wait, set TTL and PITR, then drop the marker. 0, 1, -1. */
static int
finish(struct creator *cr)
{
	int r;

	if ((r = wait_active(cr)) != 0 || (r = follow_ups(cr)) != 0)
		return r;
	if (unlink(cr->marker) == -1 && errno != ENOENT) {
		worker_fail(cr->w, WORKER_EXIT_CRASH, "StateDirError",
		    "cannot remove %s: %s", cr->marker, strerror(errno));
		return -1;
	}
	log_info("Destination table %s created: %s", cr->p->output.table,
	    cr->spec.summary);
	return 0;
}

static int
build(struct creator *cr)
{
	char err[1024];

	if (create_build(cr->p, &cr->src, &cr->spec, err, sizeof(err)) == -1) {
		worker_fail(cr->w, WORKER_EXIT_CONFIG, "CreateConfig",
		    "cannot create destination table %s: %s",
		    cr->p->output.table, err);
		return -1;
	}
	return 0;
}

/* The destination does not exist: make it (or say how). 0, 1, -1. */
static int
create(struct creator *cr)
{
	struct worker *w = cr->w;
	const char *t = cr->p->output.table;
	struct aws_call c;
	enum aws_status st;

	if (read_source(cr, 1) == -1 || build(cr) == -1)
		return -1;
	if (w->check_config) {
		log_info("destination table %s does not exist; it would be "
			 "created: %s",
		    t, cr->spec.summary);
		log_info("would call CreateTable %s", cr->spec.create_body);
		if (cr->spec.ttl_body != NULL)
			log_info("then UpdateTimeToLive %s", cr->spec.ttl_body);
		if (cr->spec.pitr_body != NULL)
			log_info("then UpdateContinuousBackups %s",
			    cr->spec.pitr_body);
		/* What the rest of the preflight compares against. */
		ddb_table_clear(&w->dst_tab);
		w->dst_tab.hash = w->src_tab.hash;
		w->dst_tab.range = w->src_tab.range;
		strlcpy(w->dst_tab.status, "ACTIVE", sizeof(w->dst_tab.status));
		return 0;
	}
	if (marker_set(cr) == -1)
		return -1;
	log_info("Creating destination table %s: %s", t, cr->spec.summary);
	st = call(&c, &w->dst, "CreateTable", cr->spec.create_body);
	if (st != AWS_OK && strcmp(c.code, "ResourceInUseException") == 0) {
		/* Made (or being deleted) by someone else since it was found
		 * missing: not ours to finish; the restart compares it. */
		worker_fail(w, WORKER_EXIT_CRASH, c.code,
		    "destination table "
		    "%s appeared while it was being created: %s",
		    t, c.msg);
		aws_call_cleanup(&c);
		(void)unlink(cr->marker);
		return -1;
	}
	if (st != AWS_OK) {
		if (st == AWS_DENIED)
			worker_fail(w, WORKER_EXIT_CONFIG, c.code,
			    "cannot "
			    "create destination table %s: access denied: this "
			    "needs the IAM permission dynamodb:CreateTable%s "
			    "(%s)",
			    t,
			    strstr(cr->spec.create_body, "\"Tags\"") != NULL ?
				" and dynamodb:TagResource "
				"(for the source's tags)" :
				"",
			    c.msg);
		else
			call_fail(cr, &c, t, "creating destination table");
		aws_call_cleanup(&c);
		/* Nothing was made: no settings to finish later. */
		(void)unlink(cr->marker);
		return -1;
	}
	aws_call_cleanup(&c);
	testhook("create-made");
	return finish(cr);
}

/* The destination exists: check it against the source. 0 or -1. */
static int
check(struct creator *cr)
{
	struct worker *w = cr->w;
	const char *t = cr->p->output.table;
	struct create_diff d;
	struct ddb_ttl dttl;
	struct aws_call c;
	struct buf b;
	int have_ttl = 0, rc = 0;
	char err[256];

	/* Someone else's table, being made: wait for it like for ours. */
	if (strcmp(cr->dst.status, "CREATING") == 0 && wait_active(cr) != 0)
		return -1;
	if (read_source(cr, 0) == -1)
		return -1;
	buf_init(&b, 0);
	if (ddb_table_body(&b, t) == -1)
		fatalx("DescribeTimeToLive body");
	if (call(&c, &w->dst, "DescribeTimeToLive", b.data) == AWS_OK &&
	    ddb_parse_ttl(c.body, c.bodylen, &dttl, err, sizeof(err)) == 0)
		have_ttl = 1;
	aws_call_cleanup(&c);
	buf_free(&b);
	create_compare(cr->p, &cr->src, &cr->dst, have_ttl ? &dttl : NULL, &d);
	if (d.error != NULL) {
		worker_fail(w, WORKER_EXIT_CONFIG, "KeySchemaMismatch",
		    "%s -> %s: %s", cr->p->input.table, t, d.error);
		rc = -1;
	} else if (d.nwarnings == 0)
		log_info("destination table %s exists and matches the source",
		    t);
	for (size_t i = 0; rc == 0 && i < d.nwarnings; i++)
		log_warnx("%s", d.warnings[i]);
	create_diff_clear(&d);
	return rc;
}

int
create_preflight(struct worker *w)
{
	struct creator cr;
	struct aws_call c;
	enum aws_status st;
	int r;

	memset(&cr, 0, sizeof(cr));
	cr.w = w;
	cr.p = w->pair;
	cr.src.pitr = -1;
	cr.poll_ms = settings_int(SETTING_CREATE_POLL_MS);
	cr.timeout_ms = settings_int(SETTING_CREATE_TIMEOUT_MS);
	xasprintf(&cr.marker, "%s/create.pending", w->pair_dir);

	st = describe(&w->dst, cr.p->output.table, &cr.dst, &w->dst_tab, &c);
	if (st == AWS_NOT_FOUND)
		r = create(&cr);
	else if (st != AWS_OK) {
		call_fail(&cr, &c, cr.p->output.table, "destination table");
		r = -1;
	} else if (!w->check_config && access(cr.marker, F_OK) == 0) {
		log_info("finishing the creation of destination table %s that "
			 "an earlier run started",
		    cr.p->output.table);
		r = read_source(&cr, 1) == -1 || build(&cr) == -1 ? -1 :
								    finish(&cr);
	} else
		r = check(&cr);
	aws_call_cleanup(&c);
	create_src_clear(&cr.src);
	create_spec_clear(&cr.spec);
	ddb_tdef_clear(&cr.dst);
	free(cr.marker);
	return r;
}
