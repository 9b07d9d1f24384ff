/* lease.h: the fleet's leases: who may work on what, and the writes (pure). */
#ifndef LEASE_H
#define LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ddb.h"

/*
 * Timeouts (docs/fleet.md, "Timeouts"). A lease is expired for a host
 * when its counter has not moved for LEASE_DURATION_MS on that host's own
 * clock; its owner renews every LEASE_RENEW_MS and sends no write once
 * LEASE_DURATION_MS - LEASE_MARGIN_MS have passed since it sent its last
 * successful renewal. The margin covers a write already sent (its timeout
 * in fleet mode is at most LEASE_WRITE_TIMEOUT_MS) and clock rates.
 */
#define LEASE_DURATION_MS      40000
#define LEASE_RENEW_MS	       5000
#define LEASE_MARGIN_MS	       15000
#define LEASE_WRITE_TIMEOUT_MS 10000
/* A balancing round (a Scan of the table, lease_decide) this often. */
#define LEASE_ROUND_MS 10000
/* Free or expired leases one host takes in one round. */
#define LEASE_MAX_TAKE 10
/* Units one coordination table holds for a plan (a Scan per round). */
#define LEASE_UNITS_MAX 100000

/* The coordination table's key schema. */
#define LEASE_HASH  "pair"
#define LEASE_RANGE "unit"
/* The pair item's unit, and the pair under which hosts announce. */
#define LEASE_PAIR_UNIT "#pair"
#define LEASE_HOSTS	"#hosts"

enum lease_kind {
	LEASE_PAIR = 0, /* per pair: segments, handoff, stop flag */
	LEASE_SEGMENT,	/* a scan segment: a unit of work */
	LEASE_SHARD,	/* a stream shard: a unit of work */
	LEASE_HOST,	/* a host's heartbeat (ctl fleet, counting) */
};

/* One item of the coordination table, as a snapshot read it. */
struct lease {
	char *pair;
	char *unit; /* "segment#7", "shard#<id>", "#pair", host */
	enum lease_kind kind;
	char *owner;	  /* host id; NULL: free */
	uint64_t counter; /* bumped by every claim, renewal, checkpoint
				   and release: the item's version */
	uint64_t tenure;  /* the counter of the claim; 0 when free */
	char *next;	  /* a host that asked for it (balancing) */
	int done;	  /* segment scanned / shard applied */
	char *parent;	  /* shard: the parent's unit, NULL if none */
	/* Progress (the checkpoint fields). */
	char *last_key; /* segment: LastEvaluatedKey JSON, or NULL */
	char *seq;	/* shard: last applied sequence number */
	uint64_t items;
	uint64_t scanned;  /* segment: items the Scans returned */
	uint64_t expired;  /* segment: of those, expired ones skipped */
	uint64_t switches; /* claims so far */
	/* Shown by "ctl fleet", never compared: the writer's wall clock at
	 * its last write (epoch ms, 0: none), the duration it renews for,
	 * and a host item's hostname. */
	int64_t renewed;
	int64_t lease_ms;
	char *hostname;
	/* Pair item. */
	char *src; /* "table@region" of each side */
	char *dst;
	uint32_t total_segments;
	int backfill;		  /* the pair has a backfill phase */
	int stop;		  /* fleet-wide stop of the pair */
	int64_t backfill_started; /* server clock, epoch ms; 0: none */
	/* Local, set by the caller: this host runs this unit with this
	 * tenure (owner alone cannot say: see "orphan" in docs/fleet.md). */
	int held;
};

/* A snapshot, sorted by (pair, unit) with lease_set_sort(). */
struct lease_set {
	struct lease *v;
	size_t n;
	size_t cap;
};

/* A new lease at the end of the set (strings copied); the set's earlier
 * pointers may move. */
struct lease *lease_set_add(struct lease_set *, const char *pair,
    const char *unit, enum lease_kind);
void lease_set_sort(struct lease_set *);
/* The lease of (pair, unit) in a sorted set, or NULL. */
struct lease *lease_set_find(const struct lease_set *, const char *pair,
    const char *unit);
void lease_set_clear(struct lease_set *);
/* Set a string member (owner, next, parent): copied; NULL clears. */
void lease_set_str(char **, const char *);

/*
 * One item of the table (the object of a Scan's "Items", GetItem's
 * "Item", an answer's "Attributes") added to the set. pair, unit, kind
 * and counter are required; other attributes are optional and unknown
 * ones ignored (a newer version may add some). 0, or -1 with err.
 */
int lease_parse_item(struct lease_set *, const struct jspan *item, char *err,
    size_t errlen);
/*
 * A Scan or Query answer: every item added (the set is not sorted);
 * *lek the LastEvaluatedKey object (len 0 on the last page), for the
 * next page's ExclusiveStartKey. 0, or -1 with err.
 */
