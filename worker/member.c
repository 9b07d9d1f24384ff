/* member.c: a pair's worker as one member of a fleet (docs/fleet.md). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "hmap.h"
#include "lease.h"
#include "lineage.h"
#include "member.h"
#include "log.h"
#include "settings.h"
#include "worker.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * Each pair's worker claims, renews, checkpoints and releases the leases
 * of its own pair's segments, with the conditional writes of lease.c; the
 * host id is the supervisor's, so every worker of one host is the same
 * member. A unit has one call slot: its claim, renewals, checkpoints and
 * release go one after the other, never two at once, so a checkpoint can
 * never race its own renewal. Writes are fenced by owner and tenure, and
 * a unit whose writes stop succeeding stops at its deadline (L - M after
 * the send of the last success), before anyone may take it. Every time
 * here is CLOCK_BOOTTIME: a suspended machine's deadlines pass too.
 */

#define CCF "ConditionalCheckFailedException"

struct fl_unit {
	struct member *f;
	enum lease_kind kind;
	size_t idx;  /* segment: in w->ckpt.segments, = its number */
	char *shard; /* shard: its id */
	char *name;  /* the lease's unit */
	int held;
	int releasing; /* hand it back once its writes are in */
	int decline;   /* the next renewal removes another's request */
	char *release_to;
	uint64_t tenure;
	int64_t ok_sent_ms; /* send time of the last write that succeeded */
	int64_t ck_sent_ms;
	int dirty; /* progress not yet in the lease */
	struct aws_call call;
	int busy;
	enum lease_op_kind op;
	int op_done; /* the checkpoint in flight says done */
	int64_t sent_ms;
	/* A claim in flight: the lease's progress when it was read (the
	 * claim's condition proves it unchanged). */
	enum lease_why why;
	uint64_t seen;
	char *c_key; /* segment: last_key; shard: seq */
	uint64_t c_items, c_scanned, c_expired;
};

/* A shard item to create (parents first) or delete, from a listing. */
struct fl_new {
	char *unit;
	char *shard;
	char *parent; /* the parent's unit, or NULL */
	int del;      /* done and no longer listed: delete its item */
};

struct member {
	struct worker *w;
	struct member_conf *conf;
	struct aws_client cl;
	struct creds_provider *creds; /* owned when a role is assumed */
	struct member_hooks hooks;
	char hostname[256];
	struct fl_unit **u; /* segments first, in order, then shards */
	size_t nu;
	size_t ucap;
	size_t nseg;
	struct hmap byname; /* unit -> fl_unit */
	struct member_shard_hooks sh;
	int sh_on;
	struct fl_new *newq; /* shard items to create */
	size_t nnew;
	size_t newcap;
	struct aws_call ccall;
	int cbusy;
	int64_t lease_ms, renew_ms, margin_ms, round_ms;

	struct lease_set set;  /* the last snapshot, sorted */
	struct lease_set next; /* the one being read */
	struct lease_view view;
	struct aws_call qcall; /* the round's Query pages */
	int qbusy;
	int qhosts;	       /* reading LEASE_HOSTS' items */
	struct aws_call hcall; /* heartbeat */
	int hbusy;
	struct aws_call xcall; /* a handoff request */
	int xbusy;
	int64_t round_next_ms;
	int snapshot;	 /* a round has completed */
	int stopped;	 /* the pair's fleet-wide stop flag, as last seen */
	uint64_t pruned; /* shard items deleted (aged out) */
	int failed;	 /* the table is gone: worker_fail was called */
	int done;	 /* its snapshot: every segment of the pair done */
	uint64_t lost;
	uint64_t cond_failed;
	int64_t warned_ms;
};

int
member_conf_flag(struct member_conf *c, const char *name, const char *val)
{
	char **slot = NULL;

	if (strcmp(name, "coord-allow-insecure-http") == 0) {
		c->allow_insecure_http = 1;
		return 1;
	}
	if (strcmp(name, "coord-table") == 0)
		slot = &c->table;
	else if (strcmp(name, "coord-region") == 0)
		slot = &c->region;
	else if (strcmp(name, "coord-role-arn") == 0)
		slot = &c->role_arn;
	else if (strcmp(name, "coord-endpoint-url") == 0)
		slot = &c->endpoint;
	else if (strcmp(name, "host-id") == 0)
		slot = &c->host_id;
	if (slot == NULL)
		return 0;
	if (val == NULL || *val == '\0') {
		fprintf(stderr, "ddb-sync-worker: --%s needs a value\n", name);
		return -1;
	}
	free(*slot);
	*slot = xstrdup(val);
	return 1;
}

void
member_conf_clear(struct member_conf *c)
{
	free(c->table);
	free(c->region);
	free(c->role_arn);
	free(c->endpoint);
	free(c->host_id);
	memset(c, 0, sizeof(*c));
}

