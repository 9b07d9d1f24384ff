/* test_lease.c: the fleet's leases: expiry, balancing, lineage, writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "lease.h"

/* ------------------------------------------------------------------------
 * An in-memory coordination table. It applies exactly the conditions of
 * lease_op_body (test_lease_bodies checks the two agree):
 *   CLAIM       counter == seen
 *   RENEW, CHECKPOINT, RELEASE
 *               owner == me && tenure == tenure
 *   HANDOFF     owner == owner && tenure == tenure && next absent
 * and every write but HANDOFF bumps the counter.
 */

static int
streq0(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* 1 applied, 0 condition failed. *next_out: RENEW's ALL_NEW "next". */
static int
sim_apply(struct lease_set *tab, const struct lease_op *op,
    const char **next_out)
{
	struct lease *l = lease_set_find(tab, op->pair, op->unit);

	assert_non_null(l);
	switch (op->kind) {
	case LEASE_OP_CLAIM:
		if (l->counter != op->seen)
			return 0;
		lease_set_str(&l->owner, op->me);
		l->counter = l->tenure = op->seen + 1;
		lease_set_str(&l->next, NULL);
		return 1;
	case LEASE_OP_RENEW:
	case LEASE_OP_CHECKPOINT:
	case LEASE_OP_RELEASE:
		if (!streq0(l->owner, op->me) || l->tenure != op->tenure)
			return 0;
		l->counter++;
		if (op->kind == LEASE_OP_RENEW) {
			if (op->decline)
				lease_set_str(&l->next, NULL);
			if (next_out != NULL)
				*next_out = l->next;
			return 1;
		}
		if (op->kind == LEASE_OP_CHECKPOINT && !op->done)
			return 1;
		if (op->kind == LEASE_OP_CHECKPOINT)
			l->done = 1;
		if (op->kind == LEASE_OP_RELEASE && op->next != NULL) {
			lease_set_str(&l->owner, op->next);
			l->tenure = l->counter;
		} else {
			lease_set_str(&l->owner, NULL);
			l->tenure = 0;
		}
		lease_set_str(&l->next, NULL);
		return 1;
	case LEASE_OP_HANDOFF:
		if (!streq0(l->owner, op->owner) || l->tenure != op->tenure ||
		    l->next != NULL)
			return 0;
		lease_set_str(&l->next, op->me);
		return 1;
	}
	return 0;
}

static void
set_copy(struct lease_set *dst, const struct lease_set *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++) {
		const struct lease *s = &src->v[i];
		struct lease *d = lease_set_add(dst, s->pair, s->unit, s->kind);

		lease_set_str(&d->owner, s->owner);
		lease_set_str(&d->next, s->next);
		lease_set_str(&d->parent, s->parent);
		d->counter = s->counter;
		d->tenure = s->tenure;
		d->done = s->done;
		d->total_segments = s->total_segments;
		d->backfill = s->backfill;
		d->stop = s->stop;
	}
}

/* A table of pairs "p0".. with nseg segments each (backfill only). */
static void
table_make(struct lease_set *tab, unsigned npairs, const unsigned *nseg)
{
	char pair[16], unit[32];

	memset(tab, 0, sizeof(*tab));
	for (unsigned p = 0; p < npairs; p++) {
		struct lease *pi;

		snprintf(pair, sizeof(pair), "p%u", p);
		pi = lease_set_add(tab, pair, LEASE_PAIR_UNIT, LEASE_PAIR);
		pi->total_segments = nseg[p];
		for (unsigned s = 0; s < nseg[p]; s++) {
			lease_unit_segment(unit, sizeof(unit), s);
			(void)lease_set_add(tab, pair, unit, LEASE_SEGMENT);
		}
	}
	lease_set_sort(tab);
}

/* ------------------------------------------------------------------------
 * Expiry by observation
 */

static void
test_lease_expiry_skewed_clocks(void **state)
{
	struct lease_set tab;
	struct lease_view a = { 0 }, b = { 0 };
	struct lease *l;
	const unsigned one = 1;
	/* Two hosts whose clocks are a day and a half apart. */
	const int64_t ta = 1000, tb = 129600000 + 777;
	const int64_t L = LEASE_DURATION_MS;

	(void)state;
	table_make(&tab, 1, &one);
	l = lease_set_find(&tab, "p0", "segment#0");
	lease_set_str(&l->owner, "host-x");
	l->counter = l->tenure = 5;

	/* Not seen before: not expired, whatever the clocks say. */
	assert_false(lease_expired(&a, l, ta, L));
	lease_observe(&a, &tab, ta);
	lease_observe(&b, &tab, tb + 3000); /* b read it later */
	assert_false(lease_expired(&a, l, ta + L - 1, L));
	assert_true(lease_expired(&a, l, ta + L, L));
	assert_false(lease_expired(&b, l, tb + 3000 + L - 1, L));
	assert_true(lease_expired(&b, l, tb + 3000 + L, L));

	/* Re-reading the same counter keeps the first sighting. */
	lease_observe(&a, &tab, ta + 30000);
	assert_true(lease_expired(&a, l, ta + L, L));

	/* The owner renews: the counter moves, both clocks start over. */
	l->counter = 6;
	lease_observe(&a, &tab, ta + L + 10);
	lease_observe(&b, &tab, tb + L + 5000);
	assert_false(lease_expired(&a, l, ta + L + 10 + L - 1, L));
	assert_true(lease_expired(&a, l, ta + L + 10 + L, L));
	assert_false(lease_expired(&b, l, tb + L + 5000 + L - 1, L));

	/* A snapshot older than the view (a counter this host has not
	 * observed): not expired either. */
	l->counter = 7;
	assert_false(lease_expired(&a, l, ta + 10 * L, L));

	/* Free and done leases never expire. */
	l->counter = 6;
	l->done = 1;
	assert_false(lease_expired(&a, l, ta + 10 * L, L));
	l->done = 0;
	lease_set_str(&l->owner, NULL);
	assert_false(lease_expired(&a, l, ta + 10 * L, L));

	/* A lease gone from the table is forgotten. */
	lease_set_clear(&tab);
	memset(&tab, 0, sizeof(tab));
	lease_observe(&a, &tab, ta);
	assert_int_equal(a.n, 0);

	/* The owner's side: writes stop margin before the lease ends. */
	assert_true(lease_may_write(100 + L - LEASE_MARGIN_MS - 1, 100, L,
	    LEASE_MARGIN_MS));
	assert_false(lease_may_write(100 + L - LEASE_MARGIN_MS, 100, L,
	    LEASE_MARGIN_MS));
	lease_view_clear(&a);
	lease_view_clear(&b);
}

/* ------------------------------------------------------------------------
 * A host in the simulations
 */

struct held {
	char pair[16];
	char unit[32];
	uint64_t tenure;
	int64_t ok_sent;  /* local: send time of last success */
	int64_t renew_at; /* local: next renewal */
	int give;	  /* release when idle: to next, or free ("") */
	int decline;	  /* the next renewal removes a request */
	char next[32];
};

struct host {
	char id[32];
	int gen;
	int alive;
	int64_t paused_until;	 /* real ms; 0: running */
	int64_t throttled_until; /* real ms: renewals get no answer */
	int64_t offset;		 /* local = real * rate + offset */
	double rate;
	struct lease_view view;
	struct held held[64];
	size_t nheld;
};