int lease_parse_page(struct lease_set *, const char *body, size_t len,
    struct jspan *lek, char *err, size_t errlen);

/*
 * A GetItem answer: 1 and the item added to the set, 0 when there is no
 * such item, -1 with err.
 */
int lease_parse_get(struct lease_set *, const char *body, size_t len, char *err,
    size_t errlen);

/*
 * The order in which shard items are created from a listing: a shard
 * after its parent when the parent is listed too, else in listing order
 * (a parent that is not listed has aged out). order gets n indexes into
 * ids/parents (parents[i] NULL: none). A cycle, which no stream has, is
 * kept in listing order at the end.
 */
void lease_parents_first(const char *const *ids, const char *const *parents,
    size_t n, size_t *order);

/* "segment#7", "shard#<id>". */
void lease_unit_segment(char *buf, size_t len, uint32_t segment);
void lease_unit_shard(char *buf, size_t len, const char *shard_id);

/*
 * What one host saw of each lease: the counter, and when (its own
 * monotonic clock) it first saw that value. Expiry is judged from this,
 * never from another host's clock.
 */
struct lease_obs {
	char *pair;
	char *unit;
	uint64_t counter;
	int64_t since_ms;
};

struct lease_view {
	struct lease_obs *v; /* sorted by (pair, unit) */
	size_t n;
};

/* Take in a sorted snapshot read at now_ms: new counters restart their
 * clock, leases no longer in the snapshot are forgotten. */
void lease_observe(struct lease_view *, const struct lease_set *,
    int64_t now_ms);
void lease_view_clear(struct lease_view *);

/*
 * Whether l is expired for this host: owned, not done, and its counter
 * unchanged for lease_ms since this host first saw it. A lease never
 * observed is not expired: a host that just started waits a whole
 * lease duration before it takes anything that has an owner.
 */
int lease_expired(const struct lease_view *, const struct lease *,
    int64_t now_ms, int64_t lease_ms);

/*
 * Whether the owner may still send a write for its unit: now_ms is
 * before last_renew_sent_ms + lease_ms - margin_ms, all on its own
 * clock, where last_renew_sent_ms is when it sent the last renewal (or
 * claim, or checkpoint) that succeeded.
 */
int lease_may_write(int64_t now_ms, int64_t last_renew_sent_ms,
    int64_t lease_ms, int64_t margin_ms);

/*
 * Whether l is a unit some host may work on now: a segment or shard, not
 * done, its pair known and not stopped; a shard only once its pair's
 * backfill is done (every segment done, or no backfill) and its parent
 * is done or not in the table.
 */
int lease_workable(const struct lease_set *, const struct lease *);
/* Whether every segment of pair is done (or the pair has no backfill). */
int lease_backfill_done(const struct lease_set *, const char *pair);

enum lease_why {
	LEASE_WHY_FREE = 0, /* no owner */
	LEASE_WHY_ORPHAN,   /* owner is this host, which does not run it:
				   a lost answer to a claim, or a handoff */
	LEASE_WHY_EXPIRED,  /* its owner stopped renewing */
};

struct lease_claim {
	size_t idx; /* in the set */
	enum lease_why why;
	uint64_t seen; /* the counter the claim is conditional on */
};

/* One round's decision for one host (lease_decide). */
struct lease_decision {
	struct lease_claim *claims;
	size_t nclaims;
	/* Ask for a lease of the most loaded host (at most one a round):
	 * SIZE_MAX for none. */
	size_t handoff;
	/* Held leases to release: their pair is stopped, or another host
	 * asked for it (next set: hand it to next; at most one a round,
	 * and only above this host's fair share). */
	size_t *release;
	size_t nrelease;
	/* Held leases asked for that this host keeps: the next renewal
	 * removes the request (lease_op.decline). */
	size_t *decline;
	size_t ndecline;
	unsigned hosts;	 /* live hosts counted, this one included */
	unsigned units;	 /* workable units */
	unsigned target; /* ceil(units / hosts) */
	unsigned mine;	 /* workable units this host holds */
};

struct lease_params {
	const char *me;	   /* this host's id */
	int64_t now_ms;	   /* this host's monotonic clock */
	int64_t lease_ms;  /* LEASE_DURATION_MS */
	unsigned max_take; /* LEASE_MAX_TAKE */
};

/*
 * One balancing round (docs/fleet.md, "Balancing"), after lease_observe.
 * Hosts: this one, owners of workable leases that are not expired, and
 * hosts whose heartbeat item is not expired. Target: ceil(units /
 * hosts). Below it, take free (and orphaned) units, then expired ones,
 * in an order of this host's own (so hosts starting together mostly pick
 * different units), at most max_take; if there is none, ask the most
 * loaded host for one of its units when it holds more than the target
 * (at least the target when this host needs more than one), so no two
 * hosts trade a unit back and forth. decision must be zeroed or cleared.
 */