int
member_open(struct worker *w)
{
	struct member_conf *c = &w->mconf;
	struct member *f;
	char err[512];

	if (c->region == NULL || c->host_id == NULL) {
		worker_fail(w, WORKER_EXIT_CONFIG, "BadFleet",
		    "--coord-table needs --coord-region and --host-id");
		return -1;
	}
	f = xcalloc(1, sizeof(*f));
	f->w = w;
	f->conf = c;
	w->member = f;
	f->creds = w->base_creds;
	if (c->role_arn != NULL) {
		f->creds = creds_assume_role_new(w->base_creds, c->role_arn,
		    c->region, NULL, NULL);
		creds_allow_insecure_http(f->creds, c->allow_insecure_http);
	}
	if (aws_client_init(&f->cl, w->http, ENDPOINT_DYNAMODB, c->region,
		c->endpoint, f->creds, &w->stats, err, sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "BadEndpoint",
		    "coordination table: %s", err);
		return -1;
	}
	if (endpoint_check_secure(&f->cl.eu, f->cl.url, "coordination table",
		c->allow_insecure_http, err, sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "InsecureEndpoint", "%s",
		    err);
		return -1;
	}
	strlcpy(f->cl.label, "coordination table", sizeof(f->cl.label));
	f->lease_ms = settings_int(SETTING_LEASE_MS);
	f->renew_ms = settings_int(SETTING_LEASE_RENEW_MS);
	f->margin_ms = settings_int(SETTING_LEASE_MARGIN_MS);
	f->round_ms = settings_int(SETTING_LEASE_ROUND_MS);
	if (f->margin_ms >= f->lease_ms ||
	    f->renew_ms >= f->lease_ms - f->margin_ms) {
		worker_fail(w, WORKER_EXIT_CONFIG, "BadFleet",
		    "lease timers: DDB_SYNC_LEASE_RENEW_MS (%lld) must be less "
		    "than DDB_SYNC_LEASE_MS (%lld) minus "
		    "DDB_SYNC_LEASE_MARGIN_MS (%lld)",
		    (long long)f->renew_ms, (long long)f->lease_ms,
		    (long long)f->margin_ms);
		return -1;
	}
	/* A lease write that hangs must give up before the deadline. */
	if (f->cl.policy.timeout_ms > f->margin_ms)
		f->cl.policy.timeout_ms = (long)f->margin_ms;
	/* A destination write sent before the deadline must land before
	 * anyone may take the lease (docs/fleet.md, "Timeouts"). */
	if (w->dst.policy.timeout_ms > f->margin_ms * 2 / 3)
		w->dst.policy.timeout_ms = (long)(f->margin_ms * 2 / 3);
	if (gethostname(f->hostname, sizeof(f->hostname)) == -1)
		strlcpy(f->hostname, "unknown", sizeof(f->hostname));
	f->hostname[sizeof(f->hostname) - 1] = '\0';
	aws_call_init(&f->qcall, &f->cl, "Query");
	aws_call_init(&f->hcall, &f->cl, "UpdateItem");
	aws_call_init(&f->xcall, &f->cl, "UpdateItem");
	aws_call_init(&f->ccall, &f->cl, "PutItem");
	hmap_init(&f->byname);
	log_info("Fleet member %s: coordination table %s (%s)", c->host_id,
	    c->table, c->region);
	return 0;
}

void
member_free(struct worker *w)
{
	struct member *f = w->member;

	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nu; i++) {
		aws_call_cleanup(&f->u[i]->call);
		free(f->u[i]->release_to);
		free(f->u[i]->c_key);
		free(f->u[i]->name);
		free(f->u[i]->shard);
		free(f->u[i]);
	}
	free(f->u);
	hmap_clear(&f->byname);
	for (size_t i = 0; i < f->nnew; i++) {
		free(f->newq[i].unit);
		free(f->newq[i].shard);
		free(f->newq[i].parent);
	}
	free(f->newq);
	aws_call_cleanup(&f->ccall);
	aws_call_cleanup(&f->qcall);
	aws_call_cleanup(&f->hcall);
	aws_call_cleanup(&f->xcall);
	lease_set_clear(&f->set);
	lease_set_clear(&f->next);
	lease_view_clear(&f->view);
	aws_client_clear(&f->cl);
	if (f->creds != w->base_creds)
		creds_provider_free(f->creds);
	free(f);
	w->member = NULL;
}

/* Trouble with the table, said at most every few seconds. */
static void
fl_warn(struct member *f, const char *what, const struct aws_call *c)
{
	int64_t now = clock_boot_ms();

	/* Deleted while running: no lease can be proven any more. */
	if (c->status == AWS_NOT_FOUND && !f->failed) {
		f->failed = 1;
		worker_fail(f->w, WORKER_EXIT_CONFIG, "CoordinationTableGone",
		    "coordination table %s: %s: %s: it was deleted or this "
		    "host may no longer use it; this pair's work stops here "
		    "(its leases expire for the other hosts)",
		    f->conf->table, what, c->msg);
		return;
	}
	if (f->failed)
		return;
	if (now - f->warned_ms < 5000)
		return;
	f->warned_ms = now;
	log_warnx("coordination table %s: %s failed: %s: %s; retrying",
	    f->conf->table, what, c->code, c->msg);
}

/* A synchronous call at setup. AWS_OK, or the status (said). */
static enum aws_status
fl_sync(struct member *f, struct aws_call *c, const char *what, int ccf_ok)
{
	enum aws_status st;

	c->give_up_ms = (uint64_t)f->w->preflight_ms;
	st = aws_call_sync(c);
	if (st == AWS_OK || st == AWS_STOPPED)
		return st;
	if (ccf_ok && strcmp(c->code, CCF) == 0)
		return AWS_OK;
	worker_fail(f->w,
	    st == AWS_NOT_FOUND || st == AWS_DENIED ? WORKER_EXIT_CONFIG :
						      worker_exit_for(st),
	    "CoordinationError", "coordination table %s: %s failed: %s: %s",
	    f->conf->table, what, c->code, c->msg);
	return st;
}

/* Every item of pair (all pages) added to set. 0, 1 stopped, -1. */
static int
fl_query_sync(struct member *f, const char *pair, struct lease_set *set)
{
	struct aws_call c;
	struct jspan lek = { NULL, 0 };
	char *lekc = NULL, err[256];
	enum aws_status st;
	int rc = 0;

	do {
		aws_call_init(&c, &f->cl, "Query");
		if (lease_query_body(&c.req, f->conf->table, pair, lekc,
			lekc != NULL ? strlen(lekc) : 0) == -1)
			fatalx("Query body");
		free(lekc);
		lekc = NULL;
		if ((st = fl_sync(f, &c, "Query", 0)) != AWS_OK) {
			rc = st == AWS_STOPPED ? 1 : -1;
		} else if (lease_parse_page(set, c.body, c.bodylen, &lek, err,
			       sizeof(err)) == -1) {
			worker_fail(f->w, WORKER_EXIT_CONFIG,
			    "CoordinationError", "coordination table %s: %s",
			    f->conf->table, err);
			rc = -1;
		} else if (lek.len > 0)
			lekc = xstrndup(lek.p, lek.len);
		aws_call_cleanup(&c);
	} while (rc == 0 && lekc != NULL);
	free(lekc);
	return rc;
}