static int64_t
host_now(const struct host *h, int64_t real)
{
	return (int64_t)((double)real * h->rate) + h->offset;
}

static struct held *
host_held(struct host *h, const char *pair, const char *unit)
{
	for (size_t i = 0; i < h->nheld; i++)
		if (strcmp(h->held[i].pair, pair) == 0 &&
		    strcmp(h->held[i].unit, unit) == 0)
			return &h->held[i];
	return NULL;
}

static void
host_drop(struct host *h, struct held *x)
{
	size_t i = (size_t)(x - h->held);

	memmove(&h->held[i], &h->held[i + 1],
	    (h->nheld - i - 1) * sizeof(h->held[0]));
	h->nheld--;
}

/* A snapshot as host h sees it: held marks what it runs, same tenure. */
static void
host_snapshot(struct host *h, const struct lease_set *tab,
    struct lease_set *snap)
{
	set_copy(snap, tab);
	for (size_t i = 0; i < snap->n; i++) {
		struct lease *l = &snap->v[i];
		struct held *x = host_held(h, l->pair, l->unit);

		l->held = x != NULL && streq0(l->owner, h->id) &&
		    l->tenure == x->tenure;
	}
}

static uint64_t renew_lost;

/* What a round decided about the units this host holds. */
static void
host_mark(struct host *h, const struct lease_set *snap,
    const struct lease_decision *d)
{
	for (size_t i = 0; i < d->nrelease; i++) {
		const struct lease *l = &snap->v[d->release[i]];
		struct held *x = host_held(h, l->pair, l->unit);

		if (x == NULL)
			continue;
		x->give = 1;
		snprintf(x->next, sizeof(x->next), "%s",
		    l->next != NULL ? l->next : "");
	}
	for (size_t i = 0; i < d->ndecline; i++) {
		const struct lease *l = &snap->v[d->decline[i]];
		struct held *x = host_held(h, l->pair, l->unit);

		if (x != NULL)
			x->decline = 1;
	}
}

/* A destination write on its way: it lands within the write timeout. */
struct write {
	char pair[16];
	char unit[32];
	const struct host *host;
	uint64_t tenure;
	int64_t lands; /* real ms */
};

/* Whether host h still has a write of unit on its way. */
static int
host_busy(const struct host *h, const struct write *wr, size_t nw,
    const char *pair, const char *unit)
{
	for (size_t w = 0; w < nw; w++)
		if (wr[w].host == h && strcmp(wr[w].unit, unit) == 0 &&
		    strcmp(wr[w].pair, pair) == 0)
			return 1;
	return 0;
}

/*
 * One round of host h on a snapshot it read (read; NULL: the table now)
 * whose answer came at real time read_real, acting at real time real:
 * observe, decide, claim, ask. An orphan is claimed only once this host's
 * old writes for it are in. Returns the number of claims that succeeded.
 */
static unsigned
host_round(struct host *h, struct lease_set *tab, const struct lease_set *read,
    int64_t read_real, int64_t real, struct lease_decision *d,
    const struct write *wr, size_t nw, uint64_t *takeovers)
{
	struct lease_set snap;
	struct lease_params pp;
	struct lease_op op;
	unsigned ok = 0;

	host_snapshot(h, read != NULL ? read : tab, &snap);
	lease_observe(&h->view, &snap, host_now(h, read_real));
	memset(&pp, 0, sizeof(pp));
	pp.me = h->id;
	pp.now_ms = host_now(h, real);
	pp.lease_ms = LEASE_DURATION_MS;
	pp.max_take = LEASE_MAX_TAKE;
	lease_decide(&snap, &h->view, &pp, d);
	host_mark(h, &snap, d);
	for (size_t i = 0; i < d->nclaims; i++) {
		const struct lease *l = &snap.v[d->claims[i].idx];
		struct held *x;

		if (h->nheld == sizeof(h->held) / sizeof(h->held[0]))
			break;
		if (host_busy(h, wr, nw, l->pair, l->unit))
			continue;
		memset(&op, 0, sizeof(op));
		op.kind = LEASE_OP_CLAIM;
		op.pair = l->pair;
		op.unit = l->unit;
		op.me = h->id;
		op.seen = d->claims[i].seen;
		if (!sim_apply(tab, &op, NULL))
			continue;
		if (d->claims[i].why == LEASE_WHY_EXPIRED && takeovers != NULL)
			(*takeovers)++;
		if ((x = host_held(h, l->pair, l->unit)) == NULL)
			x = &h->held[h->nheld++];
		memset(x, 0, sizeof(*x));
		snprintf(x->pair, sizeof(x->pair), "%s", l->pair);
		snprintf(x->unit, sizeof(x->unit), "%s", l->unit);
		x->tenure = op.seen + 1;
		/* Sent now: a success counts from its send. */
		x->ok_sent = host_now(h, real);
		x->renew_at = x->ok_sent + LEASE_RENEW_MS;
		ok++;
	}
	if (d->handoff != SIZE_MAX) {
		const struct lease *l = &snap.v[d->handoff];

		memset(&op, 0, sizeof(op));
		op.kind = LEASE_OP_HANDOFF;
		op.pair = l->pair;
		op.unit = l->unit;
		op.me = h->id;
		op.owner = l->owner;
		op.tenure = l->tenure;
		(void)sim_apply(tab, &op, NULL);
	}
	lease_set_clear(&snap);
	return ok;
}

/* Renew whatever is due; hand over what was decided once its writes are
 * in. */
static void
host_renew(struct host *h, struct lease_set *tab, int64_t real,
    const struct write *wr, size_t nw)
{
	struct lease_op op;
	const char *next;
	int64_t now = host_now(h, real);

	for (size_t i = 0; i < h->nheld;) {
		struct held *x = &h->held[i];

		memset(&op, 0, sizeof(op));
		op.pair = x->pair;
		op.unit = x->unit;
		op.me = h->id;
		op.tenure = x->tenure;
		if (x->give && host_busy(h, wr, nw, x->pair, x->unit)) {
			i++;
			continue;
		}
		if (x->give) {
			op.kind = LEASE_OP_RELEASE;
			op.next = x->next[0] != '\0' ? x->next : NULL;
			(void)sim_apply(tab, &op, NULL);
			host_drop(h, x);
			continue;
		}
		if (now < x->renew_at) {
			i++;
			continue;
		}
		op.kind = LEASE_OP_RENEW;
		op.decline = x->decline;
		next = NULL;
		if (!sim_apply(tab, &op, &next)) {
			/* Lost: the unit stops at once. */
			renew_lost++;
			host_drop(h, x);
			continue;
		}
		x->ok_sent = now;
		x->renew_at = now + LEASE_RENEW_MS;
		x->decline = 0;
		i++;
	}
}

/* ------------------------------------------------------------------------
 * Balancing
 */

/* Units held per host, by the table. */
static void
loads(const struct lease_set *tab, struct host *hosts, size_t nh, unsigned *out)
{
	for (size_t k = 0; k < nh; k++) {
		out[k] = 0;
		for (size_t i = 0; i < tab->n; i++)
			if (tab->v[i].kind == LEASE_SEGMENT &&
			    streq0(tab->v[i].owner, hosts[k].id))
				out[k]++;
	}
}

