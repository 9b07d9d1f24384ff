/* plan.c: the plan model: defaults, validation, pair flags and argv. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "fmt.h"
#include "log.h"
#include "plan.h"
#include "plan_int.h"
#include "utf8.h"
#include "xmalloc.h"

#define PLAN_QMAX (PLAN_QUOTE_LEN - 4) /* bytes kept, before "..." */

/* ------------------------------------------------------------------------
 * Error list
 */

void
plan_errors_init(struct plan_errors *e)
{
	e->msgs = NULL;
	e->n = 0;
}

int
plan_errors_full(const struct plan_errors *e)
{
	return e->n >= PLAN_MAX_ERRORS;
}

void
plan_errors_vadd(struct plan_errors *e, const char *fmt, va_list ap)
{
	char *msg;

	if (e->n > PLAN_MAX_ERRORS)
		return;
	if (e->n == PLAN_MAX_ERRORS)
		msg = xstrdup("too many problems; stopped listing them");
	else if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	e->msgs = xrealloc(e->msgs, (e->n + 1) * sizeof(*e->msgs));
	e->msgs[e->n++] = msg;
}

void
plan_errors_add(struct plan_errors *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_errors_vadd(e, fmt, ap);
	va_end(ap);
}

void
plan_errors_clear(struct plan_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	plan_errors_init(e);
}

/* ------------------------------------------------------------------------
 * Text helpers
 */

const char *
plan_quote(char out[PLAN_QUOTE_LEN], const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, n, len = strlen(s);

	while (u[i] != '\0') {
		n = utf8_seqlen(u + i, len - i);
		if (o + (n ? n : 1) > PLAN_QMAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (n == 0 || (n == 1 && (u[i] < 0x20 || u[i] == 0x7f)) ||
		    (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)) {
			out[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		memcpy(out + o, u + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

void
plan_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	utf8_vformat(err, errlen, fmt, ap);
	va_end(ap);
}

static int
plan_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
plan_parse_bool(const char *s, int *b)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = 0;
			return 0;
		}
	}
	return -1;
}

/* A decimal number in [min, max]: digits only (no sign, space or 0x). */
int
plan_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
    char *err, size_t errlen)
{
	char q[PLAN_QUOTE_LEN];
	uint64_t v = 0;
	const char *p;

	if (*s == '\0') {
		plan_seterr(err, errlen, "empty value: expected a number");
		return -1;
	}
	if (*s == '-') {
		plan_seterr(err, errlen,
		    "'%s' is negative: expected a whole "
		    "number from %u to %u",
		    plan_quote(q, s), min, max);
		return -1;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			plan_seterr(err, errlen, "'%s' is not a whole number",
			    plan_quote(q, s));
			return -1;
		}
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max) {
		plan_seterr(err, errlen, "%s is out of range (%u to %u)",
		    plan_quote(q, s), min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * A size in bytes: digits and an optional unit K, M, G or T (powers of
 * 1024; "KiB", "MiB", ... too, any case), within the spool's range.
 */
static int
plan_parse_bytes(const char *s, uint64_t *out, char *err, size_t errlen)
{
	static const char units[] = "KMGT";
	char q[PLAN_QUOTE_LEN];
	const char *p, *u;
	uint64_t v = 0;
	unsigned shift = 0;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		if (v <= PLAN_SPOOL_BYTES_MAX)
			v = v * 10 + (uint64_t)(*p - '0');
	if (p == s)
		goto bad;
	if (*p != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*p))) == NULL)
			goto bad;
		shift = 10 * (unsigned)(u - units + 1);
		p++;
		if (strcasecmp(p, "ib") != 0 && *p != '\0')
			goto bad;
	}
	if (v > PLAN_SPOOL_BYTES_MAX >> shift ||
	    (v << shift) < PLAN_SPOOL_BYTES_MIN ||
	    (v << shift) > PLAN_SPOOL_BYTES_MAX) {
		plan_seterr(err, errlen, "%s is out of range (64K to 1024T)",
		    plan_quote(q, s));
		return -1;
	}
	*out = v << shift;
	return 0;
bad:
	plan_seterr(err, errlen,
	    "'%s' is not a size (a whole number of "
	    "bytes, or with K, M, G or T: 512M, 20G, 20GiB)",
	    plan_quote(q, s));
	return -1;
}

static int
plan_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort v, refuse duplicates, and give it to the pair (v is consumed). */
int
plan_segments_set(struct plan_pair *p, uint32_t *v, size_t n, char *err,
    size_t errlen)
{
	size_t i;

	if (n == 0) {
		plan_seterr(err, errlen, "empty list of segments");
		goto fail;
	}
	qsort(v, n, sizeof(*v), plan_u32_cmp);
	for (i = 1; i < n; i++) {
		if (v[i] == v[i - 1]) {
			plan_seterr(err, errlen, "segment %u is listed twice",
			    v[i]);
			goto fail;
		}
	}
	free(p->segments);
	p->segments = v;
	p->nsegments = n;
	return 0;
fail:
	free(v);
	return -1;
}