/* The pair item, read strongly consistent into set (none: set->n is 0,
 * unless must). 0, 1 stopped, -1. */
static int
fl_get_pair(struct member *f, struct lease_set *set, int must)
{
	struct aws_call c;
	char err[256];
	int rc = 0, r;

	lease_set_clear(set);
	aws_call_init(&c, &f->cl, "GetItem");
	if (lease_get_body(&c.req, f->conf->table, f->w->pair->name,
		LEASE_PAIR_UNIT) == -1)
		fatalx("GetItem body");
	enum aws_status st = fl_sync(f, &c, "GetItem", 0);
	if (st != AWS_OK)
		rc = st == AWS_STOPPED ? 1 : -1;
	else if ((r = lease_parse_get(set, c.body, c.bodylen, err,
		      sizeof(err))) == -1 ||
	    (r == 0 && must)) {
		worker_fail(f->w, WORKER_EXIT_CONFIG, "CoordinationError",
		    "coordination table %s: the item of pair %s: %s",
		    f->conf->table, f->w->pair->name,
		    r == 0 ? "missing after it was written" : err);
		rc = -1;
	}
	aws_call_cleanup(&c);
	return rc;
}

static void
fl_heartbeat_body(struct member *f, struct buf *b)
{
	if (lease_host_body(b, f->conf->table, f->conf->host_id, f->hostname,
		wall_ms(), f->lease_ms) == -1)
		fatalx("heartbeat body");
}

/* A unit of the pair, known from now on (its name in the map). */
static struct fl_unit *
fl_unit_add(struct member *f, enum lease_kind kind, const char *name,
    size_t idx, const char *shard)
{
	struct fl_unit *u = xcalloc(1, sizeof(*u));

	u->f = f;
	u->kind = kind;
	u->idx = idx;
	u->name = xstrdup(name);
	u->shard = shard != NULL ? xstrdup(shard) : NULL;
	aws_call_init(&u->call, &f->cl, "UpdateItem");
	if (f->nu == f->ucap) {
		f->ucap = f->ucap ? f->ucap * 2 : 64;
		f->u = xrealloc(f->u, f->ucap * sizeof(*f->u));
	}
	f->u[f->nu++] = u;
	hmap_put(&f->byname, u->name, u);
	return u;
}

int
member_backfill_setup(struct worker *w, uint32_t total_wanted,
    const struct member_hooks *hooks)
{
	struct member *f = w->member;
	struct plan_pair *p = w->pair;
	struct lease_set set, got;
	struct lease *pl;
	struct aws_call c;
	char src[600], dst[600], unit[32];
	uint32_t total;
	int rc;

	memset(&set, 0, sizeof(set));
	memset(&got, 0, sizeof(got));
	if (hooks != NULL)
		f->hooks = *hooks;
	if (p->backfill && p->nsegments > 0) {
		worker_fail(w, WORKER_EXIT_CONFIG, "BadFleet",
		    "pair %s: 'segments' splits a table by hand; with a "
		    "coordination table the hosts share the segments "
		    "themselves: remove it",
		    p->name);
		return -1;
	}
	(void)snprintf(src, sizeof(src), "%s@%s", p->input.table,
	    p->input.region);
	(void)snprintf(dst, sizeof(dst), "%s@%s", p->output.table,
	    p->output.region);

	/* This host, so the others count it before it holds anything. */
	aws_call_init(&c, &f->cl, "UpdateItem");
	fl_heartbeat_body(f, &c.req);
	rc = fl_sync(f, &c, "UpdateItem (heartbeat)", 0) == AWS_OK ? 0 : -1;
	aws_call_cleanup(&c);
	if (rc == -1 || (rc = fl_get_pair(f, &got, 0)) == -1)
		goto done;
	if (rc == 1)
		goto done;
	if (got.n == 0) {
		/* Created once: the first host's segment count wins. */
		aws_call_init(&c, &f->cl, "PutItem");
		if (lease_put_pair_body(&c.req, f->conf->table, p->name,
			total_wanted, p->backfill, p->stream, src, dst) == -1)
			fatalx("PutItem body");
		rc = fl_sync(f, &c, "PutItem (pair)", 1) == AWS_OK ? 0 : -1;
		aws_call_cleanup(&c);
		if (rc == -1 || (rc = fl_get_pair(f, &got, 1)) != 0)
			goto done;
	}
	pl = &got.v[0];
	if (pl->src == NULL || pl->dst == NULL || strcmp(pl->src, src) != 0 ||
	    strcmp(pl->dst, dst) != 0 ||
	    (p->backfill && p->total_segments != 0 &&
		p->total_segments != pl->total_segments) ||
	    (p->backfill && pl->total_segments == 0) ||
	    pl->backfill != p->backfill) {
		worker_fail(w, WORKER_EXIT_CONFIG, "CheckpointMismatch",
		    "coordination table %s: pair %s was started as %s -> %s "
		    "%s; this host's plan says %s -> %s%s%s: every host must "
		    "run the same plan",
		    f->conf->table, p->name, pl->src ? pl->src : "?",
		    pl->dst ? pl->dst : "?",
		    pl->backfill ? "with a backfill" : "without a backfill",
		    src, dst,
		    p->backfill ? " with a backfill" : " without a backfill",
		    p->backfill && p->total_segments ?
			" of another segment count" :
			"");
		rc = -1;
		goto done;
	}
	total = pl->total_segments;
	if (pl->backfill_started == 0) {
		/* The handoff time, recorded once for every host. */
		aws_call_init(&c, &f->cl, "UpdateItem");
		if (lease_backfill_start_body(&c.req, f->conf->table, p->name,
			aws_server_ms(&w->src)) == -1)
			fatalx("backfill start body");
		rc = fl_sync(f, &c, "UpdateItem (backfill start)", 1) ==
			AWS_OK ?
		    0 :
		    -1;
		aws_call_cleanup(&c);
		if (rc == -1 || (rc = fl_get_pair(f, &got, 1)) != 0)
			goto done;
		pl = &got.v[0];
	}
	w->ckpt.total_segments = total;
	/* The handoff: the backfill's start, or without a backfill the
	 * stream's first start on any host. */
	if (p->backfill)
		w->ckpt.backfill_started_ms = pl->backfill_started;
	else
		w->ckpt.stream_started_ms = pl->backfill_started;

	/* The segments' items, created free by whoever comes first. */
	if ((rc = fl_query_sync(f, p->name, &set)) != 0)
		goto done;
	lease_set_sort(&set);
	for (uint32_t i = 0; i < total; i++) {
		lease_unit_segment(unit, sizeof(unit), i);
		if (lease_set_find(&set, p->name, unit) != NULL)
			continue;
		aws_call_init(&c, &f->cl, "PutItem");
		if (lease_put_unit_body(&c.req, f->conf->table, p->name, unit,
			LEASE_SEGMENT, i, NULL, NULL) == -1)
			fatalx("PutItem body");
		rc = fl_sync(f, &c, "PutItem (segment)", 1) == AWS_OK ? 0 : -1;
		aws_call_cleanup(&c);
		if (rc == -1)
			goto done;
	}
	for (uint32_t i = 0; i < total; i++) {
		struct lease *l;

		lease_unit_segment(unit, sizeof(unit), i);
		fl_unit_add(f, LEASE_SEGMENT, unit, i, NULL);
		checkpoint_add_segment(&w->ckpt, i);
		l = lease_set_find(&set, p->name, unit);
		if (l != NULL && l->done)
			w->ckpt.segments[i].done = 1;
	}
	f->nseg = total;
	/* Hosts that start together see each other's heartbeats first. */
	f->round_next_ms = clock_boot_ms() +
	    (f->round_ms < 2000 ? f->round_ms : 2000);
	if (p->backfill)
		log_info("Backfill across the fleet: %u segments, started at "
			 "%lld (server clock, recorded once for every host)",
		    total, (long long)w->ckpt.backfill_started_ms);
	else
		log_info("Stream across the fleet, from %lld (server clock, "
			 "recorded once for every host)",
		    (long long)w->ckpt.stream_started_ms);
done:
	lease_set_clear(&set);
	lease_set_clear(&got);
	return rc;
}