static void
balance_case(size_t nh, unsigned npairs, const unsigned *nseg)
{
	struct lease_set tab;
	struct host hosts[5];
	struct lease_decision d = { 0 };
	unsigned ld[5], total = 0, lo, hi, stable = 0;
	int64_t real = 0;
	int round;

	table_make(&tab, npairs, nseg);
	for (unsigned p = 0; p < npairs; p++)
		total += nseg[p];
	memset(hosts, 0, sizeof(hosts));
	for (size_t k = 0; k < nh; k++) {
		snprintf(hosts[k].id, sizeof(hosts[k].id), "host-%zu", k);
		hosts[k].alive = 1;
		hosts[k].rate = 1.0;
		hosts[k].offset = (int64_t)k * 86400000 - 5000;
	}
	/* Rounds of every host in turn, one renewal interval apart: the
	 * hosts start together and see each other through their leases. */
	for (round = 0; round < 400 && stable < 20; round++) {
		real += LEASE_RENEW_MS;
		for (size_t k = 0; k < nh; k++) {
			host_renew(&hosts[k], &tab, real, NULL, 0);
			(void)host_round(&hosts[k], &tab, NULL, real, real, &d,
			    NULL, 0, NULL);
			if (getenv("LEASE_DEBUG") != NULL)
				print_message(
				    "r%d %s: hosts %u units %u "
				    "target %u mine %u claims %zu handoff "
				    "%zu\n",
				    round, hosts[k].id, d.hosts, d.units,
				    d.target, d.mine, d.nclaims, d.handoff);
		}
		loads(&tab, hosts, nh, ld);
		lo = UINT32_MAX;
		hi = 0;
		unsigned sum = 0;
		for (size_t k = 0; k < nh; k++) {
			lo = ld[k] < lo ? ld[k] : lo;
			hi = ld[k] > hi ? ld[k] : hi;
			sum += ld[k];
		}
		stable = sum == total && hi - lo <= 1 ? stable + 1 : 0;
	}
	if (stable < 20) {
		for (size_t k = 0; k < nh; k++)
			print_message("host %zu: %u\n", k, ld[k]);
		fail_msg("%zu hosts, %u units: no balance after %d rounds", nh,
		    total, round);
	}
	/* Balanced: each host holds floor or ceil of units / hosts. */
	for (size_t k = 0; k < nh; k++) {
		assert_true(ld[k] >= total / nh);
		assert_true(ld[k] <= (total + nh - 1) / nh);
	}
	/* And it stays put: no more handoffs once balanced. */
	for (round = 0; round < 10; round++) {
		real += LEASE_RENEW_MS;
		for (size_t k = 0; k < nh; k++) {
			host_renew(&hosts[k], &tab, real, NULL, 0);
			assert_int_equal(host_round(&hosts[k], &tab, NULL, real,
					     real, &d, NULL, 0, NULL),
			    0);
			assert_int_equal(d.handoff, SIZE_MAX);
		}
	}
	lease_decision_clear(&d);
	for (size_t k = 0; k < nh; k++)
		lease_view_clear(&hosts[k].view);
	lease_set_clear(&tab);
}

static void
test_lease_balance_hosts(void **state)
{
	static const unsigned uneven[] = { 7, 1, 4 };
	static const unsigned one[] = { 1 };
	static const unsigned many[] = { 13, 2, 2, 9 };

	(void)state;
	for (size_t nh = 1; nh <= 5; nh++) {
		balance_case(nh, 3, uneven); /* 12 units */
		balance_case(nh, 4, many);   /* 26 units */
	}
	/* Fewer units than hosts: one each, the rest idle. */
	balance_case(3, 1, one);
}

/* The decision's counts and the rule of the most loaded host. */
static void
test_lease_decide_rules(void **state)
{
	struct lease_set tab;
	struct lease_view v = { 0 };
	struct lease_params pp = { "c", 0, LEASE_DURATION_MS, LEASE_MAX_TAKE };
	struct lease_decision d = { 0 };
	const unsigned n8[] = { 8 };
	const char *own[8] = { "a", "a", "a", "b", "b", "b", "c", "c" };
	struct lease *l;

	(void)state;
	table_make(&tab, 1, n8);
	for (unsigned s = 0; s < 8; s++) {
		char unit[32];

		lease_unit_segment(unit, sizeof(unit), s);
		l = lease_set_find(&tab, "p0", unit);
		lease_set_str(&l->owner, own[s]);
		l->counter = l->tenure = 3;
		l->held = strcmp(own[s], "c") == 0;
	}
	lease_observe(&v, &tab, 0);
	/* 8 units, 3 hosts: target 3; c holds 2 and needs 1; a and b hold
	 * 3, not more than the target: nothing moves (3,3,2 is balanced). */
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.hosts, 3);
	assert_int_equal(d.units, 8);
	assert_int_equal(d.target, 3);
	assert_int_equal(d.mine, 2);
	assert_int_equal(d.nclaims, 0);
	assert_int_equal(d.handoff, SIZE_MAX);

	/* c drops to 1 unit (one freed and done): target 3 for 7 units,
	 * c needs 2, a holds 3: ask a (the smaller id among the most
	 * loaded) for one of its units. */
	l = lease_set_find(&tab, "p0", "segment#7");
	lease_set_str(&l->owner, NULL);
	l->done = 1;
	l->held = 0;
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.target, 3);
	assert_int_equal(d.mine, 1);
	assert_int_not_equal(d.handoff, SIZE_MAX);
	assert_string_equal(tab.v[d.handoff].owner, "a");

	/* A free unit is taken before anyone is asked. */
	l = lease_set_find(&tab, "p0", "segment#0");
	lease_set_str(&l->owner, NULL);
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.nclaims, 1);
	assert_int_equal(d.claims[0].why, LEASE_WHY_FREE);
	assert_ptr_equal(&tab.v[d.claims[0].idx], l);
	assert_int_equal(d.handoff, SIZE_MAX);

	/* Once their counters have stood still for a lease duration on
	 * this host's clock, a's and b's leases are expired: they are no
	 * hosts any more, and c, alone, takes all six. */
	lease_set_str(&l->owner, "a");
	pp.now_ms = LEASE_DURATION_MS - 1;
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.nclaims, 0);
	assert_int_equal(d.hosts, 3);
	pp.now_ms = LEASE_DURATION_MS;
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.hosts, 1);
	assert_int_equal(d.target, 7);
	assert_int_equal(d.nclaims, 6);
	for (size_t i = 0; i < d.nclaims; i++)
		assert_int_equal(d.claims[i].why, LEASE_WHY_EXPIRED);

	/* Owned by this host's id but not run by it: claimed afresh. */
	pp.now_ms = 0;
	lease_set_str(&l->owner, "c");
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.nclaims, 1);
	assert_int_equal(d.claims[0].why, LEASE_WHY_ORPHAN);
	assert_int_equal(d.claims[0].seen, 3);

	/* max_take bounds one round. */
	for (size_t i = 0; i < tab.n; i++)
		if (tab.v[i].kind == LEASE_SEGMENT) {
			lease_set_str(&tab.v[i].owner, NULL);
			tab.v[i].held = 0;
			tab.v[i].done = 0;
		}
	pp.max_take = 2;
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.target, 8);
	assert_int_equal(d.nclaims, 2);

	/* An idle host that heartbeats counts as a host. */
	l = lease_set_add(&tab, LEASE_HOSTS, "idle", LEASE_HOST);
	lease_set_str(&l->owner, "idle");
	lease_set_sort(&tab);
	lease_observe(&v, &tab, 0);
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.hosts, 2);
	assert_int_equal(d.target, 4);
	/* Until its heartbeat stops. */
	pp.now_ms = LEASE_DURATION_MS;
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.hosts, 1);

	lease_decision_clear(&d);
	lease_view_clear(&v);
	lease_set_clear(&tab);
}