void lease_decide(const struct lease_set *, const struct lease_view *,
    const struct lease_params *, struct lease_decision *);
void lease_decision_clear(struct lease_decision *);

/*
 * The conditional writes. Every one names the item by (pair, unit); the
 * condition is what makes two owners impossible (docs/fleet.md,
 * "Conditional writes"):
 *   CLAIM       #c = :seen                 (nothing changed since read)
 *   RENEW, CHECKPOINT, RELEASE
 *               #o = :me AND #t = :tenure  (still mine, same tenure)
 *   HANDOFF     #o = :owner AND #t = :tenure AND attribute_not_exists(#n)
 */
enum lease_op_kind {
	LEASE_OP_CLAIM = 0,
	LEASE_OP_RENEW,
	LEASE_OP_CHECKPOINT,
	LEASE_OP_RELEASE,
	LEASE_OP_HANDOFF,
};

struct lease_op {
	enum lease_op_kind kind;
	const char *pair;
	const char *unit;
	const char *me;	   /* the writer; HANDOFF: the asking host */
	uint64_t seen;	   /* CLAIM */
	uint64_t tenure;   /* RENEW, CHECKPOINT, RELEASE; HANDOFF: the
				   owner's */
	const char *owner; /* HANDOFF: the current owner */
	const char *next;  /* RELEASE: hand the lease to this host */
	int64_t wall_ms;   /* the writer's clock, shown, never compared */
	int64_t lease_ms;  /* CLAIM: the duration it renews for */
	/* CHECKPOINT: the unit's progress. done also gives the lease up. */
	const char *last_key; /* segment: LastEvaluatedKey JSON, or NULL */
	const char *seq;      /* shard: last applied sequence number */
	uint64_t items;
	int tally;	  /* CHECKPOINT of a segment: scanned and expired too */
	uint64_t scanned; /* the backfill's tally (backfill_tally) */
	uint64_t expired;
	int done;
	int decline; /* RENEW: remove another host's request */
};

/* The UpdateItem body of op on table. 0, or -1 (buffer maximum). */
int lease_op_body(struct buf *, const char *table, const struct lease_op *);

/*
 * A PutItem that creates a unit's item free, unless it exists
 * (attribute_not_exists): segment (parent NULL) or shard. Every host may
 * send it; the first wins and the others' ConditionalCheckFailed is the
 * expected answer.
 */
int lease_put_unit_body(struct buf *, const char *table, const char *pair,
    const char *unit, enum lease_kind, uint32_t segment, const char *shard_id,
    const char *parent_unit);
/*
 * The pair item, created once by the first host: the segment count every
 * host then uses (an automatic count could differ between hosts), the
 * phases, and the tables, which the others compare with their plan.
 */
int lease_put_pair_body(struct buf *, const char *table, const char *pair,
    uint32_t total_segments, int backfill, int stream, const char *src,
    const char *dst);
/*
 * The pair's backfill start (server clock, epoch ms), recorded once: the
 * condition attribute_not_exists keeps the first; a host that loses
 * reads the recorded one from the answer (ALL_OLD) and uses that.
 */
int lease_backfill_start_body(struct buf *, const char *table, const char *pair,
    int64_t server_ms);
/*
 * A host's heartbeat (pair LEASE_HOSTS, unit host_id): counter bumped,
 * owner and hostname set, no condition. Every worker of the host sends it,
 * so balancing counts hosts that hold nothing yet.
 */
int lease_host_body(struct buf *, const char *table, const char *host_id,
    const char *hostname, int64_t wall_ms, int64_t lease_ms);
/*
 * Delete a unit's item only if it is done (a shard that aged out of the
 * stream): an item that is not done, or already gone, fails the condition.
 */
int lease_delete_done_body(struct buf *, const char *table, const char *pair,
    const char *unit);
/* The fleet-wide stop flag of a pair (set 1, or clear 0). */
int lease_stop_body(struct buf *, const char *table, const char *pair,
    int stop);
/* A Query of one pair's items (or LEASE_HOSTS'), from the page after lek
 * (a LastEvaluatedKey object; NULL or empty: the first page). */
int lease_query_body(struct buf *, const char *table, const char *pair,
    const char *lek, size_t leklen);
/* A GetItem of (pair, unit), strongly consistent. */
int lease_get_body(struct buf *, const char *table, const char *pair,
    const char *unit);
/* CreateTable: the key schema above, on-demand. */
int lease_create_table_body(struct buf *, const char *table);

/*
 * Whether a described table can be the coordination table: HASH pair (S)
 * and RANGE unit (S). 0, or -1 with err saying what it has and needs.
 */
int lease_check_schema(const struct ddb_table *, const char *table, char *err,
    size_t errlen);

#endif