static void unit_done_cb(struct aws_call *, void *);
static void fl_create_next(struct member *);

/* The checkpoint entries of a unit (NULL: not that kind, or pruned). */
static struct ckpt_segment *
fl_seg(struct fl_unit *u)
{
	return u->kind == LEASE_SEGMENT ? &u->f->w->ckpt.segments[u->idx] :
					  NULL;
}

static struct ckpt_shard *
fl_shard(struct fl_unit *u)
{
	return u->kind == LEASE_SHARD ?
	    checkpoint_shard(&u->f->w->ckpt, u->shard) :
	    NULL;
}

static int
fl_drained(struct fl_unit *u)
{
	struct member *f = u->f;

	if (u->kind == LEASE_SEGMENT)
		return f->hooks.drained(f->hooks.arg, u->idx);
	return f->sh_on && f->sh.drained(f->sh.arg, u->shard);
}

static void
unit_send(struct fl_unit *u, enum lease_op_kind kind)
{
	struct member *f = u->f;
	struct ckpt_segment *ck = fl_seg(u);
	struct ckpt_shard *cs = fl_shard(u);
	struct lease_op op;

	memset(&op, 0, sizeof(op));
	op.kind = kind;
	op.pair = f->w->pair->name;
	op.unit = u->name;
	op.me = f->conf->host_id;
	op.tenure = u->tenure;
	op.seen = u->seen;
	op.wall_ms = wall_ms();
	op.lease_ms = f->lease_ms;
	u->op_done = 0;
	switch (kind) {
	case LEASE_OP_CHECKPOINT:
		if (ck != NULL) {
			op.items = ck->items;
			op.tally = 1;
			op.scanned = ck->scanned;
			op.expired = ck->expired;
			op.last_key = ck->last_key;
			op.done = u->op_done = ck->done;
		} else if (cs != NULL) {
			op.items = cs->items;
			op.seq = cs->seq;
			op.done = u->op_done = cs->done;
		}
		u->dirty = 0;
		u->ck_sent_ms = clock_boot_ms();
		break;
	case LEASE_OP_RENEW:
		op.decline = u->decline;
		break;
	case LEASE_OP_RELEASE:
		op.next = u->release_to;
		break;
	default:
		break;
	}
	aws_call_cleanup(&u->call);
	aws_call_init(&u->call, &f->cl, "UpdateItem");
	if (lease_op_body(&u->call.req, f->conf->table, &op) == -1)
		fatalx("lease write body");
	/* Past the deadline a retry is useless: the unit is lost anyway. */
	u->call.give_up_ms = (uint64_t)(f->lease_ms - f->margin_ms);
	u->op = kind;
	u->busy = 1;
	u->sent_ms = clock_boot_ms();
	aws_call_start(&u->call, unit_done_cb, u);
}

