/* shares.c: the capacity shares a worker obeys, and where they come from. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "report.h"
#include "settings.h"
#include "shares.h"
#include "worker.h"
#include "xtime.h"

/* How long a supervised worker waits for its first share before it falls
 * back on the plan's limit (the supervisor sends one at once). */
#define SHARES_WAIT_MS	  10000
#define SHARES_REFRESH_MS (5 * 60 * 1000)

static int64_t
num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ?
	    (int64_t)v->valuedouble :
	    0;
}

int
shares_parse_capacity(const char *body, size_t len, int64_t *rcu, int64_t *wcu,
    int64_t *max_rru, int64_t *max_wru)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *t, *o;

	t = cJSON_GetObjectItemCaseSensitive(j, "Table");
	if (!cJSON_IsObject(t)) {
		cJSON_Delete(j);
		return -1;
	}
	o = cJSON_GetObjectItemCaseSensitive(t, "ProvisionedThroughput");
	*rcu = num(o, "ReadCapacityUnits");
	*wcu = num(o, "WriteCapacityUnits");
	o = cJSON_GetObjectItemCaseSensitive(t, "OnDemandThroughput");
	*max_rru = num(o, "MaxReadRequestUnits");
	*max_wru = num(o, "MaxWriteRequestUnits");
	/* On-demand tables may still show their old provisioned figures. */
	o = cJSON_GetObjectItemCaseSensitive(t, "BillingModeSummary");
	o = cJSON_GetObjectItemCaseSensitive(o, "BillingMode");
	if (cJSON_IsString(o) && strcmp(o->valuestring, "PAY_PER_REQUEST") == 0)
		*rcu = *wcu = 0;
	cJSON_Delete(j);
	return 0;
}

static void
describe_body(struct aws_call *c, const char *table)
{
	buf_reset(&c->req);
	if (buf_adds(&c->req, "{\"TableName\":") == -1 ||
	    buf_json_str(&c->req, table) == -1 || buf_addc(&c->req, '}') == -1)
		fatalx("DescribeTable body");
}

/* The rates from the share and the capacities; -1 (err) when a
 * percentage cannot be resolved. */
static int
resolve(const struct worker_limits *l, const struct proto_limits *s, double *rr,
    double *wr, char *err, size_t errlen)
{
	*rr = gov_resolve(s->read, s->read_pct, l->src_cap, l->src_max);
	*wr = gov_resolve(s->write, s->write_pct, l->dst_cap, l->dst_max);
	if (*rr < 0 || *wr < 0) {
		snprintf(err, errlen,
		    "%s table is on-demand without a maximum "
		    "(OnDemandThroughput): a percentage has nothing to be a "
		    "percentage of; give an absolute number of %s capacity "
		    "units per second",
		    *rr < 0 ? "the input" : "the output",
		    *rr < 0 ? "read" : "write");
		return -1;
	}
	return 0;
}

static void
apply(struct worker *w)
{
	struct worker_limits *l = &w->lim;
	int64_t now = clock_ms();
	double rr, wr;
	char err[512];

	if (resolve(l, &l->share, &rr, &wr, err, sizeof(err)) == -1) {
		report_warning("limit",
		    "capacity limit not applied: %s; the "
		    "limits in force stay",
		    err);
		return;
	}
	if (rr != l->read_rate || l->rb.held) {
		if (rr > 0)
			log_info("Scan limited to %.1f RCU/s", rr);
		gov_bucket_set(&l->rb, rr, now);
	}
	if (wr != l->write_rate || l->wb.held) {
		if (wr > 0)
			log_info("writes limited to %.1f WCU/s", wr);
		gov_bucket_set(&l->wb, wr, now);
	}
	l->read_rate = rr;
	l->write_rate = wr;
	w->prog.read_limit = rr;
	w->prog.write_limit = wr;
}

/* The plan's own limits, as a share of one. */
static void
plan_share(const struct plan_pair *p, struct proto_limits *s)
{
	memset(s, 0, sizeof(*s));
	s->read = p->read_limit.units;
	s->read_pct = p->read_limit.pct;
	s->write = p->write_limit.units;
	s->write_pct = p->write_limit.pct;
}

static int
read_capacity(struct worker *w, int dst)
{
	struct worker_limits *l = &w->lim;
	struct aws_call c;
	const char *table = dst ? w->pair->output.table : w->pair->input.table;
	int64_t rcu, wcu, mr, mw;
	int rc = -1;

	aws_call_init(&c, dst ? &w->dst : &w->src, "DescribeTable");
	describe_body(&c, table);
	c.give_up_ms = (uint64_t)w->preflight_ms;
	if (aws_call_sync(&c) != AWS_OK) {
		if (c.status != AWS_STOPPED)
			worker_fail(w, WORKER_EXIT_CONFIG, c.code,
			    "%s table "
			    "%s: DescribeTable (its capacity, for a "
			    "percentage limit) failed: %s",
			    dst ? "output" : "input", table, c.msg);
		goto done;
	}
	if (shares_parse_capacity(c.body, c.bodylen, &rcu, &wcu, &mr, &mw) ==
	    -1) {
		worker_fail(w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "%s "
		    "table %s: DescribeTable answer without a Table",
		    dst ? "output" : "input", table);
		goto done;
	}
	if (dst) {
		l->dst_cap = wcu;
		l->dst_max = mw;
	} else {
		l->src_cap = rcu;
		l->src_max = mr;
	}
	rc = 0;
done:
	aws_call_cleanup(&c);
	return rc;
}