/* ------------------------------------------------------------------------
 * Lineage and the stop flag
 */

static void
test_lease_lineage(void **state)
{
	struct lease_set tab;
	struct lease *seg, *parent, *child, *orphan, *pi;
	struct lease_view v = { 0 };
	struct lease_params pp = { "h", 0, LEASE_DURATION_MS, LEASE_MAX_TAKE };
	struct lease_decision d = { 0 };
	const unsigned one = 1;

	(void)state;
	table_make(&tab, 1, &one);
	parent = lease_set_add(&tab, "p0", "shard#A", LEASE_SHARD);
	child = lease_set_add(&tab, "p0", "shard#B", LEASE_SHARD);
	lease_set_str(&child->parent, "shard#A");
	orphan = lease_set_add(&tab, "p0", "shard#C", LEASE_SHARD);
	lease_set_str(&orphan->parent, "shard#gone");
	lease_set_sort(&tab);
	seg = lease_set_find(&tab, "p0", "segment#0");
	parent = lease_set_find(&tab, "p0", "shard#A");
	child = lease_set_find(&tab, "p0", "shard#B");
	orphan = lease_set_find(&tab, "p0", "shard#C");
	pi = lease_set_find(&tab, "p0", LEASE_PAIR_UNIT);

	/* The backfill first: no shard before every segment is done. */
	assert_true(lease_workable(&tab, seg));
	assert_false(lease_backfill_done(&tab, "p0"));
	assert_false(lease_workable(&tab, parent));
	assert_false(lease_workable(&tab, orphan));
	/* A segment count larger than the items made so far: not done. */
	seg->done = 1;
	pi->total_segments = 2;
	assert_false(lease_backfill_done(&tab, "p0"));
	assert_false(lease_workable(&tab, parent));
	pi->total_segments = 1;
	assert_true(lease_backfill_done(&tab, "p0"));
	assert_false(lease_workable(&tab, seg));

	/* Then parents; a child once its parent's lease says done; a
	 * parent no longer in the table has aged out. */
	assert_true(lease_workable(&tab, parent));
	assert_false(lease_workable(&tab, child));
	assert_true(lease_workable(&tab, orphan));
	lease_observe(&v, &tab, 0);
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.units, 2);
	for (size_t i = 0; i < d.nclaims; i++)
		assert_ptr_not_equal(&tab.v[d.claims[i].idx], child);
	/* Owned and applied is not enough: done is what counts. */
	lease_set_str(&parent->owner, "other");
	assert_false(lease_workable(&tab, child));
	parent->done = 1;
	lease_set_str(&parent->owner, NULL);
	assert_true(lease_workable(&tab, child));

	/* A pair without a backfill phase streams at once. */
	seg->done = 0;
	pi->backfill = 0;
	assert_true(lease_backfill_done(&tab, "p0"));
	assert_true(lease_workable(&tab, child));

	/* No pair item: nothing of the pair is workable. */
	assert_false(lease_backfill_done(&tab, "nopair"));
	lease_decision_clear(&d);
	lease_view_clear(&v);
	lease_set_clear(&tab);
}

static void
test_lease_stop_flag(void **state)
{
	struct lease_set tab;
	struct lease_view v = { 0 };
	struct lease_params pp = { "h", 0, LEASE_DURATION_MS, LEASE_MAX_TAKE };
	struct lease_decision d = { 0 };
	const unsigned segs[] = { 2, 2 };
	struct lease *mine, *pi;

	(void)state;
	table_make(&tab, 2, segs);
	mine = lease_set_find(&tab, "p0", "segment#0");
	lease_set_str(&mine->owner, "h");
	mine->counter = mine->tenure = 1;
	mine->held = 1;
	pi = lease_set_find(&tab, "p0", LEASE_PAIR_UNIT);
	lease_observe(&v, &tab, 0);
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.units, 4);
	assert_int_equal(d.nrelease, 0);

	/* Stopped across the fleet: p0's units are nobody's work, the
	 * held one is given back, p1 goes on. */
	pi->stop = 1;
	lease_decide(&tab, &v, &pp, &d);
	assert_int_equal(d.units, 2);
	assert_int_equal(d.nrelease, 1);
	assert_ptr_equal(&tab.v[d.release[0]], mine);
	for (size_t i = 0; i < d.nclaims; i++)
		assert_string_equal(tab.v[d.claims[i].idx].pair, "p1");
	assert_false(
	    lease_workable(&tab, lease_set_find(&tab, "p0", "segment#1")));
	lease_decision_clear(&d);
	lease_view_clear(&v);
	lease_set_clear(&tab);
}

/* ------------------------------------------------------------------------
 * Never two owners: hosts that crash, pause, read stale snapshots
 */

static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