/* The lease is gone: stop at once, write nothing more for it. */
static void
unit_lost(struct fl_unit *u, const char *why)
{
	struct member *f = u->f;

	if (u->busy) {
		aws_call_abort(&u->call);
		u->busy = 0;
	}
	u->held = 0;
	u->releasing = 0;
	u->decline = 0;
	u->dirty = 0;
	free(u->release_to);
	u->release_to = NULL;
	f->lost++;
	log_warnx("Lease lost: %s: %s; stopped without a checkpoint (%llu "
		  "lost so far)",
	    u->name, why, (unsigned long long)f->lost);
	if (u->kind == LEASE_SEGMENT)
		f->hooks.lost(f->hooks.arg, u->idx);
	else if (f->sh_on)
		f->sh.lost(f->sh.arg, u->shard);
}

static void
unit_done_cb(struct aws_call *c, void *arg)
{
	struct fl_unit *u = arg;
	struct member *f = u->f;
	struct ckpt_segment *ck = fl_seg(u);
	struct ckpt_shard *cs = fl_shard(u);
	static const char *const whys[] = { "free", "orphan", "expired" };

	u->busy = 0;
	if (c->status == AWS_OK) {
		switch (u->op) {
		case LEASE_OP_CLAIM:
			u->held = 1;
			u->tenure = u->seen + 1;
			u->ok_sent_ms = u->sent_ms;
			u->ck_sent_ms = u->sent_ms;
			log_info("Lease claimed: %s (%s)%s", u->name,
			    whys[u->why],
			    u->c_key != NULL ?
				", resuming from its checkpoint" :
				"");
			/* Resume from the lease's checkpoint. */
			if (ck != NULL) {
				ck->items = u->c_items;
				ck->scanned = u->c_scanned;
				ck->expired = u->c_expired;
				free(ck->last_key);
				ck->last_key = u->c_key;
				u->c_key = NULL;
				ck->done = 0;
				f->hooks.claimed(f->hooks.arg, u->idx);
			} else if (cs != NULL && f->sh_on) {
				cs->items = u->c_items;
				free(cs->seq);
				cs->seq = u->c_key;
				u->c_key = NULL;
				cs->done = 0;
				f->sh.claimed(f->sh.arg, u->shard);
			} else {
				/* The stream ended meanwhile: give it back. */
				u->releasing = 1;
			}
			break;
		case LEASE_OP_CHECKPOINT:
			u->ok_sent_ms = u->sent_ms;
			if (u->op_done) {
				u->held = 0;
				u->releasing = 0;
				log_info("Lease done: %s (%llu %s)", u->name,
				    (unsigned long long)(ck != NULL ?
					    ck->items :
					    cs != NULL ? cs->items :
							 0),
				    ck != NULL ? "items" : "changes");
			}
			break;
		case LEASE_OP_RENEW:
			u->ok_sent_ms = u->sent_ms;
			u->decline = 0;
			break;
		case LEASE_OP_RELEASE:
			u->held = 0;
			u->releasing = 0;
			if (u->release_to != NULL)
				log_info("Lease released: %s to %s", u->name,
				    u->release_to);
			else
				log_info("Lease released: %s", u->name);
			free(u->release_to);
			u->release_to = NULL;
			break;
		default:
			break;
		}
		return;
	}
	if (strcmp(c->code, CCF) == 0) {
		if (u->op == LEASE_OP_CLAIM) {
			/* Another host was quicker: as it should be. */
			log_debug("claim of %s: taken by another host",
			    u->name);
			free(u->c_key);
			u->c_key = NULL;
			return;
		}
		f->cond_failed++;
		unit_lost(u, CCF ": another host holds it now");
		return;
	}
	if (u->op == LEASE_OP_CHECKPOINT)
		u->dirty = 1;
	if (u->op == LEASE_OP_CLAIM) {
		free(u->c_key);
		u->c_key = NULL;
	}
	fl_warn(f, u->name, c);
}

static void round_query(struct member *);

static struct fl_unit *
fl_unit_of(struct member *f, const struct lease *l)
{
	return hmap_get(&f->byname, l->unit);
}

static void
fl_claim(struct member *f, const struct lease_claim *cl)
{
	const struct lease *l = &f->set.v[cl->idx];
	struct fl_unit *u = fl_unit_of(f, l);

	if (u == NULL || u->busy || u->held)
		return;
	/* A shard only while the stream runs, has a reader for it, and
	 * nothing of an earlier tenure is in flight. */
	if (u->kind == LEASE_SHARD &&
	    (!f->sh_on || fl_shard(u) == NULL || !fl_drained(u)))
		return;
	u->why = cl->why;
	u->seen = cl->seen;
	free(u->c_key);
	u->c_key = u->kind == LEASE_SEGMENT ?
	    (l->last_key != NULL ? xstrdup(l->last_key) : NULL) :
	    (l->seq != NULL ? xstrdup(l->seq) : NULL);
	u->c_items = l->items;
	u->c_scanned = l->scanned;
	u->c_expired = l->expired;
	unit_send(u, LEASE_OP_CLAIM);
}

static void
xcall_cb(struct aws_call *c, void *arg)
{
	struct member *f = arg;

	f->xbusy = 0;
	if (c->status != AWS_OK && strcmp(c->code, CCF) != 0)
		fl_warn(f, "a handoff request", c);
}

static void
hcall_cb(struct aws_call *c, void *arg)
{
	struct member *f = arg;

	f->hbusy = 0;
	if (c->status != AWS_OK)
		fl_warn(f, "the heartbeat", c);
}

