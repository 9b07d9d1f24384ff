/* lease.c: the fleet's leases: expiry, balancing, lineage, writes (pure). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "jscan.h"
#include "lease.h"
#include "log.h"
#include "xmalloc.h"

/* ------------------------------------------------------------------------
 * The snapshot
 */

void
lease_set_str(char **sp, const char *s)
{
	free(*sp);
	*sp = s != NULL ? xstrdup(s) : NULL;
}

struct lease *
lease_set_add(struct lease_set *set, const char *pair, const char *unit,
    enum lease_kind kind)
{
	struct lease *l;

	if (set->n == set->cap) {
		set->cap = set->cap != 0 ? set->cap * 2 : 16;
		set->v = xrealloc(set->v, set->cap * sizeof(*set->v));
	}
	l = &set->v[set->n++];
	memset(l, 0, sizeof(*l));
	l->pair = xstrdup(pair);
	l->unit = xstrdup(unit);
	l->kind = kind;
	l->backfill = 1;
	return l;
}

static int
lease_keycmp(const char *pa, const char *ua, const char *pb, const char *ub)
{
	int c = strcmp(pa, pb);

	return c != 0 ? c : strcmp(ua, ub);
}

static int
lease_cmp(const void *a, const void *b)
{
	const struct lease *x = a, *y = b;

	return lease_keycmp(x->pair, x->unit, y->pair, y->unit);
}

void
lease_set_sort(struct lease_set *set)
{
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(*set->v), lease_cmp);
}

/* The key bsearch looks for, and its comparisons with each array. */
struct lease_key {
	const char *pair;
	const char *unit;
};

static int
lease_key_lease_cmp(const void *k, const void *e)
{
	const struct lease_key *key = k;
	const struct lease *l = e;

	return lease_keycmp(key->pair, key->unit, l->pair, l->unit);
}

static int
lease_key_obs_cmp(const void *k, const void *e)
{
	const struct lease_key *key = k;
	const struct lease_obs *o = e;

	return lease_keycmp(key->pair, key->unit, o->pair, o->unit);
}

struct lease *
lease_set_find(const struct lease_set *set, const char *pair, const char *unit)
{
	struct lease_key key = { pair, unit };

	if (set->n == 0)
		return NULL;
	return bsearch(&key, set->v, set->n, sizeof(*set->v),
	    lease_key_lease_cmp);
}