static void
test_lease_never_two_owners(void **state)
{
	enum {
		NH = 4,
		MAXW = 4096
	};
	struct lease_set tab;
	struct host hosts[NH];
	struct write *wr = calloc(MAXW, sizeof(*wr));
	struct lease_decision d = { 0 };
	struct lease_set snap[NH];
	int64_t snap_at[NH];
	const unsigned segs[] = { 6, 3, 5 };
	size_t nw = 0;
	int64_t real = 0;
	uint64_t ckpts = 0, refused = 0, takeovers = 0, kills = 0, pauses = 0,
		 throttles = 0;

	(void)state;
	assert_non_null(wr);
	rng_state = 20;
	table_make(&tab, 3, segs);
	memset(hosts, 0, sizeof(hosts));
	memset(snap, 0, sizeof(snap));
	for (int k = 0; k < NH; k++) {
		snprintf(hosts[k].id, sizeof(hosts[k].id), "h%d.0", k);
		hosts[k].alive = 1;
		/* Clocks hours apart and 1% fast or slow. */
		hosts[k].offset = (int64_t)rnd(1000000000) - 500000000;
		hosts[k].rate = 0.99 + (double)rnd(201) / 10000.0;
		snap_at[k] = -1;
	}

	for (int step = 0; step < 400000; step++) {
		int k = (int)rnd(NH);
		struct host *h = &hosts[k];
		uint32_t what = rnd(1000);

		real += rnd(300);
		/* Writes land within the write timeout of being sent. */
		for (size_t i = 0; i < nw;)
			if (wr[i].lands <= real)
				wr[i] = wr[--nw];
			else
				i++;
		if (!h->alive) {
			if (rnd(200) == 0) { /* restarted: a new id */
				lease_view_clear(&h->view);
				h->nheld = 0;
				snprintf(h->id, sizeof(h->id), "h%d.%d", k,
				    ++h->gen);
				h->alive = 1;
			}
			continue;
		}
		if (h->paused_until > real)
			continue;
		if (what < 2) { /* kill -9 */
			h->alive = 0;
			lease_set_clear(&snap[k]);
			snap_at[k] = -1;
			kills++;
			continue;
		}
		if (what < 5) { /* SIGSTOP, then SIGCONT */
			h->paused_until = real + 1000 +
			    rnd(3 * LEASE_DURATION_MS);
			pauses++;
			continue;
		}
		if (what < 8) { /* the coordination table throttles */
			h->throttled_until = real + rnd(2 * LEASE_DURATION_MS);
			throttles++;
			continue;
		}
		if (what < 100) { /* a Scan of the table comes back */
			lease_set_clear(&snap[k]);
			set_copy(&snap[k], &tab);
			snap_at[k] = real;
			continue;
		}
		if (what < 200 && snap_at[k] >= 0) {
			/* Decide on that snapshot, maybe long after it came
			 * back; the claims meet the table as it is now. */
			(void)host_round(h, &tab, &snap[k], snap_at[k], real,
			    &d, wr, nw, &takeovers);
			lease_set_clear(&snap[k]);
			snap_at[k] = -1;
			continue;
		}
		if (what < 450) {
			/* Renew what is due; a handoff waits for the unit's
			 * writes to be in. Throttled: nothing is renewed,
			 * the leases are still held. */
			if (h->throttled_until <= real)
				host_renew(h, &tab, real, wr, nw);
			continue;
		}
		/* A destination write, then maybe a checkpoint, for a unit
		 * this host holds and may still write for. */
		if (h->nheld > 0) {
			struct held *x = &h->held[rnd((uint32_t)h->nheld)];
			int64_t now = host_now(h, real);
			struct lease_op op;

			if (x->give ||
			    !lease_may_write(now, x->ok_sent, LEASE_DURATION_MS,
				LEASE_MARGIN_MS))
				continue;
			/* THE property: no write of another tenure of this
			 * unit is still on its way. */
			for (size_t w = 0; w < nw; w++)
				if (strcmp(wr[w].pair, x->pair) == 0 &&
				    strcmp(wr[w].unit, x->unit) == 0 &&
				    wr[w].tenure != x->tenure)
					fail_msg(
					    "step %d: %s %s written by "
					    "tenure %llu while tenure %llu's "
					    "write is in flight",
					    step, x->pair, x->unit,
					    (unsigned long long)x->tenure,
					    (unsigned long long)wr[w].tenure);
			/* And no other host thinks it may write it. */
			for (int o = 0; o < NH; o++) {
				struct held *y;

				if (o == k || !hosts[o].alive ||
				    (y = host_held(&hosts[o], x->pair,
					 x->unit)) == NULL)
					continue;
				if (!y->give &&
				    lease_may_write(host_now(&hosts[o], real),
					y->ok_sent, LEASE_DURATION_MS,
					LEASE_MARGIN_MS))
					fail_msg("step %d: %s and %s both may "
						 "write %s %s",
					    step, h->id, hosts[o].id, x->pair,
					    x->unit);
			}
			if (nw < MAXW) {
				snprintf(wr[nw].pair, sizeof(wr[nw].pair), "%s",
				    x->pair);
				snprintf(wr[nw].unit, sizeof(wr[nw].unit), "%s",
				    x->unit);
				wr[nw].host = h;
				wr[nw].tenure = x->tenure;
				/* Often as late as the timeout allows. */
				wr[nw].lands = real +
				    (rnd(2) != 0 ? LEASE_WRITE_TIMEOUT_MS - 1 :
						   rnd(LEASE_WRITE_TIMEOUT_MS));
				nw++;
			}
			if (rnd(4) != 0)
				continue;
			memset(&op, 0, sizeof(op));
			op.kind = LEASE_OP_CHECKPOINT;
			op.pair = x->pair;
			op.unit = x->unit;
			op.me = h->id;
			op.tenure = x->tenure;
			op.items = 1;
			op.done = rnd(3000) == 0;
			if (sim_apply(&tab, &op, NULL)) {
				struct lease *l = lease_set_find(&tab, x->pair,
				    x->unit);

				ckpts++;
				/* Applied: it was the table's owner. */
				assert_true(l->done ||
				    (streq0(l->owner, h->id) &&
					l->tenure == x->tenure));
				x->ok_sent = now;
				if (op.done)
					host_drop(h, x);
			} else {
				/* Lost while it wrote: stop at once. */
				refused++;
				host_drop(h, x);
			}
		}
	}
	print_message(
	    "checkpoints %llu, refused %llu, renewals lost %llu, "
	    "takeovers %llu, kills %llu, pauses %llu, throttles %llu\n",
	    (unsigned long long)ckpts, (unsigned long long)refused,
	    (unsigned long long)renew_lost, (unsigned long long)takeovers,
	    (unsigned long long)kills, (unsigned long long)pauses,
	    (unsigned long long)throttles);
	/* The run exercised what it is about. */
	assert_true(ckpts > 10000);
	assert_true(renew_lost > 10);
	assert_true(takeovers > 10);
	for (int k = 0; k < NH; k++) {
		lease_view_clear(&hosts[k].view);
		lease_set_clear(&snap[k]);
	}
	lease_decision_clear(&d);
	lease_set_clear(&tab);
	free(wr);
}

/* ------------------------------------------------------------------------
 * Request bodies
 */

/* The body parses, and holds the member as a string equal to want. */
static void
expect_member(const char *body, const char *member, const char *want)
{
	const char *p = strstr(body, member);
	char quoted[512];

	assert_non_null(p);
	snprintf(quoted, sizeof(quoted), "\"%s\":\"%s\"", member, want);
	if (strstr(body, quoted) == NULL)
		fail_msg("no %s in %s", quoted, body);
}

/* Every placeholder listed is used by the expressions, and the other
 * way round: DynamoDB refuses both an unused and an undefined one. */
static void
expect_placeholders_used(const char *body)
{
	const char *upd = strstr(body, "\"UpdateExpression\":\"");
	const char *cond = strstr(body, "\"ConditionExpression\":\"");
	const char *names = strstr(body, "\"ExpressionAttributeNames\":{");
	const char *vals = strstr(body, "\"ExpressionAttributeValues\":{");
	char exprs[1024], tok[32];
	size_t n;

	assert_non_null(cond);
	exprs[0] = '\0';
	if (upd != NULL)
		strncat(exprs, upd + 20, strcspn(upd + 20, "\""));
	strcat(exprs, " ");
	strncat(exprs, cond + 23, strcspn(cond + 23, "\""));
	for (const char *sec = names; sec != NULL;
	     sec = sec == names ? vals : NULL) {
		const char *p = strchr(sec, '{') + 1;

		while (*p == '"') {
			n = strcspn(p + 1, "\"");
			assert_true(n < sizeof(tok));
			memcpy(tok, p + 1, n);
			tok[n] = '\0';
			if (strstr(exprs, tok) == NULL)
				fail_msg("%s is unused in '%s'", tok, exprs);
			/* Skip the value: a string or an object. */
			p += n + 3;
			if (*p == '"')
				p += strcspn(p + 1, "\"") + 2;
			else
				p = strchr(p, '}') + 1;
			if (*p == ',')
				p++;
		}
	}
	for (const char *p = exprs; (p = strpbrk(p, "#:")) != NULL; p++) {
		char q[40];

		n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz");
		snprintf(q, sizeof(q), "\"%.*s\":", (int)n + 1, p);
		if (strstr(body, q) == NULL)
			fail_msg("%s is not defined in %s", q, body);
	}
}