/* A round's snapshot is complete: observe, decide, act. */
static void
round_process(struct member *f)
{
	struct worker *w = f->w;
	struct lease_decision d;
	struct lease_params prm;
	int64_t now = clock_boot_ms();
	uint32_t done = 0;

	lease_set_clear(&f->set);
	f->set = f->next;
	memset(&f->next, 0, sizeof(f->next));
	lease_set_sort(&f->set);
	for (size_t i = 0; i < f->set.n; i++) {
		struct lease *l = &f->set.v[i];
		struct fl_unit *u = fl_unit_of(f, l);

		if (u == NULL && l->kind == LEASE_SHARD &&
		    strcmp(l->pair, w->pair->name) == 0 &&
		    strncmp(l->unit, "shard#", 6) == 0)
			u = fl_unit_add(f, LEASE_SHARD, l->unit, 0,
			    l->unit + 6);
		if (u == NULL)
			continue;
		if (u->kind == LEASE_SHARD && l->done && !u->held) {
			struct ckpt_shard *cs = fl_shard(u);

			/* Done on some host: its children may go, and a
			 * listing without it is no gap. */
			if (cs != NULL && !cs->done) {
				cs->done = 1;
				free(cs->seq);
				cs->seq = NULL;
				if (f->sh_on)
					f->sh.done(f->sh.arg, u->shard);
			}
			continue;
		}
		if (u->held && l->owner != NULL &&
		    strcmp(l->owner, f->conf->host_id) == 0 &&
		    l->tenure == u->tenure)
			l->held = 1;
		/* A claim in flight is not an orphan. */
		if (u->busy && u->op == LEASE_OP_CLAIM)
			l->held = 1;
		if (l->done)
			done++;
	}
	/* The fleet-wide stop flag (ctl fleet stop): said when it changes;
	 * lease_decide then releases what this host holds and takes none. */
	{
		const struct lease *pl = lease_set_find(&f->set, w->pair->name,
		    LEASE_PAIR_UNIT);
		int stop = pl != NULL && pl->stop;

		if (stop != f->stopped)
			log_info(stop ? "Pair stopped across the fleet: its "
					"leases are released and none is "
					"taken until it is started again" :
					"Pair started again across the fleet");
		f->stopped = stop;
	}
	lease_observe(&f->view, &f->set, now);
	f->done = lease_backfill_done(&f->set, w->pair->name);
	f->snapshot = 1;
	w->prog.segments_total = (uint32_t)f->nseg;
	w->prog.segments_done = done;

	memset(&d, 0, sizeof(d));
	memset(&prm, 0, sizeof(prm));
	prm.me = f->conf->host_id;
	prm.now_ms = now;
	prm.lease_ms = f->lease_ms;
	prm.max_take = LEASE_MAX_TAKE;
	lease_decide(&f->set, &f->view, &prm, &d);
	if (!worker_stop) {
		for (size_t i = 0; i < d.nclaims; i++)
			fl_claim(f, &d.claims[i]);
		if (d.handoff != SIZE_MAX && !f->xbusy) {
			const struct lease *l = &f->set.v[d.handoff];
			struct lease_op op;

			memset(&op, 0, sizeof(op));
			op.kind = LEASE_OP_HANDOFF;
			op.pair = l->pair;
			op.unit = l->unit;
			op.me = f->conf->host_id;
			op.owner = l->owner;
			op.tenure = l->tenure;
			aws_call_cleanup(&f->xcall);
			aws_call_init(&f->xcall, &f->cl, "UpdateItem");
			if (lease_op_body(&f->xcall.req, f->conf->table, &op) ==
			    -1)
				fatalx("handoff body");
			f->xbusy = 1;
			log_debug("asking %s for %s", l->owner, l->unit);
			aws_call_start(&f->xcall, xcall_cb, f);
		}
	}
	for (size_t i = 0; i < d.nrelease; i++) {
		const struct lease *l = &f->set.v[d.release[i]];
		struct fl_unit *u = fl_unit_of(f, l);

		if (u == NULL || !u->held || u->releasing)
			continue;
		u->releasing = 1;
		free(u->release_to);
		u->release_to = l->next != NULL ? xstrdup(l->next) : NULL;
		log_info("Lease %s: handing it over%s%s once its writes are "
			 "in",
		    u->name, u->release_to ? " to " : " (pair stopped)",
		    u->release_to ? u->release_to : "");
	}
	for (size_t i = 0; i < d.ndecline; i++) {
		struct fl_unit *u = fl_unit_of(f, &f->set.v[d.decline[i]]);

		if (u != NULL && u->held)
			u->decline = 1;
	}
	lease_decision_clear(&d);
	f->round_next_ms = now + f->round_ms;
}

static void
qcall_cb(struct aws_call *c, void *arg)
{
	struct member *f = arg;
	struct jspan lek;
	char err[256], *lekc;

	f->qbusy = 0;
	if (c->status != AWS_OK) {
		fl_warn(f, "Query", c);
		lease_set_clear(&f->next);
		f->round_next_ms = clock_boot_ms() + f->round_ms;
		return;
	}
	if (lease_parse_page(&f->next, c->body, c->bodylen, &lek, err,
		sizeof(err)) == -1) {
		log_warnx("coordination table %s: a Query answer: %s",
		    f->conf->table, err);
		lease_set_clear(&f->next);
		f->round_next_ms = clock_boot_ms() + f->round_ms;
		return;
	}
	if (lek.len > 0) {
		lekc = xstrndup(lek.p, lek.len);
		aws_call_cleanup(&f->qcall);
		aws_call_init(&f->qcall, &f->cl, "Query");
		if (lease_query_body(&f->qcall.req, f->conf->table,
			f->qhosts ? LEASE_HOSTS : f->w->pair->name, lekc,
			strlen(lekc)) == -1)
			fatalx("Query body");
		free(lekc);
		f->qbusy = 1;
		aws_call_start(&f->qcall, qcall_cb, f);
		return;
	}
	if (!f->qhosts) {
		f->qhosts = 1;
		round_query(f);
		return;
	}
	round_process(f);
}

