/* budget.c: each table's capacity limit, shared by the pairs using it. */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "log.h"
#include "sup.h"
#include "xtime.h"

void
budget_share(const struct plan_limit *l, unsigned n, double *units, double *pct)
{
	*units = *pct = 0;
	if (n == 0)
		n = 1;
	if (l->pct != 0)
		*pct = (double)l->pct / n;
	else if (l->units != 0)
		*units = (double)l->units / n;
}

/* Running and not asked to stop: it uses (or is about to use) the table. */
static int
uses_table(const struct child *c)
{
	return c->state == CHILD_RUNNING && !c->stop_requested;
}

/* Scanning: a pair whose backfill is over reads no more. */
static int
reads_table(const struct child *c)
{
	return uses_table(c) && c->pair->backfill &&
	    c->backfill != PROTO_PS_COMPLETE && c->backfill != PROTO_PS_SKIPPED;
}

void
budget_table(const struct sup *s, const struct child *c, int write,
    struct plan_limit *limit, unsigned *active)
{
	memset(limit, 0, sizeof(*limit));
	*active = 0;
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct child *o = &s->children[i];
		const struct plan_limit *ol = write ? &o->pair->write_limit :
						      &o->pair->read_limit;

		if (!(write ? plan_side_same_table(&o->pair->output,
				  &c->pair->output) :
			      plan_side_same_table(&o->pair->input,
				  &c->pair->input)))
			continue;
		if (limit->units == 0 && limit->pct == 0)
			*limit = *ol;
		if (write ? uses_table(o) : reads_table(o))
			(*active)++;
	}
}

/* The limits line on the channel; what the socket cannot take now waits
 * in lim_out and goes with the next rebalance or progress message. */
void
budget_flush(struct child *c)
{
	ssize_t n;

	while (c->lim_outlen > 0 && c->fd != -1) {
		n = send(c->fd, c->lim_out, c->lim_outlen, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		memmove(c->lim_out, c->lim_out + n, c->lim_outlen - (size_t)n);
		c->lim_outlen -= (size_t)n;
	}
	if (c->lim_outlen == 0 && c->lim_pending)
		budget_rebalance(c->sup);
}

static void
send_share(struct child *c, const struct proto_limits *l)
{
	struct proto_msg m;
	char why[256];
	int n;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_LIMITS;
	m.u.limits = *l;
	/* The session's rules hold for what we send, too. */
	if (proto_session_message(&c->sess, PROTO_DIR_SUPERVISOR, &m, why,
		sizeof(why)) != PROTO_VERDICT_OK) {
		log_warnx("%s: limits not sent: %s", c->pair->name, why);
		return;
	}
	/* A line is half out: this one goes once it is (budget_flush). */
	if (c->lim_outlen > 0) {
		c->lim_pending = 1;
		return;
	}
	c->lim_pending = 0;
	n = proto_encode(&m, c->lim_out, sizeof(c->lim_out));
	if (n < 0)
		fatalx("budget: cannot encode limits");
	c->lim_outlen = (size_t)n;
	c->lim_sent = *l;
	c->lim_valid = 1;
	budget_flush(c);
}

void
budget_rebalance(struct sup *s)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *c = &s->children[i];
		struct plan_limit rl, wl;
		struct proto_limits l;
		unsigned nr, nw;

		/* Only a worker that said hello can be told. */
		if (c->state != CHILD_RUNNING || c->fd == -1 ||
		    !c->sess.hello || c->sess.done)
			continue;
		budget_table(s, c, 0, &rl, &nr);
		budget_table(s, c, 1, &wl, &nw);
		memset(&l, 0, sizeof(l));
		budget_share(&rl, nr, &l.read, &l.read_pct);
		budget_share(&wl, nw, &l.write, &l.write_pct);
		if (c->lim_valid && memcmp(&l, &c->lim_sent, sizeof(l)) == 0) {
			budget_flush(c);
			continue;
		}
		if (c->lim_valid || l.read > 0 || l.read_pct > 0 ||
		    l.write > 0 || l.write_pct > 0)
			log_debug("%s: capacity share: read %g units/s %g%%, "
				  "write %g units/s %g%% (%u and %u pairs)",
			    c->pair->name, l.read, l.read_pct, l.write,
			    l.write_pct, nr, nw);
		send_share(c, &l);
	}
}

int
budget_set(struct sup *s, struct child *c, const char *rd, const char *wr,
    char *err, size_t errlen)
{
	struct plan_limit rl, wl;
	char e[256];

	if (rd == NULL && wr == NULL) {
		snprintf(err, errlen,
		    "limit needs --read or --write (or both)");
		return -1;
	}
	if (rd != NULL && plan_limit_parse(rd, &rl, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "read: %s", e);
		return -1;
	}
	if (wr != NULL && plan_limit_parse(wr, &wl, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "write: %s", e);
		return -1;
	}
	/* The limit is the table's: every pair on it takes the new value. */
	for (size_t i = 0; i < s->nchildren; i++) {
		struct child *o = &s->children[i];

		if (rd != NULL &&
		    plan_side_same_table(&o->pair->input, &c->pair->input))
			o->pair->read_limit = rl;
		if (wr != NULL &&
		    plan_side_same_table(&o->pair->output, &c->pair->output))
			o->pair->write_limit = wl;
	}
	budget_rebalance(s);
	return 0;
}