void
lease_set_clear(struct lease_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct lease *l = &set->v[i];

		free(l->pair);
		free(l->unit);
		free(l->owner);
		free(l->next);
		free(l->parent);
		free(l->last_key);
		free(l->seq);
		free(l->src);
		free(l->dst);
		free(l->hostname);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

void
lease_parents_first(const char *const *ids, const char *const *parents,
    size_t n, size_t *order)
{
	char *placed = xcalloc(n != 0 ? n : 1, 1);
	size_t k = 0, before;

	do {
		before = k;
		for (size_t i = 0; i < n; i++) {
			int wait = 0;

			if (placed[i])
				continue;
			for (size_t j = 0; parents[i] != NULL && j < n; j++)
				if (!placed[j] && j != i &&
				    strcmp(ids[j], parents[i]) == 0)
					wait = 1;
			if (wait)
				continue;
			placed[i] = 1;
			order[k++] = i;
		}
	} while (k < n && k > before);
	for (size_t i = 0; i < n && k < n; i++)
		if (!placed[i])
			order[k++] = i;
	free(placed);
}

void
lease_unit_segment(char *buf, size_t len, uint32_t segment)
{
	(void)snprintf(buf, len, "segment#%u", segment);
}

void
lease_unit_shard(char *buf, size_t len, const char *shard_id)
{
	/* Shard ids are at most 65 characters: a short buffer is a bug. */
	if ((size_t)snprintf(buf, len, "shard#%s", shard_id) >= len)
		fatalx("lease_unit_shard: buffer too short");
}

/* ------------------------------------------------------------------------
 * Reading the table
 */

/* The value of AttributeValue av of type t ("S", "N", "BOOL"): 1, 0 if
 * av has another type, -1 if malformed. */
static int
lease_av(const struct jspan *av, const char *t, struct jspan *v)
{
	return jscan_find(av, t, v);
}

/* A string attribute, allocated; NUL bytes refused. */
static int
lease_av_str(const struct jspan *av, char **out)
{
	struct jspan v;
	char *s;
	long n;

	if (lease_av(av, "S", &v) != 1)
		return -1;
	s = xmalloc(v.len + 1);
	if ((n = jscan_string(&v, s, v.len + 1)) < 0 ||
	    (size_t)n != strlen(s) || n == 0) {
		free(s);
		return -1;
	}
	free(*out);
	*out = s;
	return 0;
}

/* A number attribute: a whole number that fits in 63 bits. */
static int
lease_av_u64(const struct jspan *av, uint64_t *out)
{
	struct jspan v;
	uint64_t x = 0;
	size_t i;

	if (lease_av(av, "N", &v) != 1 || v.len < 3 || v.p[0] != '"' ||
	    v.len - 2 > 19)
		return -1;
	for (i = 1; i + 1 < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (x > INT64_MAX)
		return -1;
	*out = x;
	return 0;
}

static int
lease_av_bool(const struct jspan *av, int *out)
{
	struct jspan v;

	if (lease_av(av, "BOOL", &v) != 1)
		return -1;
	if (v.len == 4 && memcmp(v.p, "true", 4) == 0)
		*out = 1;
	else if (v.len == 5 && memcmp(v.p, "false", 5) == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

int
lease_parse_item(struct lease_set *set, const struct jspan *item, char *err,
    size_t errlen)
{
	static const char *const kinds[] = { "pair", "segment", "shard",
		"host" };
	struct jspan key, val;
	struct lease tmp, *l;
	const char *p = item->p, *end = item->p + item->len;
	char *kind = NULL;
	uint64_t u;
	int r, seen_counter = 0, bad = 0;
	size_t k;

	memset(&tmp, 0, sizeof(tmp));
	tmp.backfill = 1;
	if (jscan_open(&p, end, '{') == -1) {
		(void)snprintf(err, errlen, "an item is not a JSON object");
		bad = 1;
	}
	while (!bad && (r = jscan_member(&p, end, &key, &val)) == 1) {
		if (jscan_eq(&key, LEASE_HASH))
			bad = lease_av_str(&val, &tmp.pair);
		else if (jscan_eq(&key, LEASE_RANGE))
			bad = lease_av_str(&val, &tmp.unit);
		else if (jscan_eq(&key, "kind"))
			bad = lease_av_str(&val, &kind);
		else if (jscan_eq(&key, "owner"))
			bad = lease_av_str(&val, &tmp.owner);
		else if (jscan_eq(&key, "next"))
			bad = lease_av_str(&val, &tmp.next);
		else if (jscan_eq(&key, "parent"))
			bad = lease_av_str(&val, &tmp.parent);
		else if (jscan_eq(&key, "last_key"))
			bad = lease_av_str(&val, &tmp.last_key);
		else if (jscan_eq(&key, "seq"))
			bad = lease_av_str(&val, &tmp.seq);
		else if (jscan_eq(&key, "src"))
			bad = lease_av_str(&val, &tmp.src);
		else if (jscan_eq(&key, "dst"))
			bad = lease_av_str(&val, &tmp.dst);
		/* Shown only ("ctl fleet"): one that is not what this
		 * version writes is left out, never a reason to refuse the
		 * item. */
		else if (jscan_eq(&key, "hostname"))
			(void)lease_av_str(&val, &tmp.hostname);
		else if (jscan_eq(&key, "renewed"))
			tmp.renewed = lease_av_u64(&val, &u) == 0 ? (int64_t)u :
								    0;
		else if (jscan_eq(&key, "lease_ms"))
			tmp.lease_ms = lease_av_u64(&val, &u) == 0 ?
			    (int64_t)u :
			    0;
		else if (jscan_eq(&key, "counter")) {
			bad = lease_av_u64(&val, &tmp.counter);
			seen_counter = 1;
		} else if (jscan_eq(&key, "tenure"))
			bad = lease_av_u64(&val, &tmp.tenure);
		else if (jscan_eq(&key, "items"))
			bad = lease_av_u64(&val, &tmp.items);
		else if (jscan_eq(&key, "scanned"))
			bad = lease_av_u64(&val, &tmp.scanned);
		else if (jscan_eq(&key, "expired"))
			bad = lease_av_u64(&val, &tmp.expired);
		else if (jscan_eq(&key, "switches"))
			bad = lease_av_u64(&val, &tmp.switches);
		else if (jscan_eq(&key, "backfill_started")) {
			bad = lease_av_u64(&val, &u);
			tmp.backfill_started = (int64_t)u;
		} else if (jscan_eq(&key, "total_segments")) {
			bad = lease_av_u64(&val, &u) == -1 || u > UINT32_MAX;
			tmp.total_segments = (uint32_t)u;
		} else if (jscan_eq(&key, "done"))
			bad = lease_av_bool(&val, &tmp.done);
		else if (jscan_eq(&key, "backfill"))
			bad = lease_av_bool(&val, &tmp.backfill);
		else if (jscan_eq(&key, "stop"))
			bad = lease_av_bool(&val, &tmp.stop);
		if (bad)
			(void)snprintf(err, errlen,
			    "attribute %.*s is not "
			    "what a lease item holds",
			    (int)(key.len < 64 ? key.len : 64), key.p);
	}
	if (!bad && r == -1) {
		(void)snprintf(err, errlen, "malformed item");
		bad = 1;
	}
	for (k = 0; !bad && kind != NULL && k < 4; k++)
		if (strcmp(kind, kinds[k]) == 0)
			break;
	if (!bad &&
	    (tmp.pair == NULL || tmp.unit == NULL || kind == NULL || k == 4 ||
		!seen_counter)) {
		(void)snprintf(err, errlen,
		    "an item without pair, unit, a "
		    "known kind and counter: not a ddb-sync lease table?");
		bad = 1;
	}
	if (bad) {
		free(tmp.pair);
		free(tmp.unit);
		free(tmp.owner);
		free(tmp.next);
		free(tmp.parent);
		free(tmp.last_key);
		free(tmp.seq);
		free(tmp.src);
		free(tmp.dst);
		free(tmp.hostname);
		free(kind);
		return -1;
	}
	l = lease_set_add(set, tmp.pair, tmp.unit, (enum lease_kind)k);
	free(tmp.pair);
	free(tmp.unit);
	tmp.pair = l->pair;
	tmp.unit = l->unit;
	tmp.kind = l->kind;
	*l = tmp;
	free(kind);
	return 0;
}

int
lease_parse_get(struct lease_set *set, const char *body, size_t len, char *err,
    size_t errlen)
{
	struct jspan doc, item;
	const char *p = body, *end = body + len;
	int r;

	if (jscan_value(&p, end, &doc) == -1 || jscan_end(p, end) == -1 ||
	    doc.len == 0 || doc.p[0] != '{') {
		(void)snprintf(err, errlen, "the answer is not a JSON object");
		return -1;
	}
	if ((r = jscan_find(&doc, "Item", &item)) == -1 ||
	    (r == 1 && item.p[0] != '{')) {
		(void)snprintf(err, errlen, "malformed Item");
		return -1;
	}
	if (r == 0)
		return 0;
	return lease_parse_item(set, &item, err, errlen) == -1 ? -1 : 1;
}

int
lease_parse_page(struct lease_set *set, const char *body, size_t len,
    struct jspan *lek, char *err, size_t errlen)
{
	struct jspan doc, items, it;
	const char *p = body, *end = body + len;
	int r;

	lek->p = NULL;
	lek->len = 0;
	if (jscan_value(&p, end, &doc) == -1 || jscan_end(p, end) == -1 ||
	    doc.len == 0 || doc.p[0] != '{') {
		(void)snprintf(err, errlen, "the answer is not a JSON object");
		return -1;
	}
	if ((r = jscan_find(&doc, "Items", &items)) != 1 || items.p[0] != '[') {
		(void)snprintf(err, errlen, "the answer has no Items list");
		return -1;
	}
	if ((r = jscan_find(&doc, "LastEvaluatedKey", lek)) == -1 ||
	    (r == 1 && lek->p[0] != '{')) {
		(void)snprintf(err, errlen, "malformed LastEvaluatedKey");
		return -1;
	}
	if (r == 0)
		lek->len = 0;
	p = items.p;
	end = items.p + items.len;
	if (jscan_open(&p, end, '[') == -1) {
		(void)snprintf(err, errlen, "malformed Items list");
		return -1;
	}
	while ((r = jscan_element(&p, end, &it)) == 1) {
		if (set->n >= LEASE_UNITS_MAX) {
			(void)snprintf(err, errlen,
			    "more than %d items in the "
			    "coordination table",
			    LEASE_UNITS_MAX);
			return -1;
		}
		if (lease_parse_item(set, &it, err, errlen) == -1)
			return -1;
	}
	if (r == -1) {
		(void)snprintf(err, errlen, "malformed Items list");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Observation and expiry
 */

void
lease_view_clear(struct lease_view *view)
{
	for (size_t i = 0; i < view->n; i++) {
		free(view->v[i].pair);
		free(view->v[i].unit);
	}
	free(view->v);
	memset(view, 0, sizeof(*view));
}

void
lease_observe(struct lease_view *view, const struct lease_set *set,
    int64_t now_ms)
{
	struct lease_obs *nv;
	size_t i = 0, j = 0, k;
	int c;

	/* Both sorted by key: one merge. */
	nv = xcalloc(set->n != 0 ? set->n : 1, sizeof(*nv));
	for (k = 0; k < set->n; k++) {
		const struct lease *l = &set->v[k];

		while (j < view->n &&
		    (c = lease_keycmp(view->v[j].pair, view->v[j].unit, l->pair,
			 l->unit)) < 0) {
			free(view->v[j].pair);
			free(view->v[j].unit);
			j++;
		}
		if (j < view->n &&
		    lease_keycmp(view->v[j].pair, view->v[j].unit, l->pair,
			l->unit) == 0) {
			nv[i] = view->v[j++];
			if (nv[i].counter != l->counter) {
				nv[i].counter = l->counter;
				nv[i].since_ms = now_ms;
			}
		} else {
			nv[i].pair = xstrdup(l->pair);
			nv[i].unit = xstrdup(l->unit);
			nv[i].counter = l->counter;
			nv[i].since_ms = now_ms;
		}
		i++;
	}
	for (; j < view->n; j++) {
		free(view->v[j].pair);
		free(view->v[j].unit);
	}
	free(view->v);
	view->v = nv;
	view->n = i;
}

static const struct lease_obs *
lease_view_find(const struct lease_view *view, const struct lease *l)
{
	struct lease_key key = { l->pair, l->unit };

	if (view->n == 0)
		return NULL;
	return bsearch(&key, view->v, view->n, sizeof(*view->v),
	    lease_key_obs_cmp);
}

int
lease_expired(const struct lease_view *view, const struct lease *l,
    int64_t now_ms, int64_t lease_ms)
{
	const struct lease_obs *o;

	if (l->owner == NULL || l->done)
		return 0;
	if ((o = lease_view_find(view, l)) == NULL || o->counter != l->counter)
		return 0;
	return now_ms - o->since_ms >= lease_ms;
}

int
lease_may_write(int64_t now_ms, int64_t last_renew_sent_ms, int64_t lease_ms,
    int64_t margin_ms)
{
	return now_ms < last_renew_sent_ms + lease_ms - margin_ms;
}

/* ------------------------------------------------------------------------
 * What may be worked on
 */

/* The pair's segments: [*first, *end) of the sorted set. */
static void
lease_pair_range(const struct lease_set *set, const char *pair, size_t *first,
    size_t *end)
{
	size_t lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(set->v[mid].pair, pair) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo < set->n && strcmp(set->v[lo].pair, pair) == 0)
		lo++;
	*end = lo;
}

int
lease_backfill_done(const struct lease_set *set, const char *pair)
{
	const struct lease *pi = lease_set_find(set, pair, LEASE_PAIR_UNIT);
	size_t i, end, done = 0;

	if (pi == NULL)
		return 0;
	if (!pi->backfill)
		return 1;
	if (pi->total_segments == 0)
		return 0; /* the segment count is not fixed yet */
	lease_pair_range(set, pair, &i, &end);
	for (; i < end; i++) {
		if (set->v[i].kind != LEASE_SEGMENT)
			continue;
		if (!set->v[i].done)
			return 0;
		done++;
	}
	/* Every segment's item must exist: one not yet created is not done. */
	return done >= pi->total_segments;
}

int
lease_workable(const struct lease_set *set, const struct lease *l)
{
	const struct lease *pi, *par;

	if ((l->kind != LEASE_SEGMENT && l->kind != LEASE_SHARD) || l->done)
		return 0;
	if ((pi = lease_set_find(set, l->pair, LEASE_PAIR_UNIT)) == NULL ||
	    pi->stop)
		return 0;
	if (l->kind == LEASE_SEGMENT)
		return 1;
	/* The stream phase starts once every segment is done, whichever
	 * host did it; a child only after its parent is applied. A parent
	 * that is not in the table has aged out of the stream: shard items
	 * are created parents first, so it is not one yet to come. */
	if (!lease_backfill_done(set, l->pair))
		return 0;
	if (l->parent == NULL)
		return 1;
	par = lease_set_find(set, l->pair, l->parent);
	return par == NULL || par->done;
}

/* ------------------------------------------------------------------------
 * Balancing
 */

/* FNV-1a of the host id and the unit: each host's own order of units. */
static uint64_t
lease_order(const char *me, const struct lease *l)
{
	const char *parts[3] = { me, l->pair, l->unit };
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p != '\0'; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	return h;
}

struct lease_cand {
	size_t idx;
	int cls; /* 0 free or orphan, 1 expired */
	uint64_t order;
};

static int
lease_cand_cmp(const void *a, const void *b)
{
	const struct lease_cand *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct lease_host {
	const char *id;
	unsigned load; /* workable units held */
};

static struct lease_host *
lease_host_get(struct lease_host **hv, size_t *nh, size_t *cap, const char *id)
{
	for (size_t i = 0; i < *nh; i++)
		if (strcmp((*hv)[i].id, id) == 0)
			return &(*hv)[i];
	if (*nh == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 8;
		*hv = xrealloc(*hv, *cap * sizeof(**hv));
	}
	(*hv)[*nh].id = id;
	(*hv)[*nh].load = 0;
	return &(*hv)[(*nh)++];
}

void
lease_decision_clear(struct lease_decision *d)
{
	free(d->claims);
	free(d->release);
	free(d->decline);
	memset(d, 0, sizeof(*d));
	d->handoff = SIZE_MAX;
}

void
lease_decide(const struct lease_set *set, const struct lease_view *view,
    const struct lease_params *pp, struct lease_decision *d)
{
	struct lease_host *hv = NULL, *h, *most = NULL;
	struct lease_cand *cand = NULL;
	size_t nh = 0, hcap = 0, ncand = 0, i, want, victim = SIZE_MAX;
	size_t *asked, nasked = 0;
	uint64_t best = UINT64_MAX, o;
	unsigned units = 0, mine = 0, need;

	lease_decision_clear(d);
	d->release = xcalloc(set->n != 0 ? set->n : 1, sizeof(*d->release));
	d->decline = xcalloc(set->n != 0 ? set->n : 1, sizeof(*d->decline));
	asked = xcalloc(set->n != 0 ? set->n : 1, sizeof(*asked));
	cand = xcalloc(set->n != 0 ? set->n : 1, sizeof(*cand));
	(void)lease_host_get(&hv, &nh, &hcap, pp->me);

	for (i = 0; i < set->n; i++) {
		const struct lease *l = &set->v[i];
		int mine_l = l->owner != NULL && strcmp(l->owner, pp->me) == 0;
		int expired = lease_expired(view, l, pp->now_ms, pp->lease_ms);

		if (l->kind == LEASE_HOST) {
			/* A heartbeat that moves: a host, even idle. */
			if (l->owner != NULL && !expired)
				(void)lease_host_get(&hv, &nh, &hcap, l->owner);
			continue;
		}
		if (mine_l && l->held && !lease_workable(set, l)) {
			const struct lease *pi = lease_set_find(set, l->pair,
			    LEASE_PAIR_UNIT);

			/* Stopped across the fleet: give it back. */
			if (!l->done && (pi == NULL || pi->stop))
				d->release[d->nrelease++] = i;
			continue;
		}
		if (!lease_workable(set, l))
			continue;
		units++;
		/* A host asking for work is alive, even owning nothing: its
		 * request is declined or granted within one renewal. */
		if (l->next != NULL)
			(void)lease_host_get(&hv, &nh, &hcap, l->next);
		if (mine_l && l->held) {
			mine++;
			if (l->next != NULL)
				asked[nasked++] = i;
			continue;
		}
		if (l->owner == NULL || mine_l) {
			cand[ncand].idx = i;
			cand[ncand].cls = 0;
			cand[ncand++].order = lease_order(pp->me, l);
			continue;
		}
		if (expired) {
			cand[ncand].idx = i;
			cand[ncand].cls = 1;
			cand[ncand++].order = lease_order(pp->me, l);
			continue;
		}
		h = lease_host_get(&hv, &nh, &hcap, l->owner);
		h->load++;
	}
	d->hosts = (unsigned)nh;
	d->units = units;
	d->mine = mine;
	d->target = (units + d->hosts - 1) / d->hosts;
	/*
	 * Other hosts asked for some of ours. Several may ask in one round;
	 * give one unit a round, and only while this host keeps its fair
	 * share (units / hosts, rounded down), or the units would travel
	 * back and forth. The others are declined (the request removed),
	 * so their askers can ask again, or someone else.
	 */
	for (i = 0; i < nasked; i++) {
		if (i == 0 && mine > units / d->hosts)
			d->release[d->nrelease++] = asked[i];
		else
			d->decline[d->ndecline++] = asked[i];
	}
	if (mine >= d->target)
		goto done;
	need = d->target - mine;

	if (ncand > 0) {
		qsort(cand, ncand, sizeof(*cand), lease_cand_cmp);
		want = need < pp->max_take ? need : pp->max_take;
		if (want > ncand)
			want = ncand;
		d->claims = xcalloc(want != 0 ? want : 1, sizeof(*d->claims));
		for (i = 0; i < want; i++) {
			const struct lease *l = &set->v[cand[i].idx];

			d->claims[i].idx = cand[i].idx;
			d->claims[i].seen = l->counter;
			d->claims[i].why = l->owner == NULL ? LEASE_WHY_FREE :
			    cand[i].cls == 0		    ? LEASE_WHY_ORPHAN :
							      LEASE_WHY_EXPIRED;
		}
		d->nclaims = want;
		goto done;
	}

	/*
	 * Nothing free or expired: ask the most loaded host for one unit,
	 * if it holds more than the target (or exactly the target while
	 * this host needs two or more). Either way the gap between the two
	 * was at least 2, so the unit never travels back.
	 */
	for (i = 1; i < nh; i++)
		if (most == NULL || hv[i].load > most->load ||
		    (hv[i].load == most->load &&
			strcmp(hv[i].id, most->id) < 0))
			most = &hv[i];
	if (most == NULL || most->load < d->target + (need > 1 ? 0 : 1))
		goto done;
	for (i = 0; i < set->n; i++) {
		const struct lease *l = &set->v[i];

		if (l->owner == NULL || strcmp(l->owner, most->id) != 0 ||
		    l->next != NULL || !lease_workable(set, l) ||
		    lease_expired(view, l, pp->now_ms, pp->lease_ms))
			continue;
		if ((o = lease_order(pp->me, l)) < best) {
			best = o;
			victim = i;
		}
	}
	d->handoff = victim;
done:
	free(asked);
	free(cand);
	free(hv);
}

/* ------------------------------------------------------------------------
 * Request bodies
 */

/* "Key":{"pair":{"S":P},"unit":{"S":U}} with the leading comma. */
static int
lease_key(struct buf *b, const char *table, const char *pair, const char *unit,
    const char *member)
{
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1 ||
	    buf_printf(b, ",\"%s\":{\"" LEASE_HASH "\":{\"S\":", member) ==
		-1 ||
	    buf_json_str(b, pair) == -1 ||
	    buf_adds(b, "},\"" LEASE_RANGE "\":{\"S\":") == -1 ||
	    buf_json_str(b, unit) == -1 || buf_adds(b, "}}") == -1)
		return -1;
	return 0;
}

static int
lease_sval(struct buf *b, const char *name, const char *s)
{
	if (buf_printf(b, ",\"%s\":{\"S\":", name) == -1 ||
	    buf_json_str(b, s) == -1 || buf_addc(b, '}') == -1)
		return -1;
	return 0;
}

static int
lease_nval(struct buf *b, const char *name, uint64_t v)
{
	return buf_printf(b, ",\"%s\":{\"N\":\"%llu\"}", name,
	    (unsigned long long)v);
}

/*
 * Every attribute goes through a placeholder: several of these names
 * (owner, counter, ...) may be reserved words of DynamoDB's expressions.
 * DynamoDB refuses a placeholder that the expressions do not use, so
 * only those that appear are listed.
 */
static const struct {
	const char *ph;
	const char *name;
} lease_names[] = {
	{ "#o", "owner" },
	{ "#c", "counter" },
	{ "#t", "tenure" },
	{ "#n", "next" },
	{ "#w", "renewed" },
	{ "#l", "lease_ms" },
	{ "#s", "switches" },
	{ "#k", "last_key" },
	{ "#q", "seq" },
	{ "#i", "items" },
	{ "#d", "done" },
	{ "#a", "scanned" },
	{ "#e", "expired" },
};

/* Whether placeholder tok appears in s as a whole word. */
static int
lease_uses(const char *s, const char *tok)
{
	size_t n = strlen(tok);
	const char *p;
	char ch;

	for (p = s; (p = strstr(p, tok)) != NULL; p += n) {
		ch = p[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || ch == '_'))
			return 1;
	}
	return 0;
}

/* One value, if the expressions use it: kind 'S', 'N' or 'B'. */
static int
lease_val(struct buf *b, const char *upd, const char *cond, int *first,
    const char *tok, int kind, const char *s, uint64_t n)
{
	if (!lease_uses(upd, tok) && !lease_uses(cond, tok))
		return 0;
	if (buf_printf(b, "%s\"%s\":", *first ? "" : ",", tok) == -1)
		return -1;
	*first = 0;
	switch (kind) {
	case 'S':
		if (buf_adds(b, "{\"S\":") == -1 || buf_json_str(b, s) == -1 ||
		    buf_addc(b, '}') == -1)
			return -1;
		return 0;
	case 'N':
		return buf_printf(b, "{\"N\":\"%llu\"}", (unsigned long long)n);
	default:
		return buf_adds(b, "{\"BOOL\":true}");
	}
}

int
lease_op_body(struct buf *b, const char *table, const struct lease_op *op)
{
	const char *upd = NULL, *cond = NULL;
	char u[512];
	int first = 1;
	size_t i;

	if (lease_key(b, table, op->pair, op->unit, "Key") == -1)
		return -1;
	switch (op->kind) {
	case LEASE_OP_CLAIM:
		upd = "SET #o = :me, #c = :new, #t = :new, #w = :wall, "
		      "#l = :lms REMOVE #n ADD #s :one";
		cond = "#c = :seen";
		break;
	case LEASE_OP_RENEW:
		upd = op->decline ? "SET #c = #c + :one, #w = :wall REMOVE #n" :
				    "SET #c = #c + :one, #w = :wall";
		cond = "#o = :me AND #t = :tenure";
		break;
	case LEASE_OP_CHECKPOINT:
		(void)snprintf(u, sizeof(u),
		    "SET #c = #c + :one, #w = :wall, "
		    "#i = :items%s%s%s%s",
		    op->tally ? ", #a = :scanned, #e = :expired" : "",
		    op->last_key != NULL ? ", #k = :key" : "",
		    op->seq != NULL ? ", #q = :seq" : "",
		    op->done ? ", #d = :true REMOVE #o, #t, #n" : "");
		upd = u;
		cond = "#o = :me AND #t = :tenure";
		break;
	case LEASE_OP_RELEASE:
		/* Handed over: the tenure is the new counter, which the next
		 * owner reads and claims afresh (an "orphan" for it). */
		upd = op->next != NULL ? "SET #c = #c + :one, #o = :next, "
					 "#t = #c + :one REMOVE #n" :
					 "SET #c = #c + :one REMOVE #o, #t, #n";
		cond = "#o = :me AND #t = :tenure";
		break;
	case LEASE_OP_HANDOFF:
		/* The counter stays: a request must not keep a dead owner's
		 * lease looking alive. */
		upd = "SET #n = :me";
		cond = "#o = :owner AND #t = :tenure AND "
		       "attribute_not_exists(#n)";
		break;
	}
	if (buf_adds(b, ",\"UpdateExpression\":") == -1 ||
	    buf_json_str(b, upd) == -1 ||
	    buf_adds(b, ",\"ConditionExpression\":") == -1 ||
	    buf_json_str(b, cond) == -1 ||
	    buf_adds(b, ",\"ExpressionAttributeNames\":{") == -1)
		return -1;
	for (i = 0; i < sizeof(lease_names) / sizeof(lease_names[0]); i++) {
		if (!lease_uses(upd, lease_names[i].ph) &&
		    !lease_uses(cond, lease_names[i].ph))
			continue;
		if (buf_printf(b, "%s\"%s\":\"%s\"", first ? "" : ",",
			lease_names[i].ph, lease_names[i].name) == -1)
			return -1;
		first = 0;
	}
	first = 1;
	if (buf_adds(b, "},\"ExpressionAttributeValues\":{") == -1 ||
	    lease_val(b, upd, cond, &first, ":one", 'N', NULL, 1) == -1 ||
	    lease_val(b, upd, cond, &first, ":me", 'S', op->me, 0) == -1 ||
	    lease_val(b, upd, cond, &first, ":owner", 'S', op->owner, 0) ==
		-1 ||
	    lease_val(b, upd, cond, &first, ":next", 'S', op->next, 0) == -1 ||
	    lease_val(b, upd, cond, &first, ":seen", 'N', NULL, op->seen) ==
		-1 ||
	    lease_val(b, upd, cond, &first, ":new", 'N', NULL, op->seen + 1) ==
		-1 ||
	    lease_val(b, upd, cond, &first, ":tenure", 'N', NULL, op->tenure) ==
		-1 ||
	    lease_val(b, upd, cond, &first, ":wall", 'N', NULL,
		(uint64_t)op->wall_ms) == -1 ||
	    lease_val(b, upd, cond, &first, ":lms", 'N', NULL,
		(uint64_t)op->lease_ms) == -1 ||
	    lease_val(b, upd, cond, &first, ":items", 'N', NULL, op->items) ==
		-1 ||
	    lease_val(b, upd, cond, &first, ":scanned", 'N', NULL,
		op->scanned) == -1 ||
	    lease_val(b, upd, cond, &first, ":expired", 'N', NULL,
		op->expired) == -1 ||
	    lease_val(b, upd, cond, &first, ":key", 'S', op->last_key, 0) ==
		-1 ||
	    lease_val(b, upd, cond, &first, ":seq", 'S', op->seq, 0) == -1 ||
	    lease_val(b, upd, cond, &first, ":true", 'B', NULL, 0) == -1 ||
	    buf_addc(b, '}') == -1)
		return -1;
	/* A renewal's answer tells whether another host asked for it; a
	 * failed condition's, what the item is now. */
	if (op->kind == LEASE_OP_RENEW &&
	    buf_adds(b, ",\"ReturnValues\":\"ALL_NEW\"") == -1)
		return -1;
	return buf_adds(b,
	    ",\"ReturnValuesOnConditionCheckFailure\":"
	    "\"ALL_OLD\"}");
}

static const char *const lease_kinds[] = { "pair", "segment", "shard", "host" };

int
lease_put_unit_body(struct buf *b, const char *table, const char *pair,
    const char *unit, enum lease_kind kind, uint32_t segment,
    const char *shard_id, const char *parent_unit)
{
	if (lease_key(b, table, pair, unit, "Item") == -1)
		return -1;
	b->len--; /* reopen the Item map */
	b->data[b->len] = '\0';
	if (lease_sval(b, "kind", lease_kinds[kind]) == -1 ||
	    lease_nval(b, "counter", 0) == -1 ||
	    buf_adds(b, ",\"done\":{\"BOOL\":false}") == -1)
		return -1;
	if (kind == LEASE_SEGMENT && lease_nval(b, "segment", segment) == -1)
		return -1;
	if (kind == LEASE_SHARD &&
	    (lease_sval(b, "shard", shard_id) == -1 ||
		(parent_unit != NULL &&
		    lease_sval(b, "parent", parent_unit) == -1)))
		return -1;
	return buf_adds(b,
	    "},\"ConditionExpression\":"
	    "\"attribute_not_exists(#u)\",\"ExpressionAttributeNames\":"
	    "{\"#u\":\"" LEASE_RANGE "\"}}");
}

int
lease_put_pair_body(struct buf *b, const char *table, const char *pair,
    uint32_t total_segments, int backfill, int stream, const char *src,
    const char *dst)
{
	if (lease_key(b, table, pair, LEASE_PAIR_UNIT, "Item") == -1)
		return -1;
	b->len--;
	b->data[b->len] = '\0';
	if (lease_sval(b, "kind", "pair") == -1 ||
	    lease_nval(b, "counter", 0) == -1 ||
	    lease_nval(b, "total_segments", total_segments) == -1 ||
	    buf_printf(b,
		",\"backfill\":{\"BOOL\":%s},\"stream\":"
		"{\"BOOL\":%s},\"stop\":{\"BOOL\":false}",
		backfill ? "true" : "false", stream ? "true" : "false") == -1 ||
	    lease_sval(b, "src", src) == -1 || lease_sval(b, "dst", dst) == -1)
		return -1;
	return buf_adds(b,
	    "},\"ConditionExpression\":"
	    "\"attribute_not_exists(#u)\",\"ExpressionAttributeNames\":"
	    "{\"#u\":\"" LEASE_RANGE "\"},"
	    "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}");
}

int
lease_backfill_start_body(struct buf *b, const char *table, const char *pair,
    int64_t server_ms)
{
	if (lease_key(b, table, pair, LEASE_PAIR_UNIT, "Key") == -1 ||
	    buf_adds(b,
		",\"UpdateExpression\":\"SET #b = :t\","
		"\"ConditionExpression\":\"attribute_exists(#u) AND "
		"attribute_not_exists(#b)\",\"ExpressionAttributeNames\":"
		"{\"#b\":\"backfill_started\",\"#u\":\"" LEASE_RANGE "\"},"
		"\"ExpressionAttributeValues\":{") == -1 ||
	    buf_printf(b, "\":t\":{\"N\":\"%lld\"}}", (long long)server_ms) ==
		-1)
		return -1;
	return buf_adds(b,
	    ",\"ReturnValuesOnConditionCheckFailure\":"
	    "\"ALL_OLD\"}");
}

int
lease_query_body(struct buf *b, const char *table, const char *pair,
    const char *lek, size_t leklen)
{
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1 ||
	    buf_adds(b,
		",\"KeyConditionExpression\":\"#p = :p\","
		"\"ExpressionAttributeNames\":{\"#p\":\"" LEASE_HASH "\"},"
		"\"ExpressionAttributeValues\":{\":p\":{\"S\":") == -1 ||
	    buf_json_str(b, pair) == -1 ||
	    buf_adds(b, "}},\"ConsistentRead\":true") == -1)
		return -1;
	if (lek != NULL && leklen > 0 &&
	    (buf_adds(b, ",\"ExclusiveStartKey\":") == -1 ||
		buf_add(b, lek, leklen) == -1))
		return -1;
	return buf_addc(b, '}');
}

int
lease_get_body(struct buf *b, const char *table, const char *pair,
    const char *unit)
{
	if (lease_key(b, table, pair, unit, "Key") == -1)
		return -1;
	return buf_adds(b, ",\"ConsistentRead\":true}");
}

int
lease_delete_done_body(struct buf *b, const char *table, const char *pair,
    const char *unit)
{
	if (lease_key(b, table, pair, unit, "Key") == -1)
		return -1;
	return buf_adds(b,
	    ",\"ConditionExpression\":\"#d = :t\","
	    "\"ExpressionAttributeNames\":{\"#d\":\"done\"},"
	    "\"ExpressionAttributeValues\":{\":t\":{\"BOOL\":true}}}");
}

int
lease_host_body(struct buf *b, const char *table, const char *host_id,
    const char *hostname, int64_t wall_ms, int64_t lease_ms)
{
	if (lease_key(b, table, LEASE_HOSTS, host_id, "Key") == -1 ||
	    buf_adds(b,
		",\"UpdateExpression\":\"SET #o = :me, #k = :host, "
		"#h = :name, #w = :wall, #l = :lms ADD #c :one\","
		"\"ExpressionAttributeNames\":{\"#o\":\"owner\","
		"\"#k\":\"kind\",\"#h\":\"hostname\",\"#w\":\"renewed\","
		"\"#l\":\"lease_ms\",\"#c\":\"counter\"},"
		"\"ExpressionAttributeValues\":{\":me\":{\"S\":") == -1 ||
	    buf_json_str(b, host_id) == -1 ||
	    buf_adds(b, "},\":host\":{\"S\":\"host\"},\":name\":{\"S\":") ==
		-1 ||
	    buf_json_str(b, hostname) == -1 ||
	    buf_printf(b,
		"},\":wall\":{\"N\":\"%lld\"},\":lms\":{\"N\":\"%lld\"},"
		"\":one\":{\"N\":\"1\"}}}",
		(long long)wall_ms, (long long)lease_ms) == -1)
		return -1;
	return 0;
}

int
lease_stop_body(struct buf *b, const char *table, const char *pair, int stop)
{
	if (lease_key(b, table, pair, LEASE_PAIR_UNIT, "Key") == -1)
		return -1;
	return buf_printf(b,
	    ",\"UpdateExpression\":\"SET #x = :x, "
	    "#c = #c + :one\",\"ConditionExpression\":\"attribute_exists(#u)\","
	    "\"ExpressionAttributeNames\":{\"#x\":\"stop\",\"#c\":\"counter\","
	    "\"#u\":\"" LEASE_RANGE "\"},\"ExpressionAttributeValues\":"
	    "{\":x\":{\"BOOL\":%s},\":one\":{\"N\":\"1\"}}}",
	    stop ? "true" : "false");
}

int
lease_create_table_body(struct buf *b, const char *table)
{
	if (buf_adds(b, "{\"TableName\":") == -1 ||
	    buf_json_str(b, table) == -1)
		return -1;
	return buf_adds(b,
	    ",\"AttributeDefinitions\":["
	    "{\"AttributeName\":\"" LEASE_HASH "\",\"AttributeType\":\"S\"},"
	    "{\"AttributeName\":\"" LEASE_RANGE "\",\"AttributeType\":\"S\"}],"
	    "\"KeySchema\":["
	    "{\"AttributeName\":\"" LEASE_HASH "\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"" LEASE_RANGE "\",\"KeyType\":\"RANGE\"}],"
	    "\"BillingMode\":\"PAY_PER_REQUEST\"}");
}

int
lease_check_schema(const struct ddb_table *t, const char *table, char *err,
    size_t errlen)
{
	char has[700], hn[256], rn[256];

	if (strcmp(t->hash.name, LEASE_HASH) == 0 &&
	    strcmp(t->hash.type, "S") == 0 &&
	    strcmp(t->range.name, LEASE_RANGE) == 0 &&
	    strcmp(t->range.type, "S") == 0)
		return 0;
	fmt_printable_str(hn, sizeof(hn), t->hash.name);
	fmt_printable_str(rn, sizeof(rn), t->range.name);
	if (t->range.name[0] != '\0')
		(void)snprintf(has, sizeof(has), "HASH %s (%s), RANGE %s (%s)",
		    hn, t->hash.type, rn, t->range.type);
	else
		(void)snprintf(has, sizeof(has), "HASH %s (%s) and no sort key",
		    hn, t->hash.type);
	(void)snprintf(err, errlen,
	    "coordination table %s has the key schema "
	    "%s, but a coordination table needs HASH " LEASE_HASH
	    " (S), RANGE " LEASE_RANGE
	    " (S): name another table in coordination.table (a "
	    "missing one is made by --create-coordination-table)",
	    table, has);
	return -1;
}