/* A round starts with the pair's items, then the hosts' heartbeats. */
static void
round_query(struct member *f)
{
	if (!f->qhosts)
		lease_set_clear(&f->next);
	aws_call_cleanup(&f->qcall);
	aws_call_init(&f->qcall, &f->cl, "Query");
	if (lease_query_body(&f->qcall.req, f->conf->table,
		f->qhosts ? LEASE_HOSTS : f->w->pair->name, NULL, 0) == -1)
		fatalx("Query body");
	f->qbusy = 1;
	f->qcall.give_up_ms = (uint64_t)f->round_ms * 3;
	aws_call_start(&f->qcall, qcall_cb, f);
}

static void
unit_tick(struct fl_unit *u, int64_t now)
{
	struct member *f = u->f;
	struct ckpt_segment *ck = fl_seg(u);
	struct ckpt_shard *cs = fl_shard(u);
	int done = ck != NULL ? ck->done : cs != NULL ? cs->done : 0;

	if (!u->held)
		return;
	if (now - u->ok_sent_ms >= f->lease_ms - f->margin_ms) {
		unit_lost(u, "deadline: no lease write succeeded in time");
		return;
	}
	if (u->busy)
		return;
	if (u->releasing &&
	    (fl_drained(u) || (u->kind == LEASE_SHARD && !f->sh_on))) {
		unit_send(u, u->dirty ? LEASE_OP_CHECKPOINT : LEASE_OP_RELEASE);
		return;
	}
	if (u->dirty &&
	    (done || now - u->ck_sent_ms >= f->w->ckpt_interval_ms)) {
		unit_send(u, LEASE_OP_CHECKPOINT);
		return;
	}
	if (now - u->ok_sent_ms >= f->renew_ms)
		unit_send(u, LEASE_OP_RENEW);
}

void
member_tick(struct member *f)
{
	int64_t now = clock_boot_ms();
	uint32_t held = 0;

	for (size_t i = 0; i < f->nu; i++) {
		unit_tick(f->u[i], now);
		held += f->u[i]->held;
	}
	/* For the status table, ctl status and /metrics. */
	f->w->prog.leases_held = held;
	f->w->prog.leases_lost = f->lost;
	f->w->prog.lease_conflicts = f->cond_failed;
	fl_create_next(f);
	if (!f->qbusy && now >= f->round_next_ms && !worker_stop) {
		f->qhosts = 0;
		round_query(f);
		if (!f->hbusy) {
			aws_call_cleanup(&f->hcall);
			aws_call_init(&f->hcall, &f->cl, "UpdateItem");
			fl_heartbeat_body(f, &f->hcall.req);
			f->hbusy = 1;
			aws_call_start(&f->hcall, hcall_cb, f);
		}
	}
}

int
member_failed(const struct member *f)
{
	return f != NULL && f->failed;
}

/* Held and before its deadline: a write for it may be sent (whether or
 * not it is being handed over, which waits for its writes). */
static int
fl_may_write(const struct fl_unit *u)
{
	const struct member *f = u->f;

	return u->held &&
	    clock_boot_ms() - u->ok_sent_ms < f->lease_ms - f->margin_ms;
}

int
member_seg_workable(const struct member *f, size_t idx)
{
	return fl_may_write(f->u[idx]) && !f->u[idx]->releasing;
}

int
member_seg_may_write(const struct member *f, size_t idx)
{
	return idx < f->nseg && fl_may_write(f->u[idx]);
}

/* The unit of shard id, or NULL. */
static struct fl_unit *
fl_shard_unit(const struct member *f, const char *id)
{
	char unit[160];

	lease_unit_shard(unit, sizeof(unit), id);
	return hmap_get(&f->byname, unit);
}

int
member_shard_may_write(const struct member *f, const char *id)
{
	const struct fl_unit *u = fl_shard_unit(f, id);

	return u != NULL && fl_may_write(u);
}

void
member_seg_changed(struct member *f, size_t idx)
{
	if (f->u[idx]->held)
		f->u[idx]->dirty = 1;
}

int
member_backfill_done(struct member *f)
{
	struct ckpt_segment *ck;
	const struct lease *l;

	if (!f->snapshot || !f->done)
		return 0;
	for (size_t i = 0; i < f->nseg; i++)
		if (f->u[i]->held || f->u[i]->busy)
			return 0;
	/* The fleet's tally, for backfill_tally. */
	for (size_t i = 0; i < f->nseg; i++) {
		ck = &f->w->ckpt.segments[i];
		if ((l = lease_set_find(&f->set, f->w->pair->name,
			 f->u[i]->name)) == NULL)
			return 0;
		ck->items = l->items;
		ck->scanned = l->scanned;
		ck->expired = l->expired;
		ck->done = 1;
	}
	return 1;
}

static void
ccall_cb(struct aws_call *c, void *arg)
{
	struct member *f = arg;

	f->cbusy = 0;
	if (c->status != AWS_OK && strcmp(c->code, CCF) != 0) {
		fl_warn(f,
		    f->newq[0].del ? "DeleteItem (shard)" : "PutItem (shard)",
		    c);
		return; /* again at the next tick */
	}
	if (f->newq[0].del && c->status == AWS_OK) {
		f->pruned++;
		log_info("Removed the lease item of %s: done, and aged out of "
			 "the stream (%llu so far)",
		    f->newq[0].unit, (unsigned long long)f->pruned);
	}
	free(f->newq[0].unit);
	free(f->newq[0].shard);
	free(f->newq[0].parent);
	memmove(&f->newq[0], &f->newq[1], (f->nnew - 1) * sizeof(*f->newq));
	f->nnew--;
}

/* One shard item at a time, in the queue's order (parents first). */
static void
fl_create_next(struct member *f)
{
	struct fl_new *nw;

	if (f->cbusy || f->nnew == 0 || worker_stop)
		return;
	nw = &f->newq[0];
	aws_call_cleanup(&f->ccall);
	if (nw->del) {
		aws_call_init(&f->ccall, &f->cl, "DeleteItem");
		if (lease_delete_done_body(&f->ccall.req, f->conf->table,
			f->w->pair->name, nw->unit) == -1)
			fatalx("DeleteItem body");
	} else {
		aws_call_init(&f->ccall, &f->cl, "PutItem");
		if (lease_put_unit_body(&f->ccall.req, f->conf->table,
			f->w->pair->name, nw->unit, LEASE_SHARD, 0, nw->shard,
			nw->parent) == -1)
			fatalx("PutItem body");
	}
	f->cbusy = 1;
	aws_call_start(&f->ccall, ccall_cb, f);
}