static void
check_json(const char *body)
{
	struct jspan obj;
	size_t at;

	if (json_doc(body, strlen(body), &obj, &at) != 0)
		fail_msg("not one JSON object: %s", body);
}

static void
test_lease_bodies(void **state)
{
	struct buf b;
	struct lease_op op;
	const char *lek = "{\"pair\":{\"S\":\"p\"}}";
	static const struct {
		enum lease_op_kind kind;
		const char *cond; /* what sim_apply implements */
	} conds[] = {
		{ LEASE_OP_CLAIM, "#c = :seen" },
		{ LEASE_OP_RENEW, "#o = :me AND #t = :tenure" },
		{ LEASE_OP_CHECKPOINT, "#o = :me AND #t = :tenure" },
		{ LEASE_OP_RELEASE, "#o = :me AND #t = :tenure" },
		{ LEASE_OP_HANDOFF,
		    "#o = :owner AND #t = :tenure AND "
		    "attribute_not_exists(#n)" },
	};

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		for (int variant = 0; variant < 2; variant++) {
			memset(&op, 0, sizeof(op));
			op.kind = conds[i].kind;
			op.pair = "pair \"1\"";
			op.unit = "segment#3";
			op.me = "host-a";
			op.owner = "host-b";
			op.seen = 41;
			op.tenure = 40;
			op.wall_ms = 1700000000000;
			op.lease_ms = LEASE_DURATION_MS;
			op.items = 99;
			if (variant) {
				op.last_key = "{\"pk\":{\"S\":\"k\"}}";
				op.seq = "000123";
				op.done = 1;
				op.next = "host-c";
			}
			buf_reset(&b);
			assert_int_equal(lease_op_body(&b, "leases", &op), 0);
			check_json(b.data);
			expect_member(b.data, "ConditionExpression",
			    conds[i].cond);
			expect_placeholders_used(b.data);
			assert_non_null(strstr(b.data,
			    "\"Key\":{\"pair\":"
			    "{\"S\":\"pair \\\"1\\\"\"},\"unit\":{\"S\":"
			    "\"segment#3\"}}"));
		}
	}
	/* What the claim writes. */
	memset(&op, 0, sizeof(op));
	op.kind = LEASE_OP_CLAIM;
	op.pair = "p";
	op.unit = "shard#s1";
	op.me = "h";
	op.seen = 7;
	buf_reset(&b);
	assert_int_equal(lease_op_body(&b, "t", &op), 0);
	expect_member(b.data, "UpdateExpression",
	    "SET #o = :me, #c = :new, "
	    "#t = :new, #w = :wall, #l = :lms REMOVE #n ADD #s :one");
	assert_non_null(strstr(b.data, "\":seen\":{\"N\":\"7\"}"));
	assert_non_null(strstr(b.data, "\":new\":{\"N\":\"8\"}"));
	/* A done checkpoint gives the lease up in the same write. */
	op.kind = LEASE_OP_CHECKPOINT;
	op.done = 1;
	op.seq = "42";
	buf_reset(&b);
	assert_int_equal(lease_op_body(&b, "t", &op), 0);
	expect_member(b.data, "UpdateExpression",
	    "SET #c = #c + :one, "
	    "#w = :wall, #i = :items, #q = :seq, #d = :true REMOVE #o, #t, "
	    "#n");
	/* A renewal asks for the item back (another host's request). */
	op.kind = LEASE_OP_RENEW;
	buf_reset(&b);
	assert_int_equal(lease_op_body(&b, "t", &op), 0);
	assert_non_null(strstr(b.data, "\"ReturnValues\":\"ALL_NEW\""));

	/* Items and the table. */
	buf_reset(&b);
	assert_int_equal(lease_put_unit_body(&b, "t", "p", "shard#B",
			     LEASE_SHARD, 0, "B", "shard#A"),
	    0);
	check_json(b.data);
	assert_non_null(strstr(b.data,
	    "\"Item\":{\"pair\":{\"S\":\"p\"},"
	    "\"unit\":{\"S\":\"shard#B\"},\"kind\":{\"S\":\"shard\"},"
	    "\"counter\":{\"N\":\"0\"},\"done\":{\"BOOL\":false},"
	    "\"shard\":{\"S\":\"B\"},\"parent\":{\"S\":\"shard#A\"}}"));
	expect_member(b.data, "ConditionExpression",
	    "attribute_not_exists(#u)");
	buf_reset(&b);
	assert_int_equal(lease_put_unit_body(&b, "t", "p", "segment#2",
			     LEASE_SEGMENT, 2, NULL, NULL),
	    0);
	check_json(b.data);
	assert_non_null(strstr(b.data, "\"segment\":{\"N\":\"2\"}}"));
	buf_reset(&b);
	assert_int_equal(lease_put_pair_body(&b, "t", "p", 16, 1, 0,
			     "src@us-east-1", "dst@eu-west-1"),
	    0);
	check_json(b.data);
	assert_non_null(strstr(b.data,
	    "\"total_segments\":{\"N\":\"16\"},"
	    "\"backfill\":{\"BOOL\":true},\"stream\":{\"BOOL\":false}"));
	buf_reset(&b);
	assert_int_equal(lease_backfill_start_body(&b, "t", "p", 1700000000123),
	    0);
	check_json(b.data);
	expect_member(b.data, "ConditionExpression",
	    "attribute_exists(#u) "
	    "AND attribute_not_exists(#b)");
	assert_non_null(strstr(b.data, "\"ALL_OLD\""));
	expect_placeholders_used(b.data);
	buf_reset(&b);
	assert_int_equal(lease_stop_body(&b, "t", "p", 1), 0);
	check_json(b.data);
	expect_placeholders_used(b.data);
	assert_non_null(strstr(b.data, "\":x\":{\"BOOL\":true}"));
	buf_reset(&b);
	assert_int_equal(lease_create_table_body(&b, "leases"), 0);
	check_json(b.data);
	assert_string_equal(b.data,
	    "{\"TableName\":\"leases\","
	    "\"AttributeDefinitions\":["
	    "{\"AttributeName\":\"pair\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"unit\",\"AttributeType\":\"S\"}],"
	    "\"KeySchema\":["
	    "{\"AttributeName\":\"pair\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"unit\",\"KeyType\":\"RANGE\"}],"
	    "\"BillingMode\":\"PAY_PER_REQUEST\"}");
	/* A segment's checkpoint carries the backfill's tally. */
	memset(&op, 0, sizeof(op));
	op.kind = LEASE_OP_CHECKPOINT;
	op.pair = "p";
	op.unit = "segment#1";
	op.me = "h";
	op.tenure = 3;
	op.items = 10;
	op.tally = 1;
	op.scanned = 12;
	op.expired = 2;
	buf_reset(&b);
	assert_int_equal(lease_op_body(&b, "t", &op), 0);
	check_json(b.data);
	expect_placeholders_used(b.data);
	expect_member(b.data, "UpdateExpression",
	    "SET #c = #c + :one, "
	    "#w = :wall, #i = :items, #a = :scanned, #e = :expired");
	assert_non_null(strstr(b.data, "\":scanned\":{\"N\":\"12\"}"));
	assert_non_null(strstr(b.data, "\":expired\":{\"N\":\"2\"}"));
	/* Reading the table: a pair's items page by page, one item. */
	buf_reset(&b);
	assert_int_equal(lease_query_body(&b, "t", "p\"q", NULL, 0), 0);
	check_json(b.data);
	assert_string_equal(b.data,
	    "{\"TableName\":\"t\",\"KeyConditionExpression\":\"#p = :p\","
	    "\"ExpressionAttributeNames\":{\"#p\":\"pair\"},"
	    "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\\\"q\"}},"
	    "\"ConsistentRead\":true}");
	buf_reset(&b);
	assert_int_equal(lease_query_body(&b, "t", "p", lek, strlen(lek)), 0);
	check_json(b.data);
	assert_non_null(
	    strstr(b.data, ",\"ExclusiveStartKey\":{\"pair\":{\"S\":\"p\"}}}"));
	buf_reset(&b);
	assert_int_equal(lease_get_body(&b, "t", "p", "#pair"), 0);
	check_json(b.data);
	assert_non_null(strstr(b.data, "\"ConsistentRead\":true"));
	/* A shard that aged out: deleted only if done. */
	buf_reset(&b);
	assert_int_equal(lease_delete_done_body(&b, "t", "p", "shard#s"), 0);
	check_json(b.data);
	expect_placeholders_used(b.data);
	expect_member(b.data, "ConditionExpression", "#d = :t");
	/* A host's heartbeat: no condition, the counter moves. */
	buf_reset(&b);
	assert_int_equal(lease_host_body(&b, "t", "vm:12:abcd0123", "vm",
			     1700000000000, 40000),
	    0);
	check_json(b.data);
	assert_non_null(strstr(b.data,
	    "\"Key\":{\"pair\":{\"S\":\"#hosts\"},"
	    "\"unit\":{\"S\":\"vm:12:abcd0123\"}}"));
	assert_non_null(strstr(b.data, "ADD #c :one"));
	assert_null(strstr(b.data, "ConditionExpression"));

	/* A maximum is honoured. */
	buf_free(&b);
	buf_init(&b, 40);
	op.kind = LEASE_OP_CLAIM;
	assert_int_equal(lease_op_body(&b, "t", &op), -1);
	buf_free(&b);
}

