/* stream.c: tail the source's DynamoDB Stream and apply it to the destination. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "hmap.h"
#include "lineage.h"
#include "log.h"
#include "report.h"
#include "settings.h"
#include "spool.h"
#include "testhook.h"
#include "ttl.h"
#include "worker.h"
#include "writer.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * One reader per shard, children after parents. Pages of records are read
 * ahead (up to a bound) while earlier ones are written. Whatever has been
 * read when the shard's previous batch is done becomes its next batch: the
 * records collapse to one write per key, its last change (a put of
 * NewImage or a delete of Keys), so the end state equals applying every
 * record in order and the BatchWriteItem requests of one batch can run in
 * parallel (their keys differ). A shard's batch is fully applied before
 * its next one starts, and only then does its checkpoint move to the
 * batch's last sequence number; a restart redoes at most that batch
 * (writes are idempotent). Under a backlog batches grow to many pages, so
 * the pauses between them cost little; at the tip they are single pages.
 * Each shard is a lane of the write engine (writer.c): shards share its
 * requests in flight round robin.
 *
 * With the spool (issue 13), the same readers start with the backfill and
 * append what they read to the spool (spool.h) instead of applying it; a
 * child shard is read once its parent is read to its end, so the spool's
 * file order keeps every key's changes in order. After the backfill one
 * applier takes durable records in file order, batch by batch, whatever
 * their shard: each batch collapses to one write per key and is applied
 * whole before the next; then every shard's applied position moves in the
 * checkpoint, and once that is saved the spool releases and deletes what
 * it covers. Live records keep going through the spool: one path, one
 * crash story, and the reader never has to hand its shards over
 * (docs/architecture.md, "Spool").
 */

#define ST_RECORDS_LIMIT     1000
#define ST_AHEAD_BYTES	     (16u * 1024 * 1024)
#define ST_MALFORMED_RETRIES 5 /* unreadable answers in a row */
/* A listing longer than this is a loop, not a stream: DynamoDB keeps 24
 * hours of shards, a few thousand for the busiest tables. */
#define ST_LISTING_MAX	     100000
#define ST_LISTING_PAGES_MAX (ST_LISTING_MAX / 10)
#define ST_RELIST_MS	     1000 /* a shard done: list again after */
/* The applier's batch from the spool: bytes at most (records: the
 * setting spool_apply_records, 20,000 by default). */
#define ST_APPLY_BYTES (16u * 1024 * 1024)
/* Applied positions are saved, then released in the spool, this often. */
#define ST_RELEASE_MS 1000

enum sh_state {
	SH_WAIT = 0, /* parent not applied yet, or stopped */
	SH_ITER,     /* GetShardIterator in flight */
	SH_ACTIVE,   /* reading and applying */
	SH_DONE,
};

struct st_page {
	struct st_page *next;
	char *body;
	size_t len;
	struct ddb_records recs;
};

/*
 * A writer lane and the shard it serves now. The writer keeps its lanes
 * until it is freed, so a finished shard's lane goes back to a pool for
 * the next shard: a long-lived stream does not pile up lanes.
 */
struct st_lane {
	struct writer_lane *wl;
	struct st_shard *sh;
	struct st_lane *next_free;
};

struct st_shard {
	struct stream *st;
	char *id;
	char *start_seq; /* StartingSequenceNumber */
	enum sh_state state;
	char *iter;
	struct aws_call call;
	struct http_timer timer; /* polling at the tip */
	int reading;		 /* GetRecords in flight */
	int finished;		 /* no NextShardIterator */
	int at_tip;		 /* the last read returned nothing */
	int resumed;		 /* iterator after a record */
	int probe;		 /* first records trimmed: the first
					   page from TRIM_HORIZON decides */
	unsigned malformed;	 /* unreadable answers in a row */
	unsigned unread;	 /* retries since the last read */
	char *read_seq;		 /* last sequence number read */
	unsigned limit;		 /* GetRecords' Limit, lowered when an
					   answer is over the cap */
	/* Spool: how old the next unread record can be (st_now() ms). */
	int64_t last_created_ms; /* the last record read */
	int64_t tip_ms;		 /* the last read that found none */
	int saved;		 /* its checkpoint entry is on disk */

	/* Read, not yet applied. */
	struct st_page *pend, *pend_tail;
	size_t pend_recs;
	size_t pend_bytes;

	/* The batch being applied: its pages, records and final writes. */
	struct st_page *unit;
	struct ddb_record *urecs;
	size_t nurecs;
	size_t skipped;	       /* records older than the handoff,
					   then TTL deletes not applied */
	struct jspan last_seq; /* the batch's last sequence number */
	struct ddb_op *ops;
	size_t nops;
	size_t acked_ops;
	struct st_lane *lane;
	struct writer_unit wunit; /* ops, handed to the writer */
	int applying;
	/* A fleet: bumped when the shard's lease is lost, so the batch of
	 * that tenure (ugen) moves no checkpoint when its writes land. */
	unsigned gen;
	unsigned ugen;
};

/* A shard's last record in the applier's batch. */
struct st_pos {
	const char *shard; /* the spool's */
	const char *seq;   /* into the batch */
	size_t seqlen;
	uint64_t applied; /* records not skipped */
};

/* A batch of the applier: the spool's records, parsed, collapsed. */
struct st_batch {
	struct spool_batch sb;
	struct ddb_record *recs;
	size_t cap;
	struct ddb_op *ops;
	struct st_pos *pos; /* the batch's shards */
	size_t npos;
	size_t poscap;
	struct writer_unit unit;
	double newest; /* epoch s of its newest change */
	int ready;     /* prepared, not written yet */
};

struct stream {
	struct worker *w;
	char *arn;
	/* The shards not done yet (done ones are freed by sweep()). */
	struct st_shard **shards;
	size_t nshards;
	size_t shards_cap;
	struct hmap live; /* id -> st_shard */
	int sweep;	  /* some shards are done */
	struct st_lane *lane_pool;
	unsigned ndone, ntotal; /* the checkpoint's shards */
	int counts_stale;
	struct writer *wr;
	size_t ahead_bytes;   /* read ahead, all shards */
	size_t ahead_records; /* per shard */
	struct aws_call describe;
	struct http_timer describe_timer;
	int describing;
	unsigned describe_malformed; /* in a row */
	char *describe_start;	     /* ExclusiveStartShardId */
	unsigned describe_pages;     /* of this listing */
	int64_t listed_ms;	     /* clock_ms() of the last listing */
	struct lineage_shard *listing;
	size_t nlisting;
	size_t listing_cap;
	int listed_once;
	int64_t skip_before_ms; /* handoff: older is applied */
	int64_t handoff_ms;	/* older changes need no stream */
	int64_t retention_ms;
	int64_t poll_ms;
	int64_t refresh_ms;
	double newest_applied; /* epoch s of newest change */

	/* The spool (issue 13); NULL when changes are applied directly. */
	struct spool *sp;
	int spool_apply; /* the applier runs (backfill done) */
	struct http_timer commit_timer;
	unsigned read_all_new; /* shards read to their end since
					   the last commit */
	int paused;	       /* full: reading waits */
	int64_t paused_ms;     /* st_now() when it filled */
	int64_t full_warned_ms;
	int reader_warned; /* retention risk said */
	/* The applier's batches: one written, the next read, parsed and
	 * collapsed meanwhile (the reading and parsing would otherwise
	 * leave the writes idle between batches). */
	struct st_batch ab[2];
	unsigned acur; /* ab[acur] is written (a_busy) */
	struct writer_lane *alane;
	size_t a_acked;
	int a_busy;		     /* a batch is being written */
	int a_idle;		     /* the last read found nothing */
	int unreleased;		     /* applied, not released yet */
	int64_t applied_ms;	     /* clock_ms() of the first unreleased */
	int64_t caught_up_logged_ms; /* st_now(): last "Caught up" */
	int stopping;
	int failed;
	char keyname[2][256];
};

static void pump(struct stream *);

/* Now on the source's clock: the Streams endpoint's once it answered. */
static int64_t
st_now(const struct stream *st)
{
	int64_t off;

	return aws_server_offset(&st->w->streams, &off) ?
	    aws_server_ms(&st->w->streams) :
	    aws_server_ms(&st->w->src);
}
static void shard_read(struct st_shard *);
static void advance(struct st_shard *);
static void describe_cb(void *);
static int st_commit(struct stream *);
static void apply_next(struct stream *);
static void sweep(struct stream *);

/* A read or the writer has failed: the run ends. */
static int
st_failed(const struct stream *st)
{
	return st->failed || (st->wr != NULL && writer_failed(st->wr));
}

static void
describe_soon(struct stream *st, int64_t delay_ms)
{
	http_timer_set(st->w->http, &st->describe_timer, delay_ms, describe_cb,
	    st);
}

static void
poll_cb(void *arg)
{
	shard_read(arg);
}

static struct ckpt_shard *
shard_ck(struct st_shard *sh)
{
	return checkpoint_shard(&sh->st->w->ckpt, sh->id);
}