static int
fl_queued(const struct member *f, const char *unit)
{
	for (size_t i = 0; i < f->nnew; i++)
		if (strcmp(f->newq[i].unit, unit) == 0)
			return 1;
	return 0;
}

static struct fl_new *
fl_enqueue(struct member *f, const char *unit, const char *shard)
{
	struct fl_new *nw;

	if (f->nnew == f->newcap) {
		f->newcap = f->newcap ? f->newcap * 2 : 16;
		f->newq = xrealloc(f->newq, f->newcap * sizeof(*f->newq));
	}
	nw = &f->newq[f->nnew++];
	memset(nw, 0, sizeof(*nw));
	nw->unit = xstrdup(unit);
	nw->shard = xstrdup(shard);
	return nw;
}

void
member_add_shards(struct member *f, const struct lineage_shard *v, size_t n)
{
	const char **ids = xcalloc(n != 0 ? n : 1, sizeof(*ids));
	const char **parents = xcalloc(n != 0 ? n : 1, sizeof(*parents));
	size_t *order = xcalloc(n != 0 ? n : 1, sizeof(*order));
	struct hmap listed;

	/* Parents first: a child's item never exists without its parent's
	 * (else another host could take the child as one whose parent aged
	 * out). */
	for (size_t i = 0; i < n; i++) {
		ids[i] = v[i].id;
		parents[i] = v[i].parent;
	}
	lease_parents_first(ids, parents, n, order);
	for (size_t k = 0; k < n; k++) {
		const struct lineage_shard *l = &v[order[k]];
		char unit[160], parent[160];
		struct fl_new *nw;

		lease_unit_shard(unit, sizeof(unit), l->id);
		if (hmap_get(&f->byname, unit) != NULL || fl_queued(f, unit))
			continue;
		nw = fl_enqueue(f, unit, l->id);
		if (l->parent != NULL) {
			lease_unit_shard(parent, sizeof(parent), l->parent);
			nw->parent = xstrdup(parent);
		}
	}
	/* Items of shards done and no longer listed (aged out): deleted,
	 * so the table does not grow with the stream. Their children no
	 * longer wait for them: a parent not in the table is one that aged
	 * out, and it was done. */
	hmap_init(&listed);
	for (size_t k = 0; k < n; k++)
		hmap_put(&listed, v[k].id, (void *)(uintptr_t)1);
	for (size_t i = 0; i < f->set.n; i++) {
		const struct lease *l = &f->set.v[i];

		if (l->kind != LEASE_SHARD || !l->done ||
		    strcmp(l->pair, f->w->pair->name) != 0 ||
		    strncmp(l->unit, "shard#", 6) != 0 ||
		    hmap_get(&listed, l->unit + 6) != NULL ||
		    fl_queued(f, l->unit))
			continue;
		fl_enqueue(f, l->unit, l->unit + 6)->del = 1;
	}
	hmap_clear(&listed);
	free(ids);
	free(parents);
	free(order);
	fl_create_next(f);
}

void
member_stream_hooks(struct member *f, const struct member_shard_hooks *h)
{
	if (f == NULL)
		return;
	if (h != NULL) {
		f->sh = *h;
		f->sh_on = 1;
	} else {
		memset(&f->sh, 0, sizeof(f->sh));
		f->sh_on = 0;
	}
}

int
member_shard_workable(const struct member *f, const char *id)
{
	const struct fl_unit *u = fl_shard_unit(f, id);

	return u != NULL && fl_may_write(u) && !u->releasing;
}

void
member_shard_changed(struct member *f, const char *id)
{
	struct fl_unit *u = fl_shard_unit(f, id);

	if (u != NULL && u->held)
		u->dirty = 1;
}

/* Run the loop until no unit has a call in flight (or limit passes). */
static void
fl_wait(struct member *f, int64_t limit_ms)
{
	int64_t until = clock_boot_ms() + limit_ms;

	for (;;) {
		size_t busy = 0;

		for (size_t i = 0; i < f->nu; i++)
			busy += f->u[i]->busy;
		if (busy == 0 || clock_boot_ms() >= until)
			return;
		http_run(f->w->http, 100);
	}
}

void
member_release_all(struct member *f)
{
	int64_t now;
	size_t n = 0;

	if (f == NULL || f->failed)
		return;
	if (f->qbusy) {
		aws_call_abort(&f->qcall);
		f->qbusy = 0;
	}
	fl_wait(f, f->lease_ms - f->margin_ms);
	now = clock_boot_ms();
	for (size_t i = 0; i < f->nu; i++) {
		struct fl_unit *u = f->u[i];

		if (!u->held)
			continue;
		if (now - u->ok_sent_ms >= f->lease_ms - f->margin_ms) {
			unit_lost(u,
			    "deadline: no lease write succeeded in "
			    "time");
			continue;
		}
		if (u->dirty)
			unit_send(u, LEASE_OP_CHECKPOINT);
	}
	fl_wait(f, f->lease_ms - f->margin_ms);
	for (size_t i = 0; i < f->nu; i++) {
		struct fl_unit *u = f->u[i];

		if (!u->held || u->busy)
			continue;
		free(u->release_to);
		u->release_to = NULL;
		unit_send(u, LEASE_OP_RELEASE);
		n++;
	}
	fl_wait(f, f->lease_ms - f->margin_ms);
	if (n > 0)
		log_info("Released %zu leases for the other hosts", n);
}