/* "0,1,2" as given to --segments. */
static int
plan_segments_parse(struct plan_pair *p, const char *s, char *err,
    size_t errlen)
{
	char item[16];
	uint32_t *v;
	size_t n = 0, len;
	const char *comma;

	v = xcalloc(PLAN_MAX_SEGMENTS, sizeof(*v));
	for (;;) {
		comma = strchr(s, ',');
		len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == PLAN_MAX_SEGMENTS) {
			plan_seterr(err, errlen, "more than %d segments listed",
			    PLAN_MAX_SEGMENTS);
			goto fail;
		}
		if (len == 0 || len >= sizeof(item)) {
			plan_seterr(err, errlen,
			    "expected segment numbers "
			    "separated by commas, such as 0,1,2");
			goto fail;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		if (plan_parse_u32(item, 0, PLAN_TOTAL_SEGMENTS_MAX - 1, &v[n],
			err, errlen) == -1)
			goto fail;
		n++;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	return plan_segments_set(p, v, n, err, errlen);
fail:
	free(v);
	return -1;
}

/* ------------------------------------------------------------------------
 * Pair fields: one table drives the flags, the YAML keys and the argv
 * (struct plan_field: plan_int.h).
 */

#define PO(m) offsetof(struct plan_pair, m)

static const char *const plan_billing_modes[] = { "PROVISIONED",
	"PAY_PER_REQUEST", NULL };
static const char *const plan_sse_modes[] = { "default", "kms", NULL };
static const char *const plan_stream_views[] = { "NEW_AND_OLD_IMAGES",
	"NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY", NULL };

/* The values a PF_ENUM field takes, NULL-terminated. */
static const struct {
	const char *flag;
	const char *const *choices;
} plan_enums[] = {
	{ "output-billing-mode", plan_billing_modes },
	{ "output-sse", plan_sse_modes },
	{ "output-stream-view", plan_stream_views },
};

const struct plan_field plan_fields[] = {
	{ "pair-name", NULL, "name", PF_STR, PO(name), 0, 0 },
	{ "input-table", "input", "table", PF_STR, PO(input.table), 0, 0 },
	{ "input-region", "input", "region", PF_STR, PO(input.region), 0, 0 },
	{ "input-role-arn", "input", "role_arn", PF_STR, PO(input.role_arn), 0,
	    0 },
	{ "input-endpoint-url", "input", "endpoint_url", PF_STR,
	    PO(input.endpoint), 0, 0 },
	{ "input-streams-endpoint-url", "input", "streams_endpoint_url", PF_STR,
	    PO(input.streams_endpoint), 0, 0 },
	{ "input-sts-endpoint-url", "input", "sts_endpoint_url", PF_STR,
	    PO(input.sts_endpoint), 0, 0 },
	{ "input-allow-insecure-http", "input", "allow_insecure_http", PF_BOOL,
	    PO(input.allow_insecure_http), 0, 0 },
	{ "output-table", "output", "table", PF_STR, PO(output.table), 0, 0 },
	{ "output-region", "output", "region", PF_STR, PO(output.region), 0,
	    0 },
	{ "output-role-arn", "output", "role_arn", PF_STR, PO(output.role_arn),
	    0, 0 },
	{ "output-endpoint-url", "output", "endpoint_url", PF_STR,
	    PO(output.endpoint), 0, 0 },
	{ "output-sts-endpoint-url", "output", "sts_endpoint_url", PF_STR,
	    PO(output.sts_endpoint), 0, 0 },
	{ "output-allow-insecure-http", "output", "allow_insecure_http",
	    PF_BOOL, PO(output.allow_insecure_http), 0, 0 },
	{ "backfill", "backfill", "disabled", PF_BOOL, PO(backfill), 0, 0 },
	{ "no-backfill", NULL, NULL, PF_NOBOOL, PO(backfill), 0, 0 },
	{ "stream", "stream", "disabled", PF_BOOL, PO(stream), 0, 0 },
	{ "no-stream", NULL, NULL, PF_NOBOOL, PO(stream), 0, 0 },
	{ "total-segments", NULL, "total_segments", PF_U32, PO(total_segments),
	    1, PLAN_TOTAL_SEGMENTS_MAX },
	{ "segments", NULL, "segments", PF_SEGS, PO(segments), 0, 0 },
	{ "page-size", NULL, "page_size", PF_U32, PO(page_size), 1,
	    PLAN_PAGE_SIZE_MAX },
	{ "max-inflight", NULL, "max_inflight", PF_U32, PO(max_inflight), 1,
	    PLAN_MAX_INFLIGHT_MAX },
	{ "consumed-capacity", NULL, "consumed_capacity", PF_BOOL,
	    PO(consumed_capacity), 0, 0 },
	{ "no-consumed-capacity", NULL, NULL, PF_NOBOOL, PO(consumed_capacity),
	    0, 0 },
	{ "spool", NULL, "spool", PF_BOOL, PO(spool), 0, 0 },
	{ "no-spool", NULL, NULL, PF_NOBOOL, PO(spool), 0, 0 },
	{ "spool-max-bytes", NULL, "spool_max_bytes", PF_BYTES,
	    PO(spool_max_bytes), 0, 0 },
	{ "input-read-capacity", "input", "read_capacity", PF_LIMIT,
	    PO(read_limit), 0, 0 },
	{ "output-write-capacity", "output", "write_capacity", PF_LIMIT,
	    PO(write_limit), 0, 0 },
	{ "create-output", "output", "create", PF_BOOL, PO(create_output), 0,
	    0 },
	{ "output-billing-mode", "output", "billing_mode", PF_ENUM,
	    PO(billing_mode), 0, 0 },
	{ "output-provisioned-read-capacity", "output",
	    "provisioned_read_capacity", PF_U32, PO(prov_rcu), 1,
	    PLAN_CAPACITY_MAX },
	{ "output-provisioned-write-capacity", "output",
	    "provisioned_write_capacity", PF_U32, PO(prov_wcu), 1,
	    PLAN_CAPACITY_MAX },
	{ "output-index-capacity", "output", "index_capacity", PF_IDXCAP,
	    PO(index_caps), 0, 0 },
	{ "output-sse", "output", "sse", PF_ENUM, PO(sse), 0, 0 },
	{ "output-sse-kms-key", "output", "sse_kms_key", PF_STR,
	    PO(sse_kms_key), 0, 0 },
	{ "output-stream-view", "output", "stream_view", PF_ENUM,
	    PO(stream_view), 0, 0 },
	{ "ttl-skip-expired", "ttl", "skip_expired", PF_OPTBOOL,
	    PO(ttl_skip_expired), 0, 0 },
	{ "ttl-apply-deletes", "ttl", "apply_deletes", PF_BOOL,
	    PO(ttl_apply_deletes), 0, 0 },
};

#define PLAN_NFIELDS (sizeof(plan_fields) / sizeof(plan_fields[0]))
const size_t plan_nfields = PLAN_NFIELDS;

void *
plan_field_ptr(struct plan_pair *p, const struct plan_field *f)
{
	return (char *)p + f->off;
}

static const void *
plan_field_cptr(const struct plan_pair *p, const struct plan_field *f)
{
	return (const char *)p + f->off;
}

const struct plan_field *
plan_field_by_flag(const char *flag)
{
	size_t i;

	for (i = 0; i < PLAN_NFIELDS; i++)
		if (strcmp(plan_fields[i].flag, flag) == 0)
			return &plan_fields[i];
	return NULL;
}

static int plan_charset(const char *, size_t, size_t, const char *);

static const char *const *
plan_field_choices(const struct plan_field *f)
{
	for (size_t i = 0; i < sizeof(plan_enums) / sizeof(plan_enums[0]); i++)
		if (strcmp(plan_enums[i].flag, f->flag) == 0)
			return plan_enums[i].choices;
	fatalx("plan: no choices for --%s", f->flag);
}

/* One index capacity, after the others of p (name is copied). */
int
plan_idxcap_add(struct plan_pair *p, const char *name, uint32_t rd, uint32_t wr,
    char *err, size_t errlen)
{
	char q[PLAN_QUOTE_LEN];
	struct plan_index_cap *ic;

	/* DynamoDB's rule for index names is its rule for table names. */
	if (!plan_charset(name, 3, 255, "_.-")) {
		plan_seterr(err, errlen,
		    "'%s' is not a valid index name (3 to "
		    "255 characters of A-Z a-z 0-9 _ . -)",
		    plan_quote(q, name));
		return -1;
	}
	if (plan_index_cap_find(p, name) != NULL) {
		plan_seterr(err, errlen, "index '%s' is listed twice",
		    plan_quote(q, name));
		return -1;
	}
	if (p->nindex_caps == PLAN_MAX_INDEX_CAPS) {
		plan_seterr(err, errlen, "more than %d indexes listed",
		    PLAN_MAX_INDEX_CAPS);
		return -1;
	}
	p->index_caps = xrealloc(p->index_caps,
	    (p->nindex_caps + 1) * sizeof(*p->index_caps));
	ic = &p->index_caps[p->nindex_caps++];
	ic->name = xstrdup(name);
	ic->read = rd;
	ic->write = wr;
	return 0;
}

void
plan_idxcap_clear(struct plan_pair *p)
{
	for (size_t i = 0; i < p->nindex_caps; i++)
		free(p->index_caps[i].name);
	free(p->index_caps);
	p->index_caps = NULL;
	p->nindex_caps = 0;
}

const struct plan_index_cap *
plan_index_cap_find(const struct plan_pair *p, const char *name)
{
	for (size_t i = 0; i < p->nindex_caps; i++)
		if (strcmp(p->index_caps[i].name, name) == 0)
			return &p->index_caps[i];
	return NULL;
}

/* "by_email:5:5,by_date:10:2" as given to --output-index-capacity. */
static int
plan_idxcap_parse(struct plan_pair *p, const char *s, char *err, size_t errlen)
{
	char item[300], *c1, *c2;
	uint32_t rd, wr;
	size_t len;
	const char *comma;

	plan_idxcap_clear(p);
	for (;;) {
		comma = strchr(s, ',');
		len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, s, len);
		item[len] = '\0';
		if ((c1 = strchr(item, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL) {
			plan_seterr(err, errlen,
			    "expected INDEX:READ:WRITE "
			    "separated by commas, such as by_email:5:5");
			goto fail;
		}
		*c1++ = '\0';
		*c2++ = '\0';
		if (plan_parse_u32(c1, 1, PLAN_CAPACITY_MAX, &rd, err,
			errlen) == -1 ||
		    plan_parse_u32(c2, 1, PLAN_CAPACITY_MAX, &wr, err,
			errlen) == -1 ||
		    plan_idxcap_add(p, item, rd, wr, err, errlen) == -1)
			goto fail;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	return 0;
fail:
	plan_idxcap_clear(p);
	return -1;
}

/* A PF_ENUM value: stored as the table spells it, whatever its case. */
static int
plan_enum_set(struct plan_pair *p, const struct plan_field *f,
    const char *value, char *err, size_t errlen)
{
	const char *const *c = plan_field_choices(f);
	char q[PLAN_QUOTE_LEN], list[128] = "";
	char **sp;
	size_t i;

	for (i = 0; c[i] != NULL; i++) {
		if (strcasecmp(value, c[i]) != 0)
			continue;
		sp = plan_field_ptr(p, f);
		free(*sp);
		*sp = xstrdup(c[i]);
		return 0;
	}
	for (i = 0; c[i] != NULL; i++) {
		if (i > 0)
			strlcat(list, ", ", sizeof(list));
		strlcat(list, c[i], sizeof(list));
	}
	plan_seterr(err, errlen, "'%s' is not one of %s", plan_quote(q, value),
	    list);
	return -1;
}

/* Set one field from text; the YAML loader and the flags share this. */
int
plan_field_set(struct plan_pair *p, const struct plan_field *f,
    const char *value, char *err, size_t errlen)
{
	char **sp;
	int b;

	switch (f->kind) {
	case PF_STR:
		if (value == NULL || *value == '\0') {
			plan_seterr(err, errlen, "empty value");
			return -1;
		}
		if (strlen(value) > PLAN_MAX_VALUE) {
			plan_seterr(err, errlen,
			    "value too long (over %d "
			    "bytes)",
			    PLAN_MAX_VALUE);
			return -1;
		}
		if (fmt_has_control(value, strlen(value))) {
			plan_seterr(err, errlen,
			    "value contains a control character");
			return -1;
		}
		sp = plan_field_ptr(p, f);
		free(*sp);
		*sp = xstrdup(value);
		return 0;
	case PF_ENUM:
		if (value == NULL) {
			plan_seterr(err, errlen, "needs a value");
			return -1;
		}
		return plan_enum_set(p, f, value, err, errlen);
	case PF_IDXCAP:
		if (value == NULL) {
			plan_seterr(err, errlen, "needs a value");
			return -1;
		}
		return plan_idxcap_parse(p, value, err, errlen);
	case PF_OPTBOOL:
	case PF_BOOL:
		if (value == NULL)
			b = 1;
		else if (plan_parse_bool(value, &b) == -1) {
			char q[PLAN_QUOTE_LEN];

			plan_seterr(err, errlen,
			    "'%s' is not a boolean "
			    "(true/false, yes/no, on/off)",
			    plan_quote(q, value));
			return -1;
		}
		*(int *)plan_field_ptr(p, f) = b;
		return 0;
	case PF_NOBOOL:
		if (value != NULL) {
			plan_seterr(err, errlen, "takes no value");
			return -1;
		}
		*(int *)plan_field_ptr(p, f) = 0;
		return 0;
	case PF_U32:
		if (value == NULL) {
			plan_seterr(err, errlen, "needs a value");
			return -1;
		}
		return plan_parse_u32(value, f->min, f->max,
		    plan_field_ptr(p, f), err, errlen);
	case PF_SEGS:
		if (value == NULL) {
			plan_seterr(err, errlen, "needs a value");
			return -1;
		}
		return plan_segments_parse(p, value, err, errlen);
	case PF_BYTES:
		if (value == NULL) {
			plan_seterr(err, errlen, "needs a value");
			return -1;
		}
		return plan_parse_bytes(value, plan_field_ptr(p, f), err,
		    errlen);
	case PF_LIMIT:
		if (value == NULL) {
			plan_seterr(err, errlen, "needs a value");
			return -1;
		}
		return plan_limit_parse(value, plan_field_ptr(p, f), err,
		    errlen);
	}
	return -1;
}

int
plan_limit_parse(const char *s, struct plan_limit *out, char *err,
    size_t errlen)
{
	char q[PLAN_QUOTE_LEN], num[16];
	size_t n = strlen(s);
	int pct = n > 0 && s[n - 1] == '%';
	uint32_t v;

	if (pct)
		n--;
	if (n == 0 || n >= sizeof(num) || strspn(s, "0123456789") != n) {
		if (n > 0 && s[0] == '-')
			plan_seterr(err, errlen,
			    "'%s' is negative: a limit is "
			    "capacity units per second (500) or a percentage "
			    "of the table's capacity (40%%)",
			    plan_quote(q, s));
		else
			plan_seterr(err, errlen,
			    "'%s' is not a limit: give "
			    "whole capacity units per second (500) or a "
			    "percentage of the table's capacity (40%%)",
			    plan_quote(q, s));
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (plan_parse_u32(num, 0, pct ? 100 : PLAN_CAPACITY_MAX, &v, err,
		errlen) == -1)
		return -1;
	if (v == 0) {
		plan_seterr(err, errlen,
		    "'%s' is zero: a limit lets at least "
		    "1 capacity unit per second (1%%) through; leave the key "
		    "out for no limit",
		    plan_quote(q, s));
		return -1;
	}
	out->units = pct ? 0 : v;
	out->pct = pct ? v : 0;
	return 0;
}

const char *
plan_limit_str(const struct plan_limit *l, char *buf, size_t len)
{
	if (l->pct != 0)
		snprintf(buf, len, "%u%%", l->pct);
	else if (l->units != 0)
		snprintf(buf, len, "%u", l->units);
	else
		snprintf(buf, len, "none");
	return buf;
}

int
plan_pair_set_flag(struct plan_pair *p, const char *name, const char *value,
    char *err, size_t errlen)
{
	const struct plan_field *f;

	if ((f = plan_field_by_flag(name)) == NULL)
		return 0;
	if (plan_field_set(p, f, value, err, errlen) == -1)
		return -1;
	return 1;
}

int
plan_pair_flag_needs_value(const char *name)
{
	const struct plan_field *f;

	if ((f = plan_field_by_flag(name)) == NULL)
		return -1;
	return f->kind != PF_BOOL && f->kind != PF_NOBOOL &&
	    f->kind != PF_OPTBOOL;
}

char **
plan_pair_to_argv(const struct plan_pair *p, size_t *argcp)
{
	const struct plan_field *f;
	struct buf b;
	char **argv;
	const char *s;
	size_t i, j, n = 0;
	uint32_t v;

	argv = xcalloc(PLAN_NFIELDS + 1, sizeof(*argv));
	for (i = 0; i < PLAN_NFIELDS; i++) {
		f = &plan_fields[i];
		switch (f->kind) {
		case PF_STR:
		case PF_ENUM:
			s = *(char *const *)plan_field_cptr(p, f);
			if (s != NULL)
				xasprintf(&argv[n++], "--%s=%s", f->flag, s);
			break;
		case PF_BOOL:
			/* A side's permission only when given: a worker's
			 * argv says what is not the default. */
			if (f->section != NULL &&
			    (strcmp(f->section, "input") == 0 ||
				strcmp(f->section, "output") == 0) &&
			    !*(const int *)plan_field_cptr(p, f))
				break;
			xasprintf(&argv[n++], "--%s=%s", f->flag,
			    *(const int *)plan_field_cptr(p, f) ? "true" :
								  "false");
			break;
		case PF_OPTBOOL:
			if (*(const int *)plan_field_cptr(p, f) != -1)
				xasprintf(&argv[n++], "--%s=%s", f->flag,
				    *(const int *)plan_field_cptr(p, f) ?
					"true" :
					"false");
			break;
		case PF_IDXCAP:
			if (p->nindex_caps == 0)
				break;
			buf_init(&b, 0);
			if (buf_printf(&b, "--%s=", f->flag) == -1)
				fatalx("plan_pair_to_argv: index capacity");
			for (j = 0; j < p->nindex_caps; j++)
				if (buf_printf(&b, "%s%s:%u:%u", j ? "," : "",
					p->index_caps[j].name,
					p->index_caps[j].read,
					p->index_caps[j].write) == -1)
					fatalx("plan_pair_to_argv: index "
					       "capacity");
			argv[n++] = buf_steal(&b, NULL);
			break;
		case PF_NOBOOL:
			break;
		case PF_LIMIT: {
			const struct plan_limit *l = plan_field_cptr(p, f);
			char lb[16];

			if (l->units != 0 || l->pct != 0)
				xasprintf(&argv[n++], "--%s=%s", f->flag,
				    plan_limit_str(l, lb, sizeof(lb)));
			break;
		}
		case PF_U32:
			v = *(const uint32_t *)plan_field_cptr(p, f);
			if (v != 0)
				xasprintf(&argv[n++], "--%s=%u", f->flag, v);
			break;
		case PF_BYTES:
			if (*(const uint64_t *)plan_field_cptr(p, f) != 0)
				xasprintf(&argv[n++], "--%s=%llu", f->flag,
				    (unsigned long long)*(
					const uint64_t *)plan_field_cptr(p, f));
			break;
		case PF_SEGS:
			if (p->nsegments == 0)
				break;
			/* 11 bytes per number and comma, plus the flag. */
			buf_init(&b, p->nsegments * 11 + 64);
			if (buf_printf(&b, "--%s=", f->flag) == -1)
				fatalx("plan_pair_to_argv: segments");
			for (j = 0; j < p->nsegments; j++)
				if (buf_printf(&b, "%s%u", j ? "," : "",
					p->segments[j]) == -1)
					fatalx("plan_pair_to_argv: segments");
			argv[n++] = buf_steal(&b, NULL);
			break;
		}
	}
	argv[n] = NULL;
	if (argcp != NULL)
		*argcp = n;
	return argv;
}

void
plan_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

const char *
plan_pair_label(const struct plan_pair *p, char *buf, size_t len)
{
	const char *in, *out, *ir, * or ;
	int n;

	if (len == 0)
		return buf;
	in = p->input.table != NULL ? p->input.table : "?";
	out = p->output.table != NULL ? p->output.table : in;
	ir = p->input.region;
	or = p->output.region != NULL ? p->output.region : ir;
	/* U+21E8 RIGHTWARDS WHITE ARROW, as in README.md's log lines. */
	if (strcmp(in, out) == 0 && ir != NULL && or
	    != NULL && strcmp(ir, or) != 0)
		n = snprintf(buf, len, "[%s@%s] \xe2\x87\xa8 [%s@%s]", in, ir,
		    out, or);
	else
		n = snprintf(buf, len, "[%s] \xe2\x87\xa8 [%s]", in, out);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= len)
		buf[utf8_trim(buf, len - 1)] = '\0';
	return buf;
}

/* ------------------------------------------------------------------------
 * Plan and pair lifetime
 */

struct plan *
plan_new(void)
{
	return xcalloc(1, sizeof(struct plan));
}

void
plan_free(struct plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->npairs; i++)
		plan_pair_clear(&plan->pairs[i]);
	free(plan->pairs);
	free(plan->path);
	free(plan->metrics_listen);
	if (plan->coord != NULL) {
		free(plan->coord->table);
		free(plan->coord->region);
		free(plan->coord->role_arn);
		free(plan->coord->endpoint);
		free(plan->coord);
	}
	free(plan);
}

void
plan_pair_init(struct plan_pair *p)
{
	memset(p, 0, sizeof(*p));
	p->backfill = 1;
	p->stream = 1;
	p->consumed_capacity = 1;
	p->spool = 1;
	p->ttl_skip_expired = -1;
	p->ttl_apply_deletes = 1;
}

static void
plan_side_clear(struct plan_side *s)
{
	free(s->table);
	free(s->region);
	free(s->role_arn);
	free(s->endpoint);
	free(s->streams_endpoint);
	free(s->sts_endpoint);
}

void
plan_pair_clear(struct plan_pair *p)
{
	free(p->name);
	plan_side_clear(&p->input);
	plan_side_clear(&p->output);
	free(p->segments);
	free(p->billing_mode);
	plan_idxcap_clear(p);
	free(p->sse);
	free(p->sse_kms_key);
	free(p->stream_view);
	plan_pair_init(p);
}

struct plan_pair *
plan_add_pair(struct plan *plan)
{
	struct plan_pair *p;

	plan->pairs = xrealloc(plan->pairs,
	    (plan->npairs + 1) * sizeof(*plan->pairs));
	p = &plan->pairs[plan->npairs++];
	plan_pair_init(p);
	return p;
}

/* ------------------------------------------------------------------------
 * Defaults
 */

static const char *
plan_env_region(void)
{
	const char *r;

	if ((r = getenv("AWS_REGION")) != NULL && *r != '\0')
		return r;
	if ((r = getenv("AWS_DEFAULT_REGION")) != NULL && *r != '\0')
		return r;
	return NULL;
}

/* Default name candidate of the given level (see plan.h). */
static char *
plan_name_candidate(const struct plan_pair *p, int level)
{
	const char *out = p->output.table != NULL ? p->output.table :
						    p->input.table;
	char *s;

	if (level == 0)
		return xstrdup(p->input.table);
	if (level == 1 || p->output.region == NULL)
		xasprintf(&s, "%s-%s", p->input.table, out);
	else
		xasprintf(&s, "%s-%s-%s", p->input.table, out,
		    p->output.region);
	return s;
}

/* Whether s is a name already given, or the candidate of another pair. */
static int
plan_name_taken(const struct plan *plan, char **cand, size_t self,
    const char *s)
{
	size_t j;

	for (j = 0; j < plan->npairs; j++) {
		if (plan->pairs[j].name != NULL &&
		    strcmp(plan->pairs[j].name, s) == 0)
			return 1;
		if (j != self && cand[j] != NULL && strcmp(cand[j], s) == 0)
			return 1;
	}
	return 0;
}

static void
plan_default_names(struct plan *plan)
{
	struct plan_pair *p;
	char **cand, *base, *name;
	int *ok, level;
	size_t i, n;

	cand = xcalloc(plan->npairs, sizeof(*cand));
	ok = xcalloc(plan->npairs, sizeof(*ok));
	for (level = 0; level < 3; level++) {
		for (i = 0; i < plan->npairs; i++) {
			p = &plan->pairs[i];
			free(cand[i]);
			cand[i] = NULL;
			if (p->name == NULL && p->input.table != NULL)
				cand[i] = plan_name_candidate(p, level);
		}
		/* Decide all, then assign: alike pairs move on together. */
		for (i = 0; i < plan->npairs; i++)
			ok[i] = cand[i] != NULL &&
			    !plan_name_taken(plan, cand, i, cand[i]);
		for (i = 0; i < plan->npairs; i++) {
			if (!ok[i])
				continue;
			plan->pairs[i].name = cand[i];
			plan->pairs[i].name_derived = 1;
			cand[i] = NULL;
		}
	}
	/* Still alike after every level: number them in plan order. */
	for (i = 0; i < plan->npairs; i++) {
		if ((base = cand[i]) == NULL)
			continue;
		cand[i] = NULL;
		for (n = 1;; n++) {
			xasprintf(&name, "%s-%zu", base, n);
			if (!plan_name_taken(plan, cand, i, name))
				break;
			free(name);
		}
		plan->pairs[i].name = name;
		plan->pairs[i].name_derived = 1;
		free(base);
	}
	free(ok);
	free(cand);
}

void
plan_resolve_defaults(struct plan *plan)
{
	const char *env = plan_env_region();
	struct plan_pair *p;
	size_t i;

	for (i = 0; i < plan->npairs; i++) {
		p = &plan->pairs[i];
		if (p->output.table == NULL && p->input.table != NULL)
			p->output.table = xstrdup(p->input.table);
		if (p->input.region == NULL && env != NULL)
			p->input.region = xstrdup(env);
		if (p->output.region == NULL && p->input.region != NULL)
			p->output.region = xstrdup(p->input.region);
	}
	plan_default_names(plan);
}

/* ------------------------------------------------------------------------
 * Validation
 */

struct plan_check {
	const struct plan *plan;
	struct plan_errors *errs;
	int n;
};

/* A problem of pair i: "FILE:LINE: plan[i] (name): ..." or "pair 'x': ...". */
static void plan_perr(struct plan_check *c, size_t i, int line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
plan_perr(struct plan_check *c, size_t i, int line, const char *fmt, ...)
{
	const struct plan_pair *p = &c->plan->pairs[i];
	char who[PLAN_QUOTE_LEN + 32], q[PLAN_QUOTE_LEN], *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (line == 0)
		line = p->line;
	if (c->plan->path != NULL) {
		if (p->name != NULL)
			plan_seterr(who, sizeof(who), "plan[%zu] (%s)", i,
			    plan_quote(q, p->name));
		else
			plan_seterr(who, sizeof(who), "plan[%zu]", i);
		if (line > 0)
			plan_errors_add(c->errs, "%s:%d: %s: %s", c->plan->path,
			    line, who, msg);
		else
			plan_errors_add(c->errs, "%s: %s: %s", c->plan->path,
			    who, msg);
	} else if (p->name != NULL)
		plan_errors_add(c->errs, "pair '%s': %s",
		    plan_quote(q, p->name), msg);
	else
		plan_errors_add(c->errs, "%s", msg);
	free(msg);
	c->n++;
}

/* Non-empty, at most max bytes, only A-Z a-z 0-9 and the extra bytes. */
static int
plan_charset(const char *s, size_t min, size_t max, const char *extra)
{
	size_t len = strlen(s), i;
	char ch;

	if (len < min || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		ch = s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9'))
			continue;
		if (strchr(extra, ch) == NULL)
			return 0;
	}
	return 1;
}

/* DynamoDB: 3 to 255 characters of A-Z a-z 0-9 _ . - */
static int
plan_ok_table(const char *s)
{
	return plan_charset(s, 3, 255, "_.-");
}

/*
 * "us-east-1", "us-gov-west-1": lowercase words joined by '-', ending in a
 * number. With an endpoint override (DynamoDB Local and the like) any
 * short [a-z0-9-] word will do, since the region only goes into signatures.
 */
static int
plan_ok_region(const char *s, int relaxed)
{
	static const char lower[] = "abcdefghijklmnopqrstuvwxyz";
	const char *p = s;
	size_t len = strlen(s), n;
	int words = 0;

	if (len == 0 || len > 64)
		return 0;
	if (relaxed)
		return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
		    len;
	while ((n = strspn(p, lower)) > 0 && p[n] == '-') {
		p += n + 1;
		words++;
	}
	return words >= 2 && *p != '\0' && strspn(p, "0123456789") == strlen(p);
}

/* arn:aws[-a-z]*:iam::<12 digits>:role/<path and name> */
static int
plan_ok_role_arn(const char *s)
{
	const char *p;
	size_t i;

	if (strncmp(s, "arn:aws", 7) != 0)
		return 0;
	for (p = s + 7; *p == '-' || (*p >= 'a' && *p <= 'z'); p++)
		;
	if (strncmp(p, ":iam::", 6) != 0)
		return 0;
	p += 6;
	for (i = 0; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	p += 12;
	if (strncmp(p, ":role/", 6) != 0)
		return 0;
	p += 6;
	/* IAM: path and name of [\w+=,.@-] and '/', name at most 64. */
	return plan_charset(p, 1, 512 + 64, "_+=,.@-/") &&
	    p[strlen(p) - 1] != '/';
}

/* http(s)://host[:port][/path]: no spaces, no user:password@. */
static int
plan_ok_url(const char *s)
{
	const char *p, *end;

	if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else
		return 0;
	for (end = s; *end != '\0'; end++)
		if ((unsigned char)*end <= 0x20 || (unsigned char)*end >= 0x7f)
			return 0;
	end = p + strcspn(p, "/?#");
	if (end == p || *p == ':' || memchr(p, '@', (size_t)(end - p)) != NULL)
		return 0;
	return 1;
}

static void
plan_check_side(struct plan_check *c, size_t i, const char *what,
    const struct plan_side *s, int is_input)
{
	const struct plan_pair *p = &c->plan->pairs[i];
	char q[PLAN_QUOTE_LEN];
	int line = s->line;

	if (s->table == NULL) {
		if (is_input)
			plan_perr(c, i, line, "the input table is missing");
	} else if (!plan_ok_table(s->table))
		plan_perr(c, i, line,
		    "%s table '%s' is not a valid DynamoDB "
		    "table name (3 to 255 characters of A-Z a-z 0-9 _ . -)",
		    what, plan_quote(q, s->table));
	if (s->region == NULL) {
		/* The output region follows the input's: say it once. */
		if (is_input || p->input.region != NULL)
			plan_perr(c, i, line,
			    "the %s region is missing: set "
			    "'region' (--%s-region) or AWS_REGION",
			    what, what);
	} else if (!plan_ok_region(s->region, s->endpoint != NULL) &&
	    (is_input || !plan_streq(s->region, p->input.region) ||
		plan_ok_region(p->input.region, p->input.endpoint != NULL)))
		/* An output region copied from a bad input one: said once. */
		plan_perr(c, i, line,
		    "%s region '%s' does not look like an "
		    "AWS region (such as us-east-1)",
		    what, plan_quote(q, s->region));
	if (s->role_arn != NULL && !plan_ok_role_arn(s->role_arn))
		plan_perr(c, i, line,
		    "%s role ARN '%s' is not an IAM role ARN "
		    "(arn:aws:iam::123456789012:role/NAME)",
		    what, plan_quote(q, s->role_arn));
	if (s->endpoint != NULL && !plan_ok_url(s->endpoint))
		plan_perr(c, i, line,
		    "%s endpoint URL '%s' is not an "
		    "http:// or https:// URL",
		    what, plan_quote(q, s->endpoint));
	if (s->streams_endpoint != NULL && !plan_ok_url(s->streams_endpoint))
		plan_perr(c, i, line,
		    "%s Streams endpoint URL '%s' is not an "
		    "http:// or https:// URL",
		    what, plan_quote(q, s->streams_endpoint));
	if (s->sts_endpoint != NULL && !plan_ok_url(s->sts_endpoint))
		plan_perr(c, i, line,
		    "%s STS endpoint URL '%s' is not an "
		    "http:// or https:// URL",
		    what, plan_quote(q, s->sts_endpoint));
}

int
plan_side_same_table(const struct plan_side *a, const struct plan_side *b)
{
	return plan_streq(a->table, b->table) &&
	    plan_streq(a->region, b->region) &&
	    plan_streq(a->endpoint, b->endpoint);
}

/* Two pairs on one table with different limits for it: the budget is the
 * table's, so it must be given once (or alike). */
static void
plan_check_limits(struct plan_check *c, size_t i, size_t j)
{
	const struct plan_pair *p = &c->plan->pairs[i], *o = &c->plan->pairs[j];
	char a[16], b[16];

	if (p->input.table != NULL && o->input.table != NULL &&
	    plan_side_same_table(&p->input, &o->input) &&
	    (p->read_limit.units || p->read_limit.pct) &&
	    (o->read_limit.units || o->read_limit.pct) &&
	    memcmp(&p->read_limit, &o->read_limit, sizeof(p->read_limit)))
		plan_perr(c, i, 0,
		    "input.read_capacity %s differs from the "
		    "%s of plan[%zu] (line %d), which reads the same table: a "
		    "table has one budget, shared by its pairs; give one value",
		    plan_limit_str(&p->read_limit, a, sizeof(a)),
		    plan_limit_str(&o->read_limit, b, sizeof(b)), j, o->line);
	if (p->output.table != NULL && o->output.table != NULL &&
	    plan_side_same_table(&p->output, &o->output) &&
	    (p->write_limit.units || p->write_limit.pct) &&
	    (o->write_limit.units || o->write_limit.pct) &&
	    memcmp(&p->write_limit, &o->write_limit, sizeof(p->write_limit)))
		plan_perr(c, i, 0,
		    "output.write_capacity %s differs from the "
		    "%s of plan[%zu] (line %d), which writes the same table: a "
		    "table has one budget, shared by its pairs; give one value",
		    plan_limit_str(&p->write_limit, a, sizeof(a)),
		    plan_limit_str(&o->write_limit, b, sizeof(b)), j, o->line);
}

/* Same table: name, region, credentials (the account) and endpoint. */
static int
plan_side_same(const struct plan_side *a, const struct plan_side *b)
{
	return plan_streq(a->table, b->table) &&
	    plan_streq(a->region, b->region) &&
	    plan_streq(a->role_arn, b->role_arn) &&
	    plan_streq(a->endpoint, b->endpoint);
}

static void
plan_check_segments(struct plan_check *c, size_t i)
{
	const struct plan_pair *p = &c->plan->pairs[i];
	uint32_t *v;
	size_t j;

	if (p->nsegments == 0)
		return;
	if (p->total_segments == 0) {
		plan_perr(c, i, 0, "'segments' needs 'total_segments'");
		return;
	}
	if (p->nsegments > PLAN_MAX_SEGMENTS) {
		plan_perr(c, i, 0, "more than %d segments listed",
		    PLAN_MAX_SEGMENTS);
		return;
	}
	v = xcalloc(p->nsegments, sizeof(*v));
	memcpy(v, p->segments, p->nsegments * sizeof(*v));
	qsort(v, p->nsegments, sizeof(*v), plan_u32_cmp);
	for (j = 0; j < p->nsegments; j++) {
		if (v[j] >= p->total_segments) {
			plan_perr(c, i, 0,
			    "segment %u is out of range: "
			    "total_segments is %u (segments 0 to %u)",
			    v[j], p->total_segments, p->total_segments - 1);
			break;
		}
		if (j > 0 && v[j] == v[j - 1]) {
			plan_perr(c, i, 0, "segment %u is listed twice", v[j]);
			break;
		}
	}
	free(v);
}

static void
plan_check_name(struct plan_check *c, size_t i)
{
	const struct plan_pair *p = &c->plan->pairs[i];
	char q[PLAN_QUOTE_LEN];

	if (p->name == NULL)
		return;
	/* A default name made of bad table names: the tables are reported. */
	if (p->name_derived &&
	    (p->input.table == NULL || !plan_ok_table(p->input.table) ||
		(p->output.table != NULL && !plan_ok_table(p->output.table))))
		return;
	if (!plan_charset(p->name, 1, PLAN_NAME_MAX, "_.-"))
		plan_perr(c, i, 0,
		    "%s '%s' is not usable: a pair name is 1 to "
		    "%d characters of A-Z a-z 0-9 _ . - (it names files in "
		    "the state directory)%s",
		    p->name_derived ? "the default pair name" : "pair name",
		    plan_quote(q, p->name), PLAN_NAME_MAX,
		    p->name_derived ? "; set 'name'" : "");
	else if (strcmp(p->name, ".") == 0 || strcmp(p->name, "..") == 0)
		plan_perr(c, i, 0, "pair name '%s' is not allowed", p->name);
}

/*
 * output.create and its overrides. The overrides only shape a table
 * ddb-sync creates (or are compared with one that exists): never an
 * existing table's settings.
 */
static void
plan_check_create(struct plan_check *c, size_t i)
{
	const struct plan_pair *p = &c->plan->pairs[i];
	int line = p->output.line;
	const char *key = NULL;

	if (p->billing_mode != NULL)
		key = "billing_mode (--output-billing-mode)";
	else if (p->prov_rcu != 0)
		key = "provisioned_read_capacity "
		      "(--output-provisioned-read-capacity)";
	else if (p->prov_wcu != 0)
		key = "provisioned_write_capacity "
		      "(--output-provisioned-write-capacity)";
	else if (p->nindex_caps != 0)
		key = "index_capacity (--output-index-capacity)";
	else if (p->sse != NULL)
		key = "sse (--output-sse)";
	else if (p->sse_kms_key != NULL)
		key = "sse_kms_key (--output-sse-kms-key)";
	else if (p->stream_view != NULL)
		key = "stream_view (--output-stream-view)";
	if (!p->create_output) {
		if (key != NULL)
			plan_perr(c, i, line,
			    "output.%s only applies with "
			    "output.create: true (--create-output): ddb-sync "
			    "never changes the settings of an existing table",
			    key);
		return;
	}
	if ((p->prov_rcu != 0) != (p->prov_wcu != 0))
		plan_perr(c, i, line,
		    "output.provisioned_read_capacity and "
		    "output.provisioned_write_capacity go together: give both");
	if (p->billing_mode != NULL &&
	    strcmp(p->billing_mode, "PAY_PER_REQUEST") == 0 &&
	    (p->prov_rcu != 0 || p->prov_wcu != 0 || p->nindex_caps != 0))
		plan_perr(c, i, line,
		    "output.%s needs billing_mode "
		    "PROVISIONED: billing_mode is PAY_PER_REQUEST (on-demand), "
		    "which has no capacity to set",
		    p->nindex_caps != 0 && p->prov_rcu == 0 ?
			"index_capacity" :
			"provisioned_read_capacity/provisioned_write_capacity");
	if (p->sse != NULL && strcmp(p->sse, "default") == 0 &&
	    p->sse_kms_key != NULL)
		plan_perr(c, i, line,
		    "output.sse_kms_key contradicts "
		    "sse: default (AWS-owned encryption): use one of them");
}

static void
plan_check_pair(struct plan_check *c, size_t i)
{
	const struct plan_pair *p = &c->plan->pairs[i];
	const struct plan_field *f;
	size_t k;
	uint32_t v;

	plan_check_side(c, i, "input", &p->input, 1);
	plan_check_side(c, i, "output", &p->output, 0);
	plan_check_name(c, i);
	for (k = 0; k < PLAN_NFIELDS; k++) {
		f = &plan_fields[k];
		if (f->kind != PF_U32)
			continue;
		v = *(const uint32_t *)plan_field_cptr(p, f);
		if (v != 0 && (v < f->min || v > f->max))
			plan_perr(c, i, 0, "%s %u is out of range (%u to %u)",
			    f->key, v, f->min, f->max);
	}
	plan_check_segments(c, i);
	plan_check_create(c, i);
	if (!p->backfill && !p->stream)
		plan_perr(c, i, 0,
		    "both backfill and stream are disabled: "
		    "nothing to do");
	if (p->input.table != NULL && plan_side_same(&p->input, &p->output))
		plan_perr(c, i, 0,
		    "input and output are the same table (same "
		    "name, region, role ARN and endpoint)");
}

/*
 * The coordination block: well-formed, and not one of the pairs' tables
 * (the lease items would be copied, or overwritten by a copy).
 */
static void
plan_check_coord(struct plan_check *c)
{
	const struct plan_coord *co = c->plan->coord;
	const struct plan_pair *p;
	const struct plan_side *s;
	char where[PLAN_QUOTE_LEN + 32], q[PLAN_QUOTE_LEN];
	size_t i;

	if (co == NULL)
		return;
	if (c->plan->path != NULL && co->line > 0)
		plan_seterr(where, sizeof(where), "%s:%d: coordination",
		    c->plan->path, co->line);
	else
		plan_seterr(where, sizeof(where), "coordination");
	if (co->table != NULL && !plan_ok_table(co->table)) {
		plan_errors_add(c->errs,
		    "%s: table '%s' is not a valid "
		    "DynamoDB table name (3 to 255 characters of A-Z a-z 0-9 "
		    "_ . -)",
		    where, plan_quote(q, co->table));
		c->n++;
	}
	if (co->region != NULL &&
	    !plan_ok_region(co->region, co->endpoint != NULL)) {
		plan_errors_add(c->errs,
		    "%s: region '%s' does not look like "
		    "an AWS region (such as us-east-1)",
		    where, plan_quote(q, co->region));
		c->n++;
	}
	if (co->role_arn != NULL && !plan_ok_role_arn(co->role_arn)) {
		plan_errors_add(c->errs,
		    "%s: role ARN '%s' is not an IAM role "
		    "ARN (arn:aws:iam::123456789012:role/NAME)",
		    where, plan_quote(q, co->role_arn));
		c->n++;
	}
	if (co->endpoint != NULL && !plan_ok_url(co->endpoint)) {
		plan_errors_add(c->errs,
		    "%s: endpoint URL '%s' is not an "
		    "http:// or https:// URL",
		    where, plan_quote(q, co->endpoint));
		c->n++;
	}
	if (co->table == NULL)
		return;
	for (i = 0; i < c->plan->npairs; i++) {
		p = &c->plan->pairs[i];
		s = plan_streq(co->table, p->input.table)  ? &p->input :
		    plan_streq(co->table, p->output.table) ? &p->output :
							     NULL;
		if (s == NULL || !plan_streq(co->region, s->region) ||
		    !plan_streq(co->endpoint, s->endpoint))
			continue;
		plan_errors_add(c->errs,
		    "%s: table '%s' is plan[%zu]'s %s "
		    "table: the coordination table must be a table of its own",
		    where, plan_quote(q, co->table), i,
		    s == &p->input ? "input" : "output");
		c->n++;
		break;
	}
}

int
plan_validate(const struct plan *plan, struct plan_errors *errs)
{
	struct plan_check c;
	const struct plan_pair *p, *o;
	size_t i, j;

	c.plan = plan;
	c.errs = errs;
	c.n = 0;
	for (i = 0; i < plan->npairs; i++)
		if (!plan->pairs[i].load_errors)
			plan_check_pair(&c, i);
	plan_check_coord(&c);
	/* Repeats are reported on the later pair, naming the earlier one. */
	for (i = 1; i < plan->npairs; i++) {
		p = &plan->pairs[i];
		if (p->load_errors)
			continue;
		for (j = 0; j < i; j++) {
			o = &plan->pairs[j];
			if (p->name != NULL && plan_streq(p->name, o->name)) {
				plan_perr(&c, i, 0,
				    "the pair name is also "
				    "used by plan[%zu] (line %d)",
				    j, o->line);
				break;
			}
		}
		for (j = 0; j < i; j++) {
			o = &plan->pairs[j];
			if (p->input.table != NULL &&
			    plan_side_same(&p->input, &o->input) &&
			    plan_side_same(&p->output, &o->output)) {
				plan_perr(&c, i, 0,
				    "same input and output as "
				    "plan[%zu] (line %d)",
				    j, o->line);
				break;
			}
		}
		for (j = 0; j < i; j++)
			if (!plan->pairs[j].load_errors)
				plan_check_limits(&c, i, j);
	}
	return c.n;
}
