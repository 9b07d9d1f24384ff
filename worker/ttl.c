/* ttl.c: DynamoDB TTL the way users mean it: expired items, TTL deletes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ttl.h"
#include "worker.h"
#include "xmalloc.h"
#include "xtime.h"

int
ttl_item_expired(const struct jspan *item, const char *attr, int64_t now_s)
{
	const char *p, *end;
	struct jspan v, k, n;
	char num[64], *ep;
	double d;

	if (jscan_find(item, attr, &v) != 1 || v.len == 0 || v.p[0] != '{')
		return 0;
	/* An AttributeValue is a one-member object: {"N":"1700000000"}. */
	p = v.p;
	end = v.p + v.len;
	if (jscan_open(&p, end, '{') == -1 ||
	    jscan_member(&p, end, &k, &n) != 1 || !jscan_eq(&k, "N") ||
	    jscan_member(&p, end, &k, &v) != 0)
		return 0;
	/* 38 digits, a sign, a point and an exponent fit: longer is not a
	 * DynamoDB number. */
	/* Decimal only: strtod would also take "0x10", "inf", " 1". */
	if (jscan_string(&n, num, sizeof(num)) <= 0 ||
	    (num[0] != '-' && (num[0] < '0' || num[0] > '9')) ||
	    num[strspn(num, "0123456789+-.eE")] != '\0')
		return 0;
	d = strtod(num, &ep);
	if (*ep != '\0' || ep == num || !isfinite(d))
		return 0;
	return d < (double)now_s;
}

size_t
ttl_drop_expired(struct jspan *items, size_t n, const char *attr, int64_t now_s)
{
	size_t i, kept = 0;

	for (i = 0; i < n; i++)
		if (!ttl_item_expired(&items[i], attr, now_s))
			items[kept++] = items[i];
	return kept;
}

size_t
ttl_partition_deletes(struct ddb_record *recs, size_t from, size_t n)
{
	struct ddb_record *keep;
	size_t i, j = from, nttl = 0, nkeep = 0;

	for (i = from; i < n; i++)
		if (recs[i].ttl && recs[i].event == DDB_EV_REMOVE)
			nttl++;
	if (nttl == 0 || nttl == n - from)
		return nttl;
	keep = xcalloc(n - from - nttl, sizeof(*keep));
	for (i = from; i < n; i++) {
		/* j <= i: the slot written has been read already. */
		if (recs[i].ttl && recs[i].event == DDB_EV_REMOVE)
			recs[j++] = recs[i];
		else
			keep[nkeep++] = recs[i];
	}
	memcpy(&recs[j], keep, nkeep * sizeof(*keep));
	free(keep);
	return nttl;
}

int64_t
ttl_now(const struct worker *w)
{
	return aws_server_ms(&w->src) / 1000; /* the source's clock */
}

enum aws_status
ttl_source(struct worker *w, char *why, size_t len)
{
	struct aws_call c;
	enum aws_status st;
	char err[256];

	if (w->src_ttl_known)
		return AWS_OK;
	aws_call_init(&c, &w->src, "DescribeTimeToLive");
	if (ddb_table_body(&c.req, w->pair->input.table) == -1)
		fatalx("DescribeTimeToLive body");
	st = aws_call_sync(&c);
	if (st != AWS_OK)
		snprintf(why, len, "%s: %s", c.code, c.msg);
	else if (ddb_parse_ttl(c.body, c.bodylen, &w->src_ttl, err,
		     sizeof(err)) == -1) {
		st = AWS_FATAL;
		snprintf(why, len, "MalformedResponse: %s", err);
	} else
		w->src_ttl_known = 1;
	aws_call_cleanup(&c);
	return st;
}

void
ttl_log_skipped(const struct worker *w, enum proto_phase phase)
{
	const struct proto_progress *pg = &w->prog;

	if (phase == PROTO_PHASE_BACKFILL && pg->ttl_expired_skipped > 0)
		log_info("TTL: %llu expired items skipped (attribute %s)",
		    (unsigned long long)pg->ttl_expired_skipped,
		    w->ttl_attr != NULL ? w->ttl_attr : "?");
	if (phase == PROTO_PHASE_STREAM && pg->ttl_deletes_skipped > 0)
		log_info("TTL: %llu TTL deletes skipped (ttl.apply_deletes: "
			 "false)",
		    (unsigned long long)pg->ttl_deletes_skipped);
}

int
ttl_preflight(struct worker *w)
{
	struct plan_pair *p = w->pair;
	const char *t = p->input.table;
	enum aws_status st;
	char why[700];

	if (p->stream && !p->ttl_apply_deletes)
		log_info("the TTL service's deletes are not applied "
			 "(ttl.apply_deletes: false): expired items stay on %s",
		    p->output.table);
	if (!p->backfill || p->ttl_skip_expired == 0)
		return 0;
	st = ttl_source(w, why, sizeof(why));
	if (st != AWS_OK && p->ttl_skip_expired == -1 &&
	    (st == AWS_DENIED || st == AWS_FATAL)) {
		/* The default must not stop a copy that worked before. */
		log_warnx(
		    "cannot read the TTL setting of source table %s "
		    "(dynamodb:DescribeTimeToLive): %s. Expired items are "
		    "copied like the others; grant the permission, or set "
		    "ttl: {skip_expired: false} to say so",
		    t, why);
		return 0;
	}
	if (st != AWS_OK) {
		worker_fail(w,
		    st == AWS_DENIED || st == AWS_FATAL || st == AWS_NOT_FOUND ?
			WORKER_EXIT_CONFIG :
			WORKER_EXIT_CRASH,
		    "TTLUnreadable",
		    "ttl.skip_expired "
		    "needs the TTL setting of source table %s "
		    "(dynamodb:DescribeTimeToLive): %s",
		    t, why);
		return -1;
	}
	if (!ddb_ttl_on(&w->src_ttl)) {
		if (p->ttl_skip_expired == 1) {
			worker_fail(w, WORKER_EXIT_CONFIG, "TTLNotEnabled",
			    "ttl.skip_expired is true but source table %s has "
			    "no TTL enabled (%s), so no item is expired: "
			    "remove the setting or enable TTL on the source",
			    t, w->src_ttl.status);
			return -1;
		}
		return 0;
	}
	free(w->ttl_attr);
	w->ttl_attr = xstrdup(w->src_ttl.attr);
	log_info("TTL is enabled on %s (attribute %s): the backfill skips "
		 "items that have expired%s",
	    t, w->ttl_attr,
	    p->ttl_skip_expired == -1 ? " (ttl.skip_expired: false copies "
					"them)" :
					"");
	return 0;
}