int
shares_init(struct worker *w)
{
	struct worker_limits *l = &w->lim;
	const struct plan_pair *p = w->pair;
	int64_t now = clock_ms();
	char err[512];
	double rr, wr;

	l->src_cap = l->src_max = l->dst_cap = l->dst_max = 0;
	l->refresh_ms = settings_int(SETTING_CAPACITY_REFRESH_MS);
	l->next_describe_ms = now + l->refresh_ms;
	aws_call_init(&l->desc, &w->src, "DescribeTable");
	plan_share(p, &l->share);
	if (p->read_limit.pct && read_capacity(w, 0) == -1)
		return -1;
	if (p->write_limit.pct && read_capacity(w, 1) == -1)
		return -1;
	if (resolve(l, &l->share, &rr, &wr, err, sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "BadCapacityLimit",
		    "%s %s: "
		    "%s",
		    rr < 0 ? "input.read_capacity" : "output.write_capacity",
		    rr < 0 ? p->input.table : p->output.table, err);
		return -1;
	}
	/* Supervised, the share comes from the supervisor: nothing goes
	 * before it (another pair may already use the table's budget). */
	l->fd = w->supervised ? PROTO_FD : -1;
	proto_reader_init(&l->rd);
	gov_bucket_init(&l->rb, l->fd != -1 && rr > 0, now);
	gov_bucket_init(&l->wb, l->fd != -1 && wr > 0, now);
	l->waiting = l->fd != -1;
	l->wait_until_ms = now + SHARES_WAIT_MS;
	l->ready = 1;
	if (l->fd == -1)
		apply(w);
	shares_poll(w);
	return 0;
}

static void
desc_done_cb(struct aws_call *c, void *arg)
{
	struct worker *w = arg;
	struct worker_limits *l = &w->lim;
	int64_t rcu, wcu, mr, mw;

	l->desc_busy = 0;
	l->next_describe_ms = clock_ms() + l->refresh_ms;
	if (c->status != AWS_OK ||
	    shares_parse_capacity(c->body, c->bodylen, &rcu, &wcu, &mr, &mw) ==
		-1) {
		log_warnx("DescribeTable for the capacity limit failed: %s; "
			  "the limit in force stays",
		    c->msg);
		return;
	}
	if (l->desc_dst) {
		l->dst_cap = wcu;
		l->dst_max = mw;
	} else {
		l->src_cap = rcu;
		l->src_max = mr;
	}
	apply(w);
	/* The other side's percentage is due as well. */
	if (!l->desc_dst && l->share.write_pct > 0)
		l->next_describe_ms = 0;
	l->desc_dst = !l->desc_dst;
}

/* Percentages follow autoscaling: the capacity again every few minutes. */
static void
refresh(struct worker *w)
{
	struct worker_limits *l = &w->lim;
	int dst;

	if (l->desc_busy || clock_ms() < l->next_describe_ms)
		return;
	if (l->share.read_pct <= 0 && l->share.write_pct <= 0) {
		l->next_describe_ms = clock_ms() + l->refresh_ms;
		return;
	}
	dst = l->share.read_pct <= 0 ? 1 :
	    l->share.write_pct <= 0  ? 0 :
				       l->desc_dst;
	l->desc_dst = dst;
	l->desc.cl = dst ? &w->dst : &w->src;
	describe_body(&l->desc,
	    dst ? w->pair->output.table : w->pair->input.table);
	l->desc_busy = 1;
	aws_call_start(&l->desc, desc_done_cb, w);
}

static void
on_message(struct worker *w, const char *line, size_t len)
{
	struct worker_limits *l = &w->lim;
	struct proto_msg m;
	char err[256];

	if (proto_decode(line, len, &m, err, sizeof(err)) == -1) {
		log_warnx("supervisor message refused: %s", err);
		return;
	}
	if (m.type != PROTO_LIMITS) {
		log_warnx("supervisor sent a %s message, which only the "
			  "worker sends; ignored",
		    proto_type_name(m.type));
		return;
	}
	l->share = m.u.limits;
	l->waiting = 0;
	/* A percentage whose capacity was never read (ctl limit) is read
	 * at once. */
	if ((l->share.read_pct > 0 && l->src_cap == 0 && l->src_max == 0) ||
	    (l->share.write_pct > 0 && l->dst_cap == 0 && l->dst_max == 0)) {
		l->desc_dst = l->share.read_pct > 0 && l->src_cap == 0 &&
			l->src_max == 0 ?
		    0 :
		    1;
		l->next_describe_ms = 0;
	}
	apply(w);
}

void
shares_poll(struct worker *w)
{
	struct worker_limits *l = &w->lim;
	char buf[PROTO_READ_MAX];
	const char *line;
	size_t linelen;
	ssize_t n;
	int r;

	if (!l->ready)
		return;
	while (l->fd != -1) {
		n = read(l->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* The supervisor is gone (or this is a pipe, which
			 * a worker reads nothing from): as on EPIPE. */
			if (n == 0)
				worker_stop = 1;
			l->fd = -1;
			break;
		}
		if (proto_reader_feed(&l->rd, buf, (size_t)n) == -1)
			goto bad;
		while ((r = proto_reader_next(&l->rd, &line, &linelen)) == 1)
			on_message(w, line, linelen);
		if (r == -1)
			goto bad;
	}
	if (l->waiting && clock_ms() >= l->wait_until_ms) {
		log_warnx("no capacity share from the supervisor after %d s: "
			  "using the plan's limits",
		    SHARES_WAIT_MS / 1000);
		l->waiting = 0;
		apply(w);
	}
	refresh(w);
	return;
bad:
	log_warnx("supervisor channel: %s; no more limits are read",
	    proto_reader_errstr(&l->rd));
	l->fd = -1;
}

void
shares_free(struct worker *w)
{
	if (w->lim.ready)
		aws_call_cleanup(&w->lim.desc);
	w->lim.ready = 0;
}