/* GetItem answers: the item, none, or something else. */
static void
test_lease_parse_get(void **state)
{
	struct lease_set set;
	char err[256];
	const char *item =
	    "{\"Item\":{\"pair\":{\"S\":\"p\"},\"unit\":"
	    "{\"S\":\"#pair\"},\"kind\":{\"S\":\"pair\"},"
	    "\"counter\":{\"N\":\"0\"},\"src\":{\"S\":\"a@r\"},"
	    "\"dst\":{\"S\":\"b@r\"},\"total_segments\":"
	    "{\"N\":\"8\"},\"backfill_started\":{\"N\":\"17\"}}}";

	(void)state;
	memset(&set, 0, sizeof(set));
	assert_int_equal(lease_parse_get(&set, item, strlen(item), err,
			     sizeof(err)),
	    1);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].src, "a@r");
	assert_string_equal(set.v[0].dst, "b@r");
	assert_int_equal(set.v[0].total_segments, 8);
	assert_int_equal(set.v[0].backfill_started, 17);
	lease_set_clear(&set);
	assert_int_equal(lease_parse_get(&set, "{}", 2, err, sizeof(err)), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(lease_parse_get(&set, "{\"Item\":[]}", 11, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "malformed Item"));
	assert_int_equal(lease_parse_get(&set, "[1]", 3, err, sizeof(err)), -1);
	lease_set_clear(&set);
}

/* Shard items are created parents first. */
static void
test_lease_parents_first(void **state)
{
	/* C's parent B, B's parent A; D and E split from C; F's parent
	 * aged out (not listed); A listed last. */
	const char *ids[] = { "D", "C", "F", "B", "E", "A" };
	const char *parents[] = { "C", "B", "Z", "A", "C", NULL };
	size_t order[6], pos[6];

	(void)state;
	lease_parents_first(ids, parents, 6, order);
	for (size_t k = 0; k < 6; k++)
		pos[order[k]] = k;
	for (size_t i = 0; i < 6; i++) {
		assert_true(order[i] < 6);
		for (size_t j = 0; j < 6; j++)
			if (parents[i] != NULL &&
			    strcmp(parents[i], ids[j]) == 0)
				assert_true(pos[j] < pos[i]);
	}
	/* No parent listed: the listing's order. */
	{
		const char *ids2[] = { "x", "y" };
		const char *par2[] = { "q", NULL };

		lease_parents_first(ids2, par2, 2, order);
		assert_int_equal(order[0], 0);
		assert_int_equal(order[1], 1);
	}
	/* A cycle (no stream has one) still places everything once. */
	{
		const char *ids3[] = { "a", "b" };
		const char *par3[] = { "b", "a" };

		lease_parents_first(ids3, par3, 2, order);
		assert_true(order[0] != order[1]);
	}
}

static void
test_lease_schema(void **state)
{
	struct ddb_table t;
	char err[1024];

	(void)state;
	memset(&t, 0, sizeof(t));
	strcpy(t.hash.name, "pair");
	strcpy(t.hash.type, "S");
	strcpy(t.range.name, "unit");
	strcpy(t.range.type, "S");
	assert_int_equal(lease_check_schema(&t, "leases", err, sizeof(err)), 0);
	strcpy(t.range.type, "N");
	assert_int_equal(lease_check_schema(&t, "leases", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err,
	    "coordination table leases has the key "
	    "schema HASH pair (S), RANGE unit (N)"));
	assert_non_null(strstr(err, "needs HASH pair (S), RANGE unit (S)"));
	t.range.name[0] = '\0';
	strcpy(t.hash.name, "pk");
	assert_int_equal(lease_check_schema(&t, "leases", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "HASH pk (S) and no sort key"));
}

static void
test_lease_set(void **state)
{
	struct lease_set s = { 0 };
	char unit[80];

	(void)state;
	lease_unit_shard(unit, sizeof(unit), "shardId-00000001");
	assert_string_equal(unit, "shard#shardId-00000001");
	(void)lease_set_add(&s, "b", "segment#1", LEASE_SEGMENT);
	(void)lease_set_add(&s, "a", "segment#2", LEASE_SEGMENT);
	(void)lease_set_add(&s, "a", LEASE_PAIR_UNIT, LEASE_PAIR);
	(void)lease_set_add(&s, "b", LEASE_PAIR_UNIT, LEASE_PAIR);
	lease_set_sort(&s);
	assert_string_equal(s.v[0].pair, "a");
	assert_string_equal(s.v[0].unit, LEASE_PAIR_UNIT);
	assert_ptr_equal(lease_set_find(&s, "b", "segment#1"), &s.v[3]);
	assert_null(lease_set_find(&s, "b", "segment#2"));
	assert_null(lease_set_find(&s, "c", "x"));
	lease_set_clear(&s);
	assert_int_equal(s.n, 0);
}