static void gap(struct stream *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
gap(struct stream *st, const char *fmt, ...)
{
	struct worker *w = st->w;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->failed = 1;
	w->prog.gap = 1;
	worker_progress(w, 1);
	worker_fail(w, WORKER_EXIT_PERMANENT, "StreamGap",
	    "%s. Changes were "
	    "lost before they could be applied: the destination may differ "
	    "from the source. Run the backfill again (remove %s) to repair",
	    msg, w->ckpt_path);
}

static void
pages_free(struct stream *st, struct st_page *pg)
{
	struct st_page *next;

	for (; pg != NULL; pg = next) {
		next = pg->next;
		st->ahead_bytes -= pg->len;
		free(pg->body);
		ddb_records_free(&pg->recs);
		free(pg);
	}
}

/* A shard is finished: its children may be listed by now, and those
 * already listed start at once (pump). At most one listing a second on
 * this account: a long chain of finished shards must not cost a listing
 * each. */
static void
relist_soon(struct stream *st)
{
	int64_t due = st->listed_ms + ST_RELIST_MS;

	if (st->describing || st->stopping)
		return;
	if (!st->describe_timer.armed || st->describe_timer.due > due)
		describe_soon(st, due > clock_ms() ? due - clock_ms() : 0);
}

static void
shard_done_cb(struct st_shard *sh)
{
	struct stream *st = sh->st;
	struct ckpt_shard *c = shard_ck(sh);

	sh->state = SH_DONE;
	if (c != NULL && !c->done) {
		c->done = 1;
		/* A finished shard needs no position: keep its entry small
		 * until it ages out of the listing and is dropped. */
		free(c->seq);
		c->seq = NULL;
		/* A fleet: its lease says done, and its children may go. */
		worker_shard_changed(st->w, sh->id);
	}
	st->sweep = 1;
	st->counts_stale = 1;
	testhook("shard-done");
	log_debug("shard %s finished", sh->id);
	relist_soon(st);
}

/* Spool: a shard read to its end. It is done once the applier has
 * applied its last record (spool_done_check); its children may be read
 * now, after its records in the spool. */
static void
shard_read_done(struct st_shard *sh)
{
	struct stream *st = sh->st;

	sh->state = SH_DONE;
	shard_ck(sh)->read_all = 1;
	st->read_all_new++;
	st->sweep = 1;
	st->counts_stale = 1;
	log_debug("shard %s read to its end into the spool", sh->id);
	/* Durable soon: the commit saves "spooled_all". */
	if (!st->commit_timer.armed)
		st_commit(st);
	relist_soon(st);
}

static void shard_start(struct st_shard *);

static void
iter_retry_cb(void *arg)
{
	struct st_shard *sh = arg;

	if (!st_failed(sh->st) && !sh->st->stopping)
		shard_start(sh);
	else
		sh->state = SH_WAIT;
}

/*
 * An answer that cannot be used yet may be next time (one that passed the
 * CRC check yet cannot be read; a trim horizon that moved between the
 * iterator and the read): ask again a little later, saying why (the
 * shard's timer also holds its reads back meanwhile), and give up,
 * restarting the worker, only when it keeps happening.
 */
static void
shard_again(struct st_shard *sh, const char *op, const char *why,
    unsigned *count, void (*again)(void *))
{
	struct stream *st = sh->st;

	if (++*count > ST_MALFORMED_RETRIES) {
		st->failed = 1;
		worker_fail(st->w, WORKER_EXIT_CRASH,
		    count == &sh->malformed ? "MalformedResponse" :
					      "StreamRetriesExhausted",
		    "%s on shard %s: %s, %u times in a row", op, sh->id, why,
		    *count);
		return;
	}
	log_warnx("%s on shard %s: %s, asking again", op, sh->id, why);
	http_timer_set(st->w->http, &sh->timer, 200 * (int64_t)*count, again,
	    sh);
}

static void
shard_malformed(struct st_shard *sh, const char *op, void (*again)(void *))
{
	shard_again(sh, op, "malformed response", &sh->malformed, again);
}

/* A shard's read that failed for good: a vanished shard is a gap, any
 * other error stops the pair. 1 if so, 0 if the call succeeded. */
static int
shard_call_failed(struct st_shard *sh, struct aws_call *c)
{
	struct stream *st = sh->st;

	if (c->status == AWS_OK)
		return 0;
	if (c->status == AWS_NOT_FOUND)
		gap(st,
		    "shard %s disappeared from the stream before it was "
		    "fully applied",
		    sh->id);
	else {
		st->failed = 1;
		worker_fail(st->w, worker_exit_for(c->status), c->code,
		    "%s on shard %s failed: %s", c->op, sh->id, c->msg);
	}
	return 1;
}

/* A never-read shard's first records are gone: whether they matter is
 * told by the oldest one left (trim_check() on the TRIM_HORIZON page). */
static void
shard_probe(struct st_shard *sh)
{
	log_info("shard %s: records were trimmed before they were read; "
		 "checking that the backfill covers them",
	    sh->id);
	sh->probe = 1;
	shard_start(sh);
}

/*
 * TrimmedDataAccessException from op. After a record read or checkpointed,
 * changes were lost: the gap (lost says how). On a never-read shard, the
 * trimmed start: the probe. On the probe itself, the horizon moved between
 * the iterator and the read: a new iterator, a little later.
 */
static void
shard_trimmed(struct st_shard *sh, const char *op, int after_read,
    const char *lost)
{
	/* A reader still going through changes older than the handoff (a
	 * shard's first hours) that meets the trim horizon: the trimmed
	 * ones follow its last record in time, and may all be older than
	 * the handoff too. The probe tells, as for a never-read shard. */
	if (after_read && sh->last_created_ms > 0 &&
	    lineage_before_handoff((double)sh->last_created_ms / 1000.0,
		sh->st->handoff_ms))
		after_read = 0;
	if (after_read)
		gap(sh->st, "shard %s: %s", sh->id, lost);
	else if (!sh->probe)
		shard_probe(sh);
	else
		shard_again(sh, op,
		    "the trim horizon moved (TrimmedDataAccessException)",
		    &sh->unread, iter_retry_cb);
}

static void
iter_done_cb(struct aws_call *c, void *arg)
{
	struct st_shard *sh = arg;
	struct stream *st = sh->st;
	struct jspan v;

	if (st_failed(st) || st->stopping) {
		sh->state = SH_WAIT;
		return;
	}
	if (c->status == AWS_STATE &&
	    strcmp(c->code, "TrimmedDataAccessException") == 0) {
		shard_trimmed(sh, "GetShardIterator", sh->resumed,
		    "its checkpoint is older than the stream's 24-hour "
		    "retention");
		return;
	}
	if (shard_call_failed(sh, c))
		return;
	free(sh->iter);
	sh->iter = NULL;
	/* An answer that cannot be read is not "no iterator": that would
	 * finish the shard and drop the rest of its records. */
	if (ddb_parse_shard_iterator(c->body, c->bodylen, &v) == -1 ||
	    (v.len > 0 && (sh->iter = jscan_strdup(&v)) == NULL)) {
		shard_malformed(sh, "GetShardIterator", iter_retry_cb);
		return;
	}
	sh->malformed = 0;
	sh->state = SH_ACTIVE;
	if (sh->iter == NULL) {
		/* A well-formed null: nothing more can ever be read here. */
		log_info("shard %s: closed, nothing more to read", sh->id);
		sh->finished = 1;
		shard_ck(sh)->read_all = 1;
		advance(sh);
		pump(st);
		return;
	}
	shard_read(sh);
}

/*
 * An iterator after the last record read and held (or applied), never
 * TRIM_HORIZON or LATEST once a record was: an expired iterator resumes
 * there. A shard not read yet starts AT its StartingSequenceNumber, which
 * fails with TrimmedDataAccessException if its first records are gone
 * (then the probe: TRIM_HORIZON, and trim_check() on its first page).
 */
static void
shard_start(struct st_shard *sh)
{
	struct stream *st = sh->st;
	struct ckpt_shard *c = shard_ck(sh);
	const char *seq = sh->read_seq != NULL ? sh->read_seq : c->seq;
	const char *type = "AFTER_SEQUENCE_NUMBER";

	sh->state = SH_ITER;
	sh->resumed = seq != NULL;
	if (sh->probe) {
		type = "TRIM_HORIZON"; /* past what was trimmed */
		seq = NULL;
	} else if (seq == NULL) {
		type = "AT_SEQUENCE_NUMBER";
		seq = sh->start_seq;
	}
	if (ddb_shard_iterator_body(&sh->call.req, st->arn, sh->id, type,
		seq) == -1)
		fatalx("GetShardIterator body");
	sh->call.op = "GetShardIterator";
	aws_call_start(&sh->call, iter_done_cb, sh);
}

/* Free the batch being applied. */
static void
batch_drop(struct st_shard *sh)
{
	pages_free(sh->st, sh->unit);
	sh->unit = NULL;
	free(sh->urecs);
	sh->urecs = NULL;
	free(sh->ops);
	sh->ops = NULL;
	sh->nurecs = sh->nops = sh->acked_ops = 0;
	sh->applying = 0;
}

/* The whole batch is written: move the checkpoint. */
static void
unit_applied(struct st_shard *sh)
{
	struct stream *st = sh->st;
	struct worker *w = st->w;
	struct ckpt_shard *c = shard_ck(sh);
	size_t applied = sh->nurecs - sh->skipped;

	if (sh->ugen != sh->gen) {
		/* Its lease was lost: the new owner applies it again. */
		batch_drop(sh);
		return;
	}
	free(c->seq);
	c->seq = jscan_strdup(&sh->last_seq);
	c->items += applied;
	w->ckpt.stream_items += applied;
	w->prog.stream_written += applied;
	worker_shard_changed(w, sh->id);
	for (size_t i = sh->skipped; i < sh->nurecs; i++)
		if (sh->urecs[i].created > st->newest_applied)
			st->newest_applied = sh->urecs[i].created;
	batch_drop(sh);
	testhook("stream-applied");
	advance(sh);
}

/* Everything read so far becomes the next batch. */
static int
unit_start(struct st_shard *sh)
{
	struct stream *st = sh->st;
	struct st_page *pg;
	size_t n = 0, i;
	long nops;

	sh->unit = sh->pend;
	sh->pend = sh->pend_tail = NULL;
	sh->urecs = xcalloc(sh->pend_recs, sizeof(*sh->urecs));
	for (pg = sh->unit; pg != NULL; pg = pg->next) {
		memcpy(&sh->urecs[n], pg->recs.recs,
		    pg->recs.n * sizeof(*sh->urecs));
		n += pg->recs.n;
	}
	sh->nurecs = n;
	sh->pend_recs = sh->pend_bytes = 0;
	/* Handoff: changes older than the backfill's start are in it (a
	 * shard's records are in time order, so they are a prefix). */
	for (i = 0; i < n; i++)
		if (!lineage_before_handoff(sh->urecs[i].created,
			st->skip_before_ms))
			break;
	sh->skipped = i;
	st->w->prog.stream_skipped += i;
	sh->last_seq = sh->urecs[n - 1].seq;
	/* ttl.apply_deletes: false: the TTL service's deletes join the
	 * records skipped (and a put before one in the batch stays). */
	if (!st->w->pair->ttl_apply_deletes) {
		size_t nttl = ttl_partition_deletes(sh->urecs, i, n);

		sh->skipped += nttl;
		st->w->prog.ttl_deletes_skipped += nttl;
	}
	sh->ops = xcalloc(n, sizeof(*sh->ops));
	nops = ddb_collapse(sh->urecs, sh->skipped, n, st->keyname[0],
	    st->keyname[1], sh->ops);
	if (nops < 0) {
		st->failed = 1;
		worker_fail(st->w, WORKER_EXIT_PERMANENT, "BadStreamRecord",
		    "shard %s: a record's Keys lack the table's key "
		    "attributes",
		    sh->id);
		return -1;
	}
	sh->nops = (size_t)nops;
	sh->acked_ops = 0;
	sh->applying = 1;
	sh->ugen = sh->gen;
	if (sh->nops > 0) {
		sh->wunit.ops = sh->ops;
		sh->wunit.n = sh->nops;
		writer_submit(sh->lane->wl, &sh->wunit);
	}
	return 0;
}

/* What a shard does next: apply what was read, read on, or finish. */
static void
advance(struct st_shard *sh)
{
	struct stream *st = sh->st;

	if (st_failed(st) || sh->state != SH_ACTIVE)
		return;
	if (st->sp != NULL) {
		/* Spool: read on while there is room; the applier is apart. */
		if (sh->finished) {
			if (!sh->reading)
				shard_read_done(sh);
			return;
		}
		if (sh->reading || sh->timer.armed || st->stopping)
			return;
		if (spool_full(st->sp)) {
			if (!st->paused) {
				st->paused = 1;
				st->paused_ms = st_now(st);
			}
			return;
		}
		if (sh->at_tip)
			http_timer_set(st->w->http, &sh->timer, st->poll_ms,
			    poll_cb, sh);
		else
			shard_read(sh);
		return;
	}
	if (!sh->applying && sh->pend != NULL && !st->stopping) {
		if (unit_start(sh) == -1)
			return;
		if (sh->nops == 0) {
			unit_applied(sh); /* all before the handoff */
			return;
		}
	}
	if (sh->finished) {
		if (!sh->reading && !sh->applying && sh->pend == NULL)
			shard_done_cb(sh);
		return;
	}
	if (sh->reading || sh->timer.armed || st->stopping)
		return;
	/* Bounded read-ahead; one page is always allowed, to progress. */
	if (sh->pend != NULL &&
	    (sh->pend_recs >= st->ahead_records ||
		st->ahead_bytes >= ST_AHEAD_BYTES))
		return;
	if (sh->at_tip)
		http_timer_set(st->w->http, &sh->timer, st->poll_ms, poll_cb,
		    sh);
	else
		shard_read(sh);
}

/*
 * The first page read from TRIM_HORIZON after the shard's start was
 * refused as trimmed: a gap unless every lost record is older than the
 * handoff (lineage_trim_gap()). 0 to read on, -1 after the gap error.
 */
static int
trim_check(struct st_shard *sh, const struct ddb_records *recs)
{
	struct stream *st = sh->st;
	int64_t now = st_now(st), oldest = INT64_MAX;
	char dur[32];

	sh->probe = 0;
	if (recs->n > 0)
		oldest = lineage_created_max_ms(recs->recs[0].created);
	if (lineage_trim_gap(oldest, now, st->retention_ms, st->handoff_ms)) {
		fmt_duration((uint64_t)(now - st->handoff_ms), dur,
		    sizeof(dur));
		gap(st,
		    "shard %s: records were trimmed before they were read, "
		    "and they may be newer than the handoff %s ago (the "
		    "stream keeps changes for %lld s)",
		    sh->id, dur, (long long)(st->retention_ms / 1000));
		return -1;
	}
	log_info("shard %s: the trimmed records are older than the handoff: "
		 "the backfill has them",
	    sh->id);
	return 0;
}

/* The spool failed (a write or fdatasync): the worker restarts and
 * recovers from what is on disk. */
static void
spool_failed(struct stream *st)
{
	st->failed = 1;
	worker_fail(st->w, WORKER_EXIT_CRASH, "SpoolError",
	    "%s; the pair restarts from what the spool holds on disk",
	    spool_error(st->sp));
}

static void
commit_cb(void *arg)
{
	struct stream *st = arg;

	if (!st_failed(st))
		st_commit(st);
}

/*
 * A page read into the spool. The shard's checkpoint entry is saved
 * before its first record is spooled: after a restart, records of a
 * shard the checkpoint does not know are records of one that was done
 * and dropped (spool_release_unknown). 0, or -1 (the page is not taken:
 * asked again, or the stream failed).
 */
static int
spool_take(struct st_shard *sh, const struct ddb_records *recs)
{
	struct stream *st = sh->st;
	struct worker *w = st->w;
	size_t skip = 0;

	if (!sh->saved) {
		if (worker_ckpt_flush(w, 1) == -1) {
			st->failed = 1;
			return -1;
		}
		sh->saved = 1;
	}
	/* Changes older than the handoff are in the backfill: not spooled
	 * (a shard's first pages may hold up to a day of them). A shard's
	 * records are in time order, so they are a prefix; the applier
	 * skips any other all the same. */
	while (skip < recs->n &&
	    lineage_before_handoff(recs->recs[skip].created,
		st->skip_before_ms))
		skip++;
	w->prog.stream_skipped += skip;
	if (skip < recs->n &&
	    spool_append_records(st->sp, sh->id, recs->recs + skip,
		recs->n - skip) == -1) {
		if (errno == EIO)
			spool_failed(st);
		else
			/* A record the spool cannot frame (bad sequence
			 * number, over 4 MB): read again, then give up.
			 * What was appended is not appended twice. */
			shard_malformed(sh, "GetRecords", poll_cb);
		return -1;
	}
	if (spool_commit_due(st->sp, clock_ms()))
		return st_commit(st);
	if (!st->commit_timer.armed)
		http_timer_set(w->http, &st->commit_timer, SPOOL_COMMIT_MS,
		    commit_cb, st);
	return 0;
}

static void
records_done_cb(struct aws_call *c, void *arg)
{
	struct st_shard *sh = arg;
	struct stream *st = sh->st;
	struct worker *w = st->w;
	struct st_page *pg;
	char *next = NULL;

	sh->reading = 0;
	if (st_failed(st) || st->stopping)
		return;
	if (c->status == AWS_STATE) {
		/* AWS answers at most 1 MB of records; an endpoint that does
		 * not (DynamoDB Local) is asked for fewer records, with the
		 * same iterator, down to one record per answer. */
		if (strcmp(c->code, "ResponseTooLarge") == 0) {
			if (sh->limit <= 1) {
				st->failed = 1;
				worker_fail(w, WORKER_EXIT_PERMANENT, c->code,
				    "shard %s: GetRecords: %s, even with "
				    "Limit 1",
				    sh->id, c->msg);
				return;
			}
			sh->limit = sh->limit / 4 > 0 ? sh->limit / 4 : 1;
			log_info("shard %s: a GetRecords answer was over the "
				 "cap; asking for %u records at a time",
			    sh->id, sh->limit);
			shard_read(sh);
			return;
		}
		if (strcmp(c->code, "ExpiredIteratorException") == 0) {
			/* Not data loss: on from the last record read. At
			 * once the first time; an endpoint that expires every
			 * new iterator gets pauses, then a restart. */
			if (sh->unread == 0) {
				sh->unread = 1;
				log_info("shard %s: iterator expired, "
					 "re-acquiring",
				    sh->id);
				shard_start(sh);
			} else
				shard_again(sh, "GetRecords",
				    "a new iterator expired before any read",
				    &sh->unread, iter_retry_cb);
			return;
		}
		/* On a never-read shard: DynamoDB Local hands out the
		 * iterator AT the start, then refuses it here. */
		shard_trimmed(sh, "GetRecords",
		    sh->resumed || sh->read_seq != NULL ||
			shard_ck(sh)->seq != NULL,
		    "records after the checkpoint were trimmed "
		    "(TrimmedDataAccessException)");
		return;
	}
	if (shard_call_failed(sh, c))
		return;
	pg = xcalloc(1, sizeof(*pg));
	pg->body = buf_steal(&c->xfer.resp, &pg->len);
	if (pg->body == NULL ||
	    ddb_parse_records(pg->body, pg->len, &pg->recs) == -1 ||
	    (pg->recs.next_iter.len > 0 &&
		(next = jscan_strdup(&pg->recs.next_iter)) == NULL)) {
		free(pg->body);
		ddb_records_free(&pg->recs);
		free(pg);
		/* Same iterator again: iterators can be reused. */
		shard_malformed(sh, "GetRecords", poll_cb);
		return;
	}
	if ((sh->probe && trim_check(sh, &pg->recs) == -1) ||
	    (st->sp != NULL && pg->recs.n > 0 && spool_take(sh, &pg->recs))) {
		free(next);
		free(pg->body);
		ddb_records_free(&pg->recs);
		free(pg);
		return;
	}
	sh->malformed = 0;
	sh->unread = 0;
	free(sh->iter);
	sh->iter = next;
	sh->finished = next == NULL;
	if (sh->finished) {
		shard_ck(sh)->read_all = 1;
		log_info("shard %s: closed and read to its end", sh->id);
	}
	w->prog.stream_read += pg->recs.n;
	if (pg->recs.n == 0) {
		sh->at_tip = !sh->finished;
		sh->tip_ms = st_now(st);
	} else {
		const struct ddb_record *last = &pg->recs.recs[pg->recs.n - 1];

		sh->at_tip = 0;
		free(sh->read_seq);
		sh->read_seq = jscan_strdup(&last->seq);
		sh->last_created_ms = (int64_t)(last->created * 1000.0);
	}
	if (pg->recs.n == 0 || st->sp != NULL) {
		/* Nothing to hold: none read, or the spool has them. */
		free(pg->body);
		ddb_records_free(&pg->recs);
		free(pg);
	} else {
		st->ahead_bytes += pg->len;
		sh->pend_bytes += pg->len;
		sh->pend_recs += pg->recs.n;
		if (sh->pend_tail != NULL)
			sh->pend_tail->next = pg;
		else
			sh->pend = pg;
		sh->pend_tail = pg;
	}
	advance(sh);
	pump(st);
}

static void
shard_read(struct st_shard *sh)
{
	struct stream *st = sh->st;

	if (st->stopping || st_failed(st))
		return;
	sh->reading = 1;
	if (sh->limit == 0)
		sh->limit = ST_RECORDS_LIMIT;
	if (ddb_get_records_body(&sh->call.req, sh->iter, sh->limit) == -1)
		fatalx("GetRecords body");
	sh->call.op = "GetRecords";
	sh->call.overflow_to_caller = 1;
	aws_call_start(&sh->call, records_done_cb, sh);
}

/* ------------------------------------------------------------------------
 * The spool's commit, applier and bound (issue 13)
 */

static int
ckpt_knows(const char *shard, void *arg)
{
	return checkpoint_shard(arg, shard) != NULL;
}

/* A shard's records are durable up to seq: its read position may go
 * into the checkpoint (never before: spool.h's ordering contract). */
static void
durable_cb(const char *shard, const char *seq, void *arg)
{
	struct stream *st = arg;
	struct ckpt_shard *c = checkpoint_shard(&st->w->ckpt, shard);

	if (c == NULL || c->done)
		return;
	free(c->spooled);
	c->spooled = xstrdup(seq);
	st->w->ckpt_dirty = 1;
}

/*
 * Shards read to their end whose every record is applied are done. The
 * applied position stays ("seq"): after a restart it releases the
 * shard's records still in the spool, so that none is applied twice out
 * of order.
 */
static void
spool_done_check(struct stream *st)
{
	struct checkpoint *ck = &st->w->ckpt;

	for (size_t i = 0; i < ck->nshards; i++) {
		struct ckpt_shard *c = &ck->shards[i];
		const char *last;

		if (c->done || !c->spooled_all)
			continue;
		last = spool_last_seq(st->sp, c->shard_id);
		if (last != NULL &&
		    (c->seq == NULL || checkpoint_seq_cmp(c->seq, last) < 0))
			continue;
		c->done = 1;
		c->spooled_all = 0;
		free(c->spooled);
		c->spooled = NULL;
		st->w->ckpt_dirty = 1;
		st->counts_stale = 1;
		testhook("shard-done");
		log_debug("shard %s finished", c->shard_id);
	}
}

/* Make what was read durable, then say so in the checkpoint (in memory:
 * it is saved as usual). 0, or -1 (failed). */
static int
st_commit(struct stream *st)
{
	struct checkpoint *ck = &st->w->ckpt;

	http_timer_cancel(st->w->http, &st->commit_timer);
	if (spool_commit(st->sp, durable_cb, st) == -1) {
		spool_failed(st);
		return -1;
	}
	testhook("spool-committed");
	if (st->read_all_new > 0) {
		st->read_all_new = 0;
		for (size_t i = 0; i < ck->nshards; i++) {
			struct ckpt_shard *c = &ck->shards[i];

			if (c->read_all && !c->spooled_all && !c->done) {
				c->spooled_all = 1;
				st->w->ckpt_dirty = 1;
			}
		}
		spool_done_check(st);
	}
	apply_next(st);
	return 0;
}

/*
 * Applied positions are released in the spool (and whole segments
 * deleted) only once the checkpoint that holds them is saved: saved at
 * most every ST_RELEASE_MS for that, at once when the spool is full.
 */
static void
release_step(struct stream *st)
{
	struct worker *w = st->w;
	struct checkpoint *ck = &w->ckpt;
	uint64_t first;

	if (!st->unreleased)
		return;
	if (w->ckpt_dirty) {
		if (clock_ms() - st->applied_ms < ST_RELEASE_MS &&
		    !spool_full(st->sp))
			return;
		if (worker_ckpt_flush(w, 1) == -1) {
			st->failed = 1;
			return;
		}
	}
	st->unreleased = 0;
	for (size_t i = 0; i < ck->nshards; i++)
		if (ck->shards[i].seq != NULL)
			(void)spool_release(st->sp, ck->shards[i].shard_id,
			    ck->shards[i].seq);
	/* Shards dropped from the checkpoint were done: all applied. */
	spool_release_unknown(st->sp, ckpt_knows, ck);
	/* The checkpoint learns which segments go before they go, so that
	 * one removed by hand is caught at restart (spool_set_first). */
	first = spool_gc_first(st->sp);
	if (first > ck->stream_spool_segment) {
		ck->stream_spool_segment = first;
		w->ckpt_dirty = 1;
		if (worker_ckpt_flush(w, 1) == -1) {
			st->failed = 1;
			return;
		}
	}
	if (spool_gc(st->sp) == -1)
		spool_failed(st);
}

/* The batch is written: every shard in it moves to its last record. */
static void
batch_applied(struct stream *st, struct st_batch *b)
{
	struct worker *w = st->w;
	uint64_t applied = 0;

	for (size_t i = 0; i < b->npos; i++) {
		struct st_pos *pos = &b->pos[i];
		struct ckpt_shard *c = checkpoint_shard(&w->ckpt, pos->shard);

		if (c == NULL)
			fatalx("spool: shard %s is not in the checkpoint",
			    pos->shard);
		free(c->seq);
		c->seq = xstrndup(pos->seq, pos->seqlen);
		c->items += pos->applied;
		applied += pos->applied;
	}
	if (b->newest > st->newest_applied)
		st->newest_applied = b->newest;
	w->ckpt.stream_items += applied;
	w->prog.stream_written += applied;
	w->ckpt_dirty = 1;
	if (!st->unreleased) {
		st->unreleased = 1;
		st->applied_ms = clock_ms();
	}
	testhook("spool-applied");
	spool_done_check(st);
	release_step(st);
}

static struct st_pos *
batch_pos(struct st_batch *b, const char *shard)
{
	struct st_pos *pos;

	/* Shards are interned by the spool, and a batch has few. */
	for (size_t i = b->npos; i > 0; i--)
		if (b->pos[i - 1].shard == shard)
			return &b->pos[i - 1];
	if (b->npos == b->poscap) {
		b->poscap = b->poscap ? b->poscap * 2 : 16;
		b->pos = xrealloc(b->pos, b->poscap * sizeof(*b->pos));
	}
	pos = &b->pos[b->npos++];
	memset(pos, 0, sizeof(*pos));
	pos->shard = shard;
	return pos;
}

/*
 * Read the next batch of durable records, in the spool's order whatever
 * their shard: changes older than the handoff are skipped (the backfill
 * has them), TTL deletes too unless applied, and the rest collapse to one
 * write per key (the spool's order keeps each key's changes in order, and
 * batches are written one after the other). 1 prepared, 0 nothing durable
 * to read, -1 failed.
 */
static int
batch_prepare(struct stream *st, struct st_batch *b)
{
	struct worker *w = st->w;
	size_t n, keep = 0, nttl = 0, bad;
	long nops;
	int r;

	if ((r = spool_read(st->sp,
		 (size_t)settings_int(SETTING_SPOOL_APPLY_RECORDS),
		 ST_APPLY_BYTES, &b->sb)) == -1) {
		spool_failed(st);
		return -1;
	}
	if (r == 0)
		return 0;
	n = (size_t)r;
	if (n > b->cap) {
		b->cap = n;
		b->recs = xrealloc(b->recs, n * sizeof(*b->recs));
		b->ops = xrealloc(b->ops, n * sizeof(*b->ops));
	}
	if (spool_batch_parse(&b->sb, b->recs, &bad) == -1) {
		st->failed = 1;
		worker_fail(w, WORKER_EXIT_PERMANENT, "BadStreamRecord",
		    "the spool's record %.*s of shard %s is not a stream "
		    "record",
		    (int)b->sb.recs[bad].seqlen, b->sb.recs[bad].seq,
		    b->sb.recs[bad].shard);
		return -1;
	}
	b->npos = 0;
	b->newest = 0;
	for (size_t i = 0; i < n; i++) {
		const struct spool_rec *sr = &b->sb.recs[i];
		struct st_pos *pos = batch_pos(b, sr->shard);

		pos->seq = sr->seq;
		pos->seqlen = sr->seqlen;
		if (lineage_before_handoff(b->recs[i].created,
			st->skip_before_ms)) {
			w->prog.stream_skipped++;
			continue;
		}
		pos->applied++;
		if (b->recs[i].created > b->newest)
			b->newest = b->recs[i].created;
		b->recs[keep++] = b->recs[i];
	}
	if (!w->pair->ttl_apply_deletes) {
		nttl = ttl_partition_deletes(b->recs, 0, keep);
		w->prog.ttl_deletes_skipped += nttl;
	}
	nops = ddb_collapse(b->recs, nttl, keep, st->keyname[0], st->keyname[1],
	    b->ops);
	if (nops < 0) {
		st->failed = 1;
		worker_fail(w, WORKER_EXIT_PERMANENT, "BadStreamRecord",
		    "a spooled record's Keys lack the table's key attributes");
		return -1;
	}
	b->unit.ops = b->ops;
	b->unit.items = NULL;
	b->unit.n = (size_t)nops;
	b->ready = 1;
	return 1;
}

/*
 * The applier's step: write the prepared batch when none is being
 * written, then prepare the next one while it is. A batch with nothing to
 * write (all skipped) is applied at once.
 */
static void
apply_next(struct stream *st)
{
	struct st_batch *b;
	int r;

	if (st->sp == NULL || !st->spool_apply || st->stopping || st_failed(st))
		return;
	while (!st->a_busy) {
		b = &st->ab[st->acur];
		if (!b->ready) {
			if ((r = batch_prepare(st, b)) == -1)
				return;
			st->a_idle = r == 0;
			if (r == 0)
				return;
		}
		b->ready = 0;
		if (b->unit.n == 0) {
			batch_applied(st, b);
			if (st_failed(st))
				return;
			st->acur ^= 1;
			continue;
		}
		st->a_busy = 1;
		st->a_acked = 0;
		writer_submit(st->alane, &b->unit);
		st->acur ^= 1; /* the next one is prepared meanwhile */
	}
	b = &st->ab[st->acur];
	if (!b->ready && (r = batch_prepare(st, b)) >= 0)
		st->a_idle = r == 0;
}

static void
apply_ack_cb(const struct writer_part *parts, unsigned nparts, void *arg)
{
	struct stream *st = arg;
	struct st_batch *b = &st->ab[st->acur ^ 1]; /* the one written */

	for (unsigned i = 0; i < nparts; i++)
		st->a_acked += parts[i].n;
	if (st->a_busy && st->a_acked == b->unit.n) {
		st->a_busy = 0;
		batch_applied(st, b);
	}
	pump(st);
}

/* Where a shard's reader is in time: its last record read, or the last
 * read that found none; never before the handoff (older changes are in
 * the backfill, and a reader going through them is not behind). */
static int64_t
reader_time(const struct stream *st, const struct st_shard *sh)
{
	int64_t t = sh->last_created_ms > sh->tip_ms ? sh->last_created_ms :
						       sh->tip_ms;

	if (t > 0 && t < st->skip_before_ms)
		t = st->skip_before_ms;
	return t;
}

/* How old the oldest record the stream alone holds can be: the last one
 * read of the shard furthest behind (the next is newer), at least as old
 * as the pause. */
static int64_t
reader_age(const struct stream *st, int64_t now)
{
	int64_t age = st->paused ? now - st->paused_ms : 0;

	for (size_t i = 0; i < st->nshards; i++) {
		const struct st_shard *sh = st->shards[i];
		int64_t t = reader_time(st, sh);

		if (sh->state != SH_DONE && t > 0 && now - t > age)
			age = now - t;
	}
	return age;
}

/* Room to restart before the retention runs out: a tenth of it, at most
 * ten minutes. */
static int64_t
spool_margin_ms(const struct stream *st)
{
	int64_t m = st->retention_ms / 10;

	return m < 600000 ? m : 600000;
}

/*
 * Back-pressure: reading waits while the spool is full, saying so with
 * how long the stream can still wait; before unread changes would age
 * out, the pair stops (nothing is dropped silently).
 */
static void
spool_bound(struct stream *st, int64_t now)
{
	struct worker *w = st->w;
	struct spool_stats ss;
	char used[32], max[32], left[32], ret[32], age_s[32];
	int64_t age, wait;

	if (st->paused && !spool_full(st->sp)) {
		st->paused = 0;
		st->full_warned_ms = 0; /* a next pause is said at once */
		st->w->prog.retention_risk = st->reader_warned;
		log_info("Spool: room again; reading the stream goes on");
		for (size_t i = 0; i < st->nshards; i++)
			advance(st->shards[i]);
		pump(st);
		return;
	}
	if (!st->paused)
		return;
	spool_stats(st->sp, &ss);
	age = reader_age(st, now);
	wait = spool_wait_left_ms(age, st->retention_ms, spool_margin_ms(st));
	fmt_bytes(ss.bytes, used, sizeof(used));
	fmt_bytes(ss.max_bytes, max, sizeof(max));
	fmt_duration((uint64_t)st->retention_ms, ret, sizeof(ret));
	fmt_duration((uint64_t)age, age_s, sizeof(age_s));
	if (wait == 0) {
		st->failed = 1;
		w->prog.retention_risk = 1;
		worker_fail(w, WORKER_EXIT_PERMANENT, "SpoolFull",
		    "The spool is full (%s of spool_max_bytes %s) and the "
		    "stream's unread changes are up to %s old: they would "
		    "age out of its %s retention before reading could go on. "
		    "Stopped before anything is lost: give the spool more "
		    "room (spool_max_bytes, or free disk) and restart the "
		    "pair at once",
		    used, max, age_s, ret);
		return;
	}
	if (st->full_warned_ms != 0 && now - st->full_warned_ms < 60000)
		return;
	st->full_warned_ms = now;
	w->prog.retention_risk = 1;
	fmt_duration((uint64_t)wait, left, sizeof(left));
	report_warning("spool_full",
	    "Spool full: %s of spool_max_bytes %s. Reading the stream waits "
	    "for the applier%s; it can wait %s more before unread changes "
	    "age out of the stream's %s retention",
	    used, max, st->spool_apply ? "" : " (after the backfill)", left,
	    ret);
	worker_progress(w, 1);
}

/* The retention warning with the spool: how far the reader is behind,
 * not how long the backfill has run. */
static void
reader_lag_check(struct stream *st, int64_t now)
{
	struct worker *w = st->w;
	int64_t age, warn;
	char dur[32], ret[32];

	if (st->paused)
		return;
	age = reader_age(st, now);
	/* 20 hours of 24 by default; a shorter retention (tests) is
	 * warned about at 5/6 of it. Said again after the reader has come
	 * back to half of that. */
	warn = settings_int(SETTING_RETENTION_WARN_MS);
	if (warn > st->retention_ms / 6 * 5)
		warn = st->retention_ms / 6 * 5;
	if (age < warn / 2 && st->reader_warned) {
		st->reader_warned = 0;
		w->prog.retention_risk = 0;
	}
	if (st->reader_warned || age < warn)
		return;
	st->reader_warned = 1;
	w->prog.retention_risk = 1;
	fmt_duration((uint64_t)age, dur, sizeof(dur));
	fmt_duration((uint64_t)st->retention_ms, ret, sizeof(ret));
	report_warning("retention_risk",
	    "Retention risk: reading the stream into the spool is %s behind "
	    "and the stream keeps changes for %s; changes are lost if it "
	    "falls further behind (check the Streams endpoint's errors and "
	    "throttling)",
	    dur, ret);
	worker_progress(w, 1);
}

/* The spool's share of the progress message. */
static void
spool_progress(struct stream *st, int64_t now)
{
	struct worker *w = st->w;
	struct spool_stats ss;

	spool_stats(st->sp, &ss);
	w->prog.spool_bytes = ss.bytes;
	w->prog.spool_oldest_ms = ss.oldest_ms <= 0 ? -1 :
	    now > ss.oldest_ms			    ? now - ss.oldest_ms :
						      0;
	w->prog.spool_paused = st->paused;
	w->prog.spool_read_lag_ms = reader_age(st, now);
}

/* Once per turn of the loop, in either phase. */
static void
st_tick(struct stream *st)
{
	int64_t now;

	if (st->sweep)
		sweep(st);
	if (st->sp == NULL || st_failed(st))
		return;
	now = st_now(st);
	if (spool_commit_due(st->sp, clock_ms()) && st_commit(st) == -1)
		return;
	release_step(st);
	if (st_failed(st))
		return;
	spool_bound(st, now);
	if (st_failed(st))
		return;
	reader_lag_check(st, now);
	spool_progress(st, now);
}

/* A request is written: the shard's batch is applied when all are. */
static void
batch_ack_cb(const struct writer_part *parts, unsigned nparts, void *arg)
{
	struct st_shard *sh = ((struct st_lane *)arg)->sh;

	for (unsigned i = 0; i < nparts; i++)
		sh->acked_ops += parts[i].n;
	if (sh->applying && sh->acked_ops == sh->nops)
		unit_applied(sh);
	pump(sh->st);
}

static void describe_page(struct stream *);

/*
 * A listing that cannot be trusted (unreadable, looping, too long, a
 * shard twice, a parent that cannot exist): asked again from its first
 * page after a growing pause, and after ST_MALFORMED_RETRIES in a row the
 * worker exits so that the supervisor restarts it. 0, or -1 (failed).
 */
static int describe_bad(struct stream *, int64_t *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
describe_bad(struct stream *st, int64_t *next_ms, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (++st->describe_malformed > ST_MALFORMED_RETRIES) {
		st->failed = 1;
		worker_fail(st->w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "DescribeStream: %s (%u listings in a row); restarting "
		    "the worker",
		    why, st->describe_malformed);
		return -1;
	}
	log_warnx("DescribeStream: %s, asking again", why);
	*next_ms = 500LL << (st->describe_malformed - 1);
	return 0;
}

/* The writer's fence in a fleet: the batch of a lost tenure is dropped;
 * one of the current tenure waits while the lease's deadline has passed. */
static int
st_fence(const struct writer_unit *u, void *arg)
{
	struct st_shard *sh = ((struct st_lane *)arg)->sh;

	(void)u;
	if (sh == NULL || sh->ugen != sh->gen)
		return AWS_FENCE_DROP;
	return member_shard_may_write(sh->st->w->member, sh->id) ?
	    AWS_FENCE_SEND :
	    AWS_FENCE_HOLD;
}

static struct st_lane *
lane_get(struct stream *st, struct st_shard *sh)
{
	struct st_lane *ln = st->lane_pool;

	if (ln != NULL)
		st->lane_pool = ln->next_free;
	else {
		ln = xcalloc(1, sizeof(*ln));
		ln->wl = writer_lane_new(st->wr, batch_ack_cb, ln);
		if (st->w->member != NULL)
			writer_lane_fence(ln->wl, st_fence, ln);
	}
	ln->sh = sh;
	ln->next_free = NULL;
	return ln;
}

/* A shard of the checkpoint not done yet gets its reader. */
static void
shard_new(struct stream *st, const char *id, const char *start)
{
	struct st_shard *sh = xcalloc(1, sizeof(*sh));

	sh->st = st;
	sh->id = xstrdup(id);
	sh->start_seq = xstrdup(start);
	sh->state = SH_WAIT;
	aws_call_init(&sh->call, &st->w->streams, "GetRecords");
	if (st->sp != NULL) {
		/* Spool: on from its last record there, else from the last
		 * applied one (the checkpoint's "seq", via shard_start). */
		const char *last = spool_last_seq(st->sp, id);

		if (last != NULL) {
			sh->read_seq = xstrdup(last);
			sh->last_created_ms = spool_last_created_ms(st->sp, id);
		}
	} else
		sh->lane = lane_get(st, sh);
	if (st->nshards == st->shards_cap) {
		st->shards_cap = st->shards_cap ? st->shards_cap * 2 : 16;
		st->shards = xrealloc(st->shards,
		    st->shards_cap * sizeof(*st->shards));
	}
	st->shards[st->nshards++] = sh;
	hmap_put(&st->live, sh->id, sh);
}

static void
shard_free(struct stream *st, struct st_shard *sh)
{
	http_timer_cancel(st->w->http, &sh->timer);
	aws_call_cleanup(&sh->call);
	pages_free(st, sh->pend);
	pages_free(st, sh->unit);
	if (sh->lane != NULL) {
		sh->lane->sh = NULL;
		sh->lane->next_free = st->lane_pool;
		st->lane_pool = sh->lane;
	}
	free(sh->urecs);
	free(sh->ops);
	free(sh->read_seq);
	free(sh->iter);
	free(sh->start_seq);
	free(sh->id);
	free(sh);
}

/* Finished shards leave memory (the checkpoint keeps their entries). */
static void
sweep(struct stream *st)
{
	size_t i, j = 0;

	st->sweep = 0;
	for (i = 0; i < st->nshards; i++) {
		struct st_shard *sh = st->shards[i];

		if (sh->state == SH_DONE && !sh->reading && !sh->applying) {
			hmap_del(&st->live, sh->id);
			shard_free(st, sh);
			continue;
		}
		st->shards[j++] = sh;
	}
	st->nshards = j;
}

/* Lineage order crosses processes: a parent's "done" is saved before a
 * child starts when the shard-transition crash point is armed. */
static void
transition_hook(struct stream *st, const struct ckpt_shard *c)
{
	if (c->parent_id == NULL || !testhook_armed("shard-transition") ||
	    checkpoint_shard(&st->w->ckpt, c->parent_id) == NULL)
		return;
	st->w->ckpt_dirty = 1;
	if (worker_ckpt_flush(st->w, 1) == -1)
		return;
	testhook("shard-transition");
}

/* A complete listing: check it, merge it, give new shards readers. */
static void
listing_done(struct stream *st)
{
	struct worker *w = st->w;
	size_t added, pruned;
	const char *lost, *bad;
	int rc;

	if ((rc = lineage_check(&w->ckpt, st->listing, st->nlisting,
		 !st->listed_once, &bad)) != 0) {
		int64_t next_ms = st->refresh_ms;

		if (describe_bad(st, &next_ms, "shard %s %s", bad,
			rc == LINEAGE_DUPLICATE ?
			    "is listed twice" :
			    rc == LINEAGE_PARENT_CHANGED ?
			    "is listed with another "
			    "parent than before" :
			    "names a parent that is neither "
			    "listed nor known, and cannot have aged out") == 0)
			describe_soon(st, next_ms);
		return;
	}
	if (lineage_merge(&w->ckpt, st->listing, st->nlisting, &added, &pruned,
		&lost) == -1) {
		st->failed = 1;
		worker_fail(w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "DescribeStream listed a shard twice");
		return;
	}
	if (lost != NULL) {
		gap(st,
		    "shard %s was trimmed from the stream before it was "
		    "fully applied",
		    lost);
		return;
	}
	st->describe_malformed = 0;
	if (added > 0 || pruned > 0) {
		w->ckpt_dirty = 1;
		st->counts_stale = 1;
		log_debug("stream: %zu new shards, %zu aged out", added,
		    pruned);
	}
	for (size_t i = 0; i < st->nlisting; i++) {
		const struct lineage_shard *l = &st->listing[i];
		struct ckpt_shard *c;

		if (hmap_get(&st->live, l->id) != NULL ||
		    (c = checkpoint_shard(&w->ckpt, l->id)) == NULL ||
		    c->done || (st->sp != NULL && c->read_all))
			continue;
		shard_new(st, l->id, l->start);
	}
	if (w->member != NULL)
		member_add_shards(w->member, st->listing, st->nlisting);
	st->listed_once = 1;
	st->listed_ms = clock_ms();
	if (!st->stopping)
		describe_soon(st, st->refresh_ms);
}

static void
listing_free(struct stream *st)
{
	for (size_t i = 0; i < st->nlisting; i++) {
		free((char *)(uintptr_t)st->listing[i].id);
		free((char *)(uintptr_t)st->listing[i].parent);
		free((char *)(uintptr_t)st->listing[i].start);
	}
	st->nlisting = 0;
	st->describe_pages = 0;
	free(st->describe_start);
	st->describe_start = NULL;
}

static void
describe_done_cb(struct aws_call *c, void *arg)
{
	struct stream *st = arg;
	struct worker *w = st->w;
	struct ddb_shard_page pg;
	int64_t next_ms = st->refresh_ms;

	memset(&pg, 0, sizeof(pg));
	if (st_failed(st))
		goto out;
	if (c->status != AWS_OK) {
		if (c->status == AWS_NOT_FOUND)
			gap(st, "the stream %s no longer exists", st->arn);
		else {
			st->failed = 1;
			worker_fail(w, worker_exit_for(c->status), c->code,
			    "DescribeStream failed: %s", c->msg);
		}
		goto out;
	}
	if (ddb_parse_describe_stream(c->body, c->bodylen, &pg) == -1) {
		describe_bad(st, &next_ms, "malformed response");
		goto out;
	}
	if (st->nlisting + pg.n > ST_LISTING_MAX ||
	    ++st->describe_pages > ST_LISTING_PAGES_MAX) {
		describe_bad(st, &next_ms,
		    "the listing goes on past %d shards "
		    "or %d pages",
		    ST_LISTING_MAX, ST_LISTING_PAGES_MAX);
		goto out;
	}
	for (size_t i = 0; i < pg.n; i++) {
		struct lineage_shard *l;
		struct ddb_shard *d = &pg.shards[i];

		if (st->nlisting == st->listing_cap) {
			st->listing_cap = st->listing_cap ?
			    st->listing_cap * 2 :
			    16;
			st->listing = xrealloc(st->listing,
			    st->listing_cap * sizeof(*st->listing));
		}
		l = &st->listing[st->nlisting++];
		l->id = jscan_strdup(&d->id);
		l->parent = d->parent.len > 0 ? jscan_strdup(&d->parent) : NULL;
		l->start = jscan_strdup(&d->start_seq);
		l->open = d->end_seq.len == 0;
		if (l->id == NULL || l->start == NULL ||
		    !checkpoint_seq_valid(l->start) ||
		    (d->parent.len > 0 && l->parent == NULL)) {
			describe_bad(st, &next_ms,
			    "a shard without a readable "
			    "ShardId or StartingSequenceNumber");
			goto out;
		}
	}
	if (pg.last_shard_id.len > 0) {
		char *next = jscan_strdup(&pg.last_shard_id);

		if (next == NULL) {
			describe_bad(st, &next_ms, "bad LastEvaluatedShardId");
			goto out;
		}
		/* The same page again would be asked for forever. */
		if (st->describe_start != NULL &&
		    strcmp(next, st->describe_start) == 0) {
			free(next);
			describe_bad(st, &next_ms,
			    "LastEvaluatedShardId is "
			    "the shard the page was asked to start after (%s): "
			    "the listing would never end",
			    st->describe_start);
			goto out;
		}
		free(st->describe_start);
		st->describe_start = next;
		ddb_shard_page_free(&pg);
		describe_page(st); /* next page */
		return;
	}
	ddb_shard_page_free(&pg);
	listing_done(st);
	listing_free(st);
	st->describing = 0;
	pump(st);
	return;
out:
	listing_free(st);
	ddb_shard_page_free(&pg);
	st->describing = 0;
	if (!st_failed(st) && !st->stopping)
		describe_soon(st, next_ms);
	pump(st);
}

static void
describe_page(struct stream *st)
{
	if (ddb_describe_stream_body(&st->describe.req, st->arn,
		st->describe_start) == -1)
		fatalx("DescribeStream body");
	aws_call_start(&st->describe, describe_done_cb, st);
}

static void
describe_cb(void *arg)
{
	struct stream *st = arg;

	if (st->describing || st->stopping || st_failed(st))
		return;
	st->describing = 1;
	free(st->describe_start);
	st->describe_start = NULL;
	describe_page(st);
}

static void
pump(struct stream *st)
{
	if (st_failed(st) || st->stopping)
		return;
	for (size_t i = 0; i < st->nshards; i++) {
		struct st_shard *sh = st->shards[i];
		struct ckpt_shard *c;

		if (sh->state != SH_WAIT)
			continue;
		if ((c = shard_ck(sh)) == NULL)
			continue; /* pruned */
		/* A child after its parent: applied here, or in a fleet
		 * its lease taken once the parent's says done. */
		if (worker_shard_workable(st->w, c, st->sp != NULL)) {
			transition_hook(st, c);
			shard_start(sh);
		}
	}
	apply_next(st);
	/* Shards with ops waiting share the write slots round robin. */
	if (st->wr != NULL)
		writer_pump(st->wr);
}

static void
update_progress(struct stream *st)
{
	struct worker *w = st->w;
	unsigned done, total, active = 0;
	int tip = 1;
	double now = (double)st_now(st) / 1000.0;

	if (st->counts_stale) {
		lineage_counts(&w->ckpt, &st->ndone, &st->ntotal);
		st->counts_stale = 0;
	}
	done = st->ndone;
	total = st->ntotal;
	for (size_t i = 0; i < st->nshards; i++) {
		struct st_shard *sh = st->shards[i];

		if (sh->state == SH_DONE || sh->state == SH_WAIT)
			continue;
		active++;
		/* At the tip: nothing more to read, nothing left to write. */
		if (!sh->at_tip || sh->applying || sh->pend != NULL)
			tip = 0;
	}
	/* Spool: and the applier has applied every durable record. */
	if (st->sp != NULL && (st->a_busy || !st->a_idle))
		tip = 0;
	w->prog.phase = PROTO_PHASE_STREAM;
	w->prog.shards_done = done;
	w->prog.shards_total = total;
	w->prog.shards_active = active;
	tip = st->listed_once && active > 0 && tip;
	/* Said once per catch-up, and at most once a minute: a source that
	 * changes now and then flips in and out of the tip all the time. */
	if (tip && !w->prog.caught_up &&
	    (st->caught_up_logged_ms == 0 ||
		st_now(st) - st->caught_up_logged_ms >= 60000)) {
		st->caught_up_logged_ms = st_now(st);
		log_info("Caught up: every shard is at its tip (%llu changes "
			 "applied)",
		    (unsigned long long)w->prog.stream_written);
	}
	w->prog.caught_up = tip;
	w->prog.stream_latency_ms = st->newest_applied > 0 ?
	    (int64_t)((now - st->newest_applied) * 1000.0) :
	    -1;
	if (w->prog.stream_latency_ms < -1)
		w->prog.stream_latency_ms = 0;
	/* The lag goes into the checkpoint for ddb-sync verify (it waits it
	 * out before a recheck); reaching the tip is saved soon, not only
	 * with the next change. */
	if (tip || w->prog.stream_latency_ms >= 0) {
		int64_t lag = tip ? 0 : w->prog.stream_latency_ms;

		if (tip && w->ckpt.stream_lag_ms > 0)
			w->ckpt_dirty = 1;
		w->ckpt.stream_lag_ms = lag;
		w->ckpt.stream_lag_at_ms = wall_ms();
	}
	w->prog.buffer_pct = st->wr != NULL ? writer_busy_pct(st->wr) : 0;
	w->prog.elapsed_ms = (uint64_t)(st_now(st) - w->ckpt.stream_started_ms);
}

void
stream_clock_check(struct worker *w)
{
	static int warned;
	int64_t off;
	char dur[32];

	if (warned || !aws_server_offset(&w->src, &off) ||
	    (off < 60000 && off > -60000))
		return;
	warned = 1;
	fmt_duration((uint64_t)(off < 0 ? -off : off), dur, sizeof(dur));
	report_warning("clock_skew",
	    "This host's clock is %s %s the "
	    "server's: ddb-sync times the handoff and TTL on the server's "
	    "clock (Date headers), but check the host's time service",
	    dur, off < 0 ? "ahead of" : "behind");
	worker_progress(w, 1);
}

/* The stream to follow, and whether records can have been lost already. */
static int
stream_setup(struct stream *st)
{
	struct worker *w = st->w;
	struct checkpoint *ck = &w->ckpt;
	int64_t retention = settings_int(SETTING_STREAM_RETENTION_MS);
	int64_t now = aws_server_ms(&w->src);
	int64_t margin = settings_int(SETTING_HANDOFF_MARGIN_MS);

	if (w->src_tab.stream_arn == NULL) {
		worker_fail(w, WORKER_EXIT_CONFIG, "StreamNotUsable",
		    "source table %s has no stream", w->pair->input.table);
		return -1;
	}
	if (ck->stream_arn != NULL &&
	    strcmp(ck->stream_arn, w->src_tab.stream_arn) != 0) {
		gap(st,
		    "the source table's stream was replaced since the "
		    "checkpoint (%s)",
		    ck->stream_arn);
		return -1;
	}
	if (ck->stream_arn == NULL) {
		/* First start: a backfill that began longer ago than the
		 * stream keeps records cannot be completed by the stream. */
		if (ck->backfill_started_ms > 0 &&
		    now - ck->backfill_started_ms > retention) {
			char dur[32];

			fmt_duration((uint64_t)(now - ck->backfill_started_ms),
			    dur, sizeof(dur));
			gap(st,
			    "the backfill started %s ago, longer than the "
			    "stream's retention",
			    dur);
			return -1;
		}
		ck->stream_spool = stream_wants_spool(w); /* before the ARN */
		ck->stream_arn = xstrdup(w->src_tab.stream_arn);
		/* The server's clock; a fleet agreed on one already. */
		if (ck->stream_started_ms == 0)
			ck->stream_started_ms = now;
		w->ckpt_dirty = 1;
		if (worker_ckpt_flush(w, 1) == -1)
			return -1;
	}
	st->arn = ck->stream_arn;
	st->skip_before_ms = ck->backfill_started_ms > 0 && w->pair->backfill ?
	    ck->backfill_started_ms - margin :
	    0;
	/* Trimmed records older than this need no stream: the scan has
	 * them, or (no backfill) they predate the copy. */
	st->handoff_ms = (st->skip_before_ms > 0 ? ck->backfill_started_ms :
						   ck->stream_started_ms) -
	    margin;
	st->retention_ms = retention;
	return 0;
}

/*
 * Open the spool and line it up with the checkpoint: the torn tail cut
 * at open is read again from the stream; records of applied shards are
 * released; a shard the checkpoint says was spooled further than the
 * spool holds lost records (the files were removed): read again when
 * the spool is empty, else a clear error. 0, or -1 (failed).
 */
static int
spool_setup(struct stream *st)
{
	struct worker *w = st->w;
	struct checkpoint *ck = &w->ckpt;
	struct spool_recovery rec;
	const char *lost = NULL, *lost_seq = NULL, *held = NULL;
	char *dir, err[1024], b1[32], b2[32];
	uint64_t max = w->pair->spool_max_bytes;

	xasprintf(&dir, "%s/%s", w->pair_dir, SPOOL_DIR);
	st->sp = spool_open(dir, max, &rec, err, sizeof(err));
	if (st->sp == NULL) {
		worker_fail(w, WORKER_EXIT_PERMANENT, "SpoolCorrupt",
		    "%s. The checkpoint and the spool are kept: nothing was "
		    "applied past them",
		    err);
		free(dir);
		return -1;
	}
	if (!w->pair->spool)
		log_info("Spool: the plan says spool: false, but this pair's "
			 "stream started with the spool; it keeps using it "
			 "until the copy is started over");
	if (rec.cut_bytes > 0)
		log_warnx("Spool: cut a torn tail of %llu bytes off %s at "
			  "offset %llu (%s): those records are read again from "
			  "the stream",
		    (unsigned long long)rec.cut_bytes, rec.cut_file,
		    (unsigned long long)rec.cut_offset, rec.cut_why);
	/* Numbering starts at 1: before any deletion, that is the oldest. */
	if (spool_set_first(st->sp,
		ck->stream_spool_segment > 0 ? ck->stream_spool_segment : 1,
		err, sizeof(err)) == -1) {
		worker_fail(w, WORKER_EXIT_PERMANENT, "SpoolLost", "%s", err);
		free(dir);
		return -1;
	}
	spool_release_unknown(st->sp, ckpt_knows, ck);
	for (size_t i = 0; i < ck->nshards; i++) {
		struct ckpt_shard *c = &ck->shards[i];
		const char *last = spool_last_seq(st->sp, c->shard_id);
		const char *have = last != NULL ? last : c->seq;

		if (c->seq != NULL)
			(void)spool_release(st->sp, c->shard_id, c->seq);
		if (c->done)
			continue;
		if (c->spooled != NULL && lost == NULL &&
		    (have == NULL ||
			checkpoint_seq_cmp(c->spooled, have) > 0)) {
			lost = c->shard_id;
			lost_seq = c->spooled;
			held = have;
		}
		c->read_all = c->spooled_all;
	}
	if (lost != NULL && rec.records > 0) {
		worker_fail(w, WORKER_EXIT_PERMANENT, "SpoolLost",
		    "the spool %s lacks records of shard %s that the "
		    "checkpoint says are durable there (up to %s; it holds up "
		    "to %s): segment files were removed or replaced. Restore "
		    "them, or remove the spool directory to read those changes "
		    "again from the stream while it still has them",
		    dir, lost, lost_seq, held != NULL ? held : "none");
		free(dir);
		return -1;
	}
	if (lost != NULL) {
		log_warnx(
		    "Spool: %s holds none of the records the checkpoint "
		    "says were spooled (shard %s up to %s): they are read "
		    "again from the stream",
		    dir, lost, lost_seq);
		for (size_t i = 0; i < ck->nshards; i++) {
			struct ckpt_shard *c = &ck->shards[i];

			free(c->spooled);
			c->spooled = NULL;
			c->spooled_all = c->read_all = 0;
		}
		w->ckpt_dirty = 1;
	}
	if (rec.records > 0)
		log_info(
		    "Spool: %llu records (%s) kept from the last run, in %u "
		    "segments",
		    (unsigned long long)rec.records,
		    fmt_bytes(rec.bytes, b1, sizeof(b1)), rec.segments);
	else {
		struct spool_stats ss;

		spool_stats(st->sp, &ss);
		log_info("Spool: %s, bound %s", dir,
		    fmt_bytes(ss.max_bytes, b2, sizeof(b2)));
	}
	free(dir);
	return 0;
}

int
stream_wants_spool(const struct worker *w)
{
	const struct checkpoint *ck = &w->ckpt;

	/* A fleet's shards move between hosts; a spool is one host's. */
	if (w->member != NULL)
		return 0;
	if (ck->stream_arn != NULL)
		return ck->stream_spool;
	return w->pair->spool && w->pair->backfill && w->pair->stream &&
	    ck->backfill_completed_ms == 0;
}

static struct stream *
stream_new(struct worker *w)
{
	struct stream *st = xcalloc(1, sizeof(*st));

	st->w = w;
	strlcpy(st->keyname[0], w->src_tab.hash.name, sizeof(st->keyname[0]));
	strlcpy(st->keyname[1], w->src_tab.range.name, sizeof(st->keyname[1]));
	st->poll_ms = settings_int(SETTING_POLL_MS);
	st->refresh_ms = settings_int(SETTING_SHARD_REFRESH_MS);
	st->ahead_records = (size_t)settings_int(SETTING_STREAM_AHEAD_RECORDS);
	hmap_init(&st->live);
	st->counts_stale = 1;
	aws_call_init(&st->describe, &w->streams, "DescribeStream");
	w->stream = st;
	if (stream_setup(st) == -1 ||
	    (w->ckpt.stream_spool && spool_setup(st) == -1)) {
		stream_free(w);
		return NULL;
	}
	return st;
}

void
stream_free(struct worker *w)
{
	struct stream *st = w->stream;

	if (st == NULL)
		return;
	/* Writes still in flight are abandoned: their batches are not
	 * checkpointed, so a restart applies them again. */
	writer_free(st->wr);
	st->wr = NULL;
	aws_call_cleanup(&st->describe);
	http_timer_cancel(w->http, &st->describe_timer);
	http_timer_cancel(w->http, &st->commit_timer);
	for (size_t i = 0; i < st->nshards; i++)
		shard_free(st, st->shards[i]);
	while (st->lane_pool != NULL) {
		struct st_lane *ln = st->lane_pool;

		st->lane_pool = ln->next_free;
		free(ln);
	}
	free(st->shards);
	hmap_clear(&st->live);
	listing_free(st);
	free(st->listing);
	spool_close(st->sp);
	for (unsigned i = 0; i < 2; i++) {
		spool_batch_free(&st->ab[i].sb);
		free(st->ab[i].recs);
		free(st->ab[i].ops);
		free(st->ab[i].pos);
	}
	free(st);
	w->stream = NULL;
}

/* SIGINT/SIGTERM: reads stop, a batch being written finishes, what was
 * read into the spool is made durable. */
static void
st_stop(struct stream *st)
{
	struct worker *w = st->w;

	st->stopping = 1;
	if (st->wr != NULL) {
		writer_stop(st->wr);
		log_info("Stopping: finishing %u writes in flight",
		    writer_inflight(st->wr));
	}
	http_timer_cancel(w->http, &st->describe_timer);
	aws_call_abort(&st->describe);
	for (size_t i = 0; i < st->nshards; i++) {
		struct st_shard *sh = st->shards[i];

		/* Pages read ahead are dropped: they lie after the
		 * checkpoint and are read again. */
		http_timer_cancel(w->http, &sh->timer);
		if (sh->reading || sh->state == SH_ITER) {
			aws_call_abort(&sh->call);
			sh->reading = 0;
		}
		if (sh->state == SH_ITER)
			sh->state = SH_WAIT;
	}
	if (st->sp != NULL && !st_failed(st))
		(void)st_commit(st);
}

int
stream_spool_start(struct worker *w)
{
	struct stream *st;

	if (!w->pair->stream || !stream_wants_spool(w))
		return 0;
	if ((st = stream_new(w)) == NULL)
		return -1;
	log_info("Spool: reading the stream while the backfill runs; its "
		 "changes are applied after it");
	stream_clock_check(w);
	describe_cb(st);
	return 0;
}

int
stream_spool_tick(struct worker *w)
{
	struct stream *st = w->stream;

	if (st == NULL)
		return 0;
	if (worker_stop && !st->stopping)
		st_stop(st);
	st_tick(st);
	return st_failed(st) ? -1 : 0;
}

/* The fleet gave this host shard id: read on from the lease's seq. */
static void
fleet_claimed_cb(void *arg, const char *id)
{
	struct stream *st = arg;
	struct st_shard *sh = hmap_get(&st->live, id);

	if (sh == NULL)
		return;
	free(sh->read_seq);
	sh->read_seq = NULL;
	free(sh->iter);
	sh->iter = NULL;
	sh->finished = sh->at_tip = sh->probe = 0;
	sh->malformed = sh->unread = 0;
	sh->state = SH_WAIT;
	pump(st);
}

/* The fleet lost shard id: stop reading and drop what was read. Its batch
 * is the writer's fence's to drop (st_fence: acknowledged unsent); when
 * every write is acknowledged, unit_applied frees it without moving the
 * checkpoint (its generation is past). */
static void
fleet_lost_cb(void *arg, const char *id)
{
	struct stream *st = arg;
	struct st_shard *sh = hmap_get(&st->live, id);

	if (sh == NULL)
		return;
	sh->gen++;
	if (sh->reading || sh->state == SH_ITER) {
		aws_call_abort(&sh->call);
		sh->reading = 0;
	}
	http_timer_cancel(st->w->http, &sh->timer);
	if (sh->pend != NULL) {
		pages_free(st, sh->pend);
		sh->pend = sh->pend_tail = NULL;
		sh->pend_recs = sh->pend_bytes = 0;
	}
	if (sh->state != SH_DONE)
		sh->state = SH_WAIT;
}

/* Claimable: the stream reads it (listed here) and nothing of an earlier
 * tenure is in flight. */
static int
fleet_drained_cb(void *arg, const char *id)
{
	struct stream *st = arg;
	struct st_shard *sh = hmap_get(&st->live, id);

	return sh != NULL && sh->state != SH_DONE && !sh->reading &&
	    !sh->applying && sh->state != SH_ITER;
}

/* Another host finished shard id. */
static void
fleet_done_cb(void *arg, const char *id)
{
	struct stream *st = arg;
	struct st_shard *sh = hmap_get(&st->live, id);

	st->counts_stale = 1;
	if (sh == NULL || sh->state == SH_DONE)
		return;
	sh->state = SH_DONE;
	st->sweep = 1;
}

int
stream_run(struct worker *w)
{
	struct stream *st = w->stream;
	unsigned done, total;
	uint64_t expired, read = w->prog.stream_read;
	int rc, spooling = st != NULL;

	if (st == NULL && (st = stream_new(w)) == NULL)
		return -1;
	stream_clock_check(w);
	st->wr = writer_new(w);
	if (w->member != NULL) {
		struct member_shard_hooks h = { fleet_claimed_cb, fleet_lost_cb,
			fleet_drained_cb, fleet_done_cb, st };

		member_stream_hooks(w->member, &h);
	}
	if (st->sp != NULL) {
		st->alane = writer_lane_new(st->wr, apply_ack_cb, st);
		st->spool_apply = 1;
	}

	expired = w->prog.ttl_expired_skipped;
	memset(&w->prog, 0, sizeof(w->prog));
	w->prog.ttl_expired_skipped = expired; /* for the summary */
	w->prog.phase = PROTO_PHASE_STREAM;
	w->prog.stream_written = w->ckpt.stream_items;
	w->prog.stream_read = read;
	w->prog.stream_latency_ms = -1;
	w->prog.spool_oldest_ms = -1;
	w->prog.spool_read_lag_ms = -1;
	lineage_counts(&w->ckpt, &done, &total);
	/* A spool read during this run's backfill is not a resumption. */
	if (total > 0 && !spooling)
		log_info("Resuming stream from checkpoint: %u shards known, %u "
			 "done, %llu changes applied so far",
		    total, done, (unsigned long long)w->ckpt.stream_items);
	else if (st->sp == NULL)
		log_info("Stream starting from each shard's start%s",
		    st->skip_before_ms > 0 ? "; changes older than the "
					     "backfill's start are skipped" :
					     "");
	if (st->sp != NULL) {
		struct spool_stats ss;
		char b[32];

		spool_stats(st->sp, &ss);
		log_info("Applying the spool (%s), then following the stream "
			 "live through it",
		    fmt_bytes(ss.bytes, b, sizeof(b)));
	}
	report_phase(PROTO_PHASE_STREAM, PROTO_PS_RUNNING, w->ckpt.stream_items,
	    (uint64_t)(aws_server_ms(&w->src) - w->ckpt.stream_started_ms),
	    NULL);

	if (!spooling)
		describe_cb(st);
	pump(st);
	while (!st_failed(st)) {
		http_run(w->http, 250);
		if (w->member != NULL && !st->stopping) {
			member_tick(w->member);
			if (member_failed(w->member)) {
				st->failed = 1;
				break;
			}
			pump(st);
		}
		if (worker_stop && !st->stopping)
			st_stop(st);
		if (st->stopping && writer_drained(st->wr))
			break;
		st_tick(st);
		stream_clock_check(w);
		update_progress(st);
		if (worker_ckpt_flush(w, 0) == -1)
			break;
		worker_progress(w, 0);
	}

	update_progress(st);
	if (writer_failed(st->wr))
		st->failed = 1;
	rc = st->failed;
	/* The others take this host's shards over at once. */
	member_release_all(w->member);
	member_stream_hooks(w->member, NULL);
	stream_free(w);
	if (worker_ckpt_flush(w, 1) == -1)
		rc = 1;
	worker_progress(w, 1);
	if (rc || w->exit_code != 0)
		return -1;
	log_info("Stream stopped: %llu changes applied in all",
	    (unsigned long long)w->ckpt.stream_items);
	ttl_log_skipped(w, PROTO_PHASE_STREAM);
	report_phase(PROTO_PHASE_STREAM, PROTO_PS_STOPPED, w->ckpt.stream_items,
	    (uint64_t)(aws_server_ms(&w->src) - w->ckpt.stream_started_ms),
	    NULL);
	return 1;
}