/* Scan pages of the coordination table, as DynamoDB answers them. */
static void
test_lease_parse(void **state)
{
	static const char page[] =
	    "{\"Items\":["
	    "{\"pair\":{\"S\":\"p0\"},\"unit\":{\"S\":\"#pair\"},"
	    "\"kind\":{\"S\":\"pair\"},\"counter\":{\"N\":\"3\"},"
	    "\"total_segments\":{\"N\":\"16\"},\"backfill\":{\"BOOL\":false},"
	    "\"stop\":{\"BOOL\":true},\"backfill_started\":"
	    "{\"N\":\"1700000000001\"},\"src\":{\"S\":\"a@b\"}},"
	    "{\"owner\":{\"S\":\"h\\u00e9\"},\"unit\":{\"S\":\"segment#3\"},"
	    "\"kind\":{\"S\":\"segment\"},\"counter\":{\"N\":\"9223372036854775807\"},"
	    "\"tenure\":{\"N\":\"7\"},\"done\":{\"BOOL\":false},"
	    "\"pair\":{\"S\":\"p0\"},\"items\":{\"N\":\"10\"},"
	    "\"last_key\":{\"S\":\"{\\\"pk\\\":{\\\"S\\\":\\\"a\\\"}}\"},"
	    "\"next\":{\"S\":\"h2\"},\"renewed\":{\"N\":\"1.5\"}},"
	    "{\"pair\":{\"S\":\"p0\"},\"unit\":{\"S\":\"shard#B\"},"
	    "\"kind\":{\"S\":\"shard\"},\"counter\":{\"N\":\"0\"},"
	    "\"parent\":{\"S\":\"shard#A\"},\"seq\":{\"S\":\"000123\"},"
	    "\"done\":{\"BOOL\":true}}],"
	    "\"Count\":3,\"ScannedCount\":3,\"LastEvaluatedKey\":"
	    "{\"pair\":{\"S\":\"p0\"},\"unit\":{\"S\":\"shard#B\"}}}";
	static const char host[] =
	    "{\"Items\":[{\"pair\":{\"S\":\"#hosts\"},\"unit\":"
	    "{\"S\":\"web-1:42:0a0b0c0d\"},\"kind\":{\"S\":\"host\"},"
	    "\"counter\":{\"N\":\"12\"},\"owner\":{\"S\":"
	    "\"web-1:42:0a0b0c0d\"},\"hostname\":{\"S\":\"web-1\"},"
	    "\"renewed\":{\"N\":\"1796400000123\"},\"lease_ms\":"
	    "{\"N\":\"40000\"}}]}";
	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"Items\":{}}", "no Items list" },
		{ "{\"Items\":[]} x", "not a JSON object" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"p\"},\"unit\":{\"S\":\"u\"},"
		  "\"kind\":{\"S\":\"segment\"}}]}",
		    "without pair, unit" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"p\"},\"unit\":{\"S\":\"u\"},"
		  "\"kind\":{\"S\":\"table\"},\"counter\":{\"N\":\"1\"}}]}",
		    "a known kind" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"p\"},\"counter\":"
		  "{\"N\":\"1e3\"}}]}",
		    "attribute counter" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"p\"},\"counter\":"
		  "{\"N\":\"9223372036854775808\"}}]}",
		    "attribute counter" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"p\"},\"counter\":"
		  "{\"S\":\"1\"}}]}",
		    "attribute counter" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"a\\u0000b\"}}]}",
		    "attribute pair" },
		{ "{\"Items\":[{\"pair\":{\"S\":\"\"}}]}", "attribute pair" },
		{ "{\"Items\":[{\"done\":{\"BOOL\":\"yes\"}}]}",
		    "attribute done" },
		{ "{\"Items\":[],\"LastEvaluatedKey\":[]}",
		    "LastEvaluatedKey" },
		/* Found by fuzz_lease: a failure must always say why. */
		{ "{\"Items\":[\n0\n]}", "an item is not a JSON object" },
	};
	struct lease_set set = { 0 };
	struct lease *l;
	struct jspan lek;
	char err[256];

	(void)state;
	assert_int_equal(lease_parse_page(&set, page, strlen(page), &lek, err,
			     sizeof(err)),
	    0);
	assert_int_equal(set.n, 3);
	assert_true(lek.len > 0 && strncmp(lek.p, "{\"pair\":", 8) == 0);
	lease_set_sort(&set);
	l = lease_set_find(&set, "p0", LEASE_PAIR_UNIT);
	assert_non_null(l);
	assert_int_equal(l->kind, LEASE_PAIR);
	assert_int_equal(l->total_segments, 16);
	assert_int_equal(l->backfill, 0);
	assert_int_equal(l->stop, 1);
	assert_true(l->backfill_started == 1700000000001LL);
	l = lease_set_find(&set, "p0", "segment#3");
	assert_non_null(l);
	assert_int_equal(l->kind, LEASE_SEGMENT);
	assert_string_equal(l->owner, "h\xc3\xa9");
	assert_string_equal(l->next, "h2");
	assert_true(l->counter == 9223372036854775807ULL);
	assert_int_equal(l->tenure, 7);
	assert_int_equal(l->items, 10);
	assert_string_equal(l->last_key, "{\"pk\":{\"S\":\"a\"}}");
	assert_int_equal(l->done, 0);
	assert_int_equal(l->backfill, 1);
	/* Shown only: a renewed time that is not a whole number is left
	 * out, the item still read. */
	assert_true(l->renewed == 0);
	l = lease_set_find(&set, "p0", "shard#B");
	assert_non_null(l);
	assert_string_equal(l->parent, "shard#A");
	assert_string_equal(l->seq, "000123");
	assert_int_equal(l->done, 1);
	assert_null(l->owner);
	lease_set_clear(&set);

	/* A host's heartbeat, for ctl fleet. */
	assert_int_equal(lease_parse_page(&set, host, strlen(host), &lek, err,
			     sizeof(err)),
	    0);
	assert_int_equal(set.n, 1);
	l = &set.v[0];
	assert_int_equal(l->kind, LEASE_HOST);
	assert_string_equal(l->hostname, "web-1");
	assert_true(l->renewed == 1796400000123LL);
	assert_true(l->lease_ms == 40000);
	lease_set_clear(&set);

	/* The last page: no LastEvaluatedKey. */
	assert_int_equal(lease_parse_page(&set, "{\"Items\":[],\"Count\":0}",
			     22, &lek, err, sizeof(err)),
	    0);
	assert_int_equal(lek.len, 0);
	assert_int_equal(set.n, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (lease_parse_page(&set, bad[i].body, strlen(bad[i].body),
			&lek, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].body);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: '%s' does not say '%s'", bad[i].body, err,
			    bad[i].why);
		lease_set_clear(&set);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_set),
		cmocka_unit_test(test_lease_parse),
		cmocka_unit_test(test_lease_expiry_skewed_clocks),
		cmocka_unit_test(test_lease_decide_rules),
		cmocka_unit_test(test_lease_balance_hosts),
		cmocka_unit_test(test_lease_lineage),
		cmocka_unit_test(test_lease_stop_flag),
		cmocka_unit_test(test_lease_never_two_owners),
		cmocka_unit_test(test_lease_bodies),
		cmocka_unit_test(test_lease_parse_get),
		cmocka_unit_test(test_lease_parents_first),
		cmocka_unit_test(test_lease_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
