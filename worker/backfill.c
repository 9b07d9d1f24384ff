/* backfill.c: parallel Scan of the source, BatchWriteItem into the destination. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "log.h"
#include "report.h"
#include "settings.h"
#include "testhook.h"
#include "ttl.h"
#include "worker.h"
#include "writer.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * Items travel as byte spans: a Scan response body is kept whole and each
 * item's JSON is copied once, verbatim, into a BatchWriteItem body. A page
 * stays in memory until every item on it is acknowledged; the segment's
 * checkpoint then moves to that page's LastEvaluatedKey, in page order, so a
 * restart redoes at most the pages that were still buffered. The pages go
 * to the write engine (writer.c) as units of one lane, so its requests take
 * 25 items from any pages.
 */

struct bf_seg;

struct bf_page {
	struct bf_page *next;	 /* segment FIFO */
	struct writer_unit unit; /* its items, handed to the writer */
	struct bf_seg *seg;
	char *body; /* the Scan response, owned */
	size_t bodylen;
	struct jspan *items;
	size_t nitems;
	size_t acked;	 /* items confirmed written */
	size_t nscanned; /* items the Scan returned */
	size_t nexpired; /* of those, expired ones skipped */
	char *lek;	 /* NULL on the segment's last page */
	unsigned gen;	 /* the segment's gen when it was read */
};

struct bf_seg {
	struct backfill *bf;
	struct ckpt_segment *ck;
	struct aws_call scan;
	struct ddb_page parsed;
	struct http_timer timer; /* retry after a malformed page */
	int scanning;
	int eof;
	unsigned malformed;
	char *next_key; /* ExclusiveStartKey of the next Scan */
	struct bf_page *head, *tail;
	unsigned npages;
	double est; /* RCU taken from the bucket */
	/* A fleet: bumped when the lease is claimed or lost, so pages of
	 * an earlier tenure move no checkpoint when their writes land. */
	unsigned gen;
};

struct backfill {
	struct worker *w;
	struct bf_seg *segs;
	size_t nsegs;
	struct writer *wr;
	struct writer_lane *lane;
	size_t buffered; /* bytes of page bodies held */
	size_t buffer_max;
	unsigned pages_per_seg;
	uint32_t page_size;
	int stopping;
	int failed;
	int complete;
	uint64_t written_run; /* items acknowledged by this run */
	int64_t started_ms;
	/* The read bucket (w->lim.rb): a Scan takes the last page's cost
	 * when it goes, its answer settles it; gate pumps when tokens are
	 * due. order: the segments in the (shuffled) order they start. */
	double scan_est;
	struct http_timer gate;
	size_t *order;
};

static void pump(struct backfill *);

/* A Scan or the writer has failed: the run ends. */
static int
bf_failed(const struct backfill *bf)
{
	return bf->failed || (bf->wr != NULL && writer_failed(bf->wr));
}

uint32_t
backfill_auto_page_size(int64_t item_count, int64_t size_bytes)
{
	int64_t avg, n;

	/* About 1 MB of items per page, the service's own page limit. */
	if (item_count <= 0 || size_bytes <= 0)
		return 1000;
	avg = size_bytes / item_count;
	if (avg < 1)
		avg = 1;
	n = (1024 * 1024) / avg;
	if (n < 100)
		n = 100;
	if (n > 1000)
		n = 1000;
	return (uint32_t)n;
}

uint32_t
backfill_auto_segments(int64_t item_count, int64_t size_bytes,
    uint32_t page_size)
{
	int64_t s, pages;

	/* One segment per 2 GiB (the Developer Guide's rule), at least 4 so
	 * small tables still read in parallel, at most 1000. */
	/* Divisions that cannot overflow whatever DescribeTable said. */
	if (size_bytes < 0)
		size_bytes = 0;
	s = size_bytes / (2LL << 30) + (size_bytes % (2LL << 30) != 0);
	if (s < 4)
		s = 4;
	if (s > 1000)
		s = 1000;
	/* No more segments than pages: each should have work. */
	if (page_size == 0)
		page_size = 1000;
	pages = item_count > 0 ?
	    item_count / page_size + (item_count % page_size != 0) :
	    1;
	if (s > pages)
		s = pages;
	return (uint32_t)(s < 1 ? 1 : s);
}

static void
page_free(struct bf_page *pg)
{
	free(pg->body);
	free(pg->items);
	free(pg->lek);
	free(pg);
}

/* Move the segment checkpoint over every leading page that is written. */
static void
seg_advance(struct bf_seg *seg)
{
	struct backfill *bf = seg->bf;
	struct worker *w = bf->w;
	struct bf_page *pg;

	while ((pg = seg->head) != NULL && pg->acked >= pg->nitems) {
		seg->head = pg->next;
		if (seg->head == NULL)
			seg->tail = NULL;
		seg->npages--;
		bf->buffered -= pg->bodylen;
		if (pg->gen != seg->gen) {
			/* Read under a lease since lost: the new owner
			 * writes it again from its own checkpoint. */
			page_free(pg);
			continue;
		}
		/* The tally: counted apart, compared at the end. */
		seg->ck->items += pg->acked;
		seg->ck->scanned += pg->nscanned;
		seg->ck->expired += pg->nexpired;
		free(seg->ck->last_key);
		seg->ck->last_key = NULL;
		if (pg->lek != NULL) {
			seg->ck->last_key = pg->lek;
			pg->lek = NULL;
		} else {
			seg->ck->done = 1;
			w->prog.segments_done++;
			log_debug("segment %u done: %llu items",
			    seg->ck->segment,
			    (unsigned long long)seg->ck->items);
		}
		w->ckpt_dirty = 1;
		if (w->member != NULL)
			member_seg_changed(w->member, (size_t)(seg - bf->segs));
		page_free(pg);
	}
}

static void scan_done_cb(struct aws_call *, void *);

static void
scan_start(struct bf_seg *seg)
{
	struct backfill *bf = seg->bf;
	struct worker *w = bf->w;

	if (ddb_scan_body(&seg->scan.req, w->pair->input.table,
		seg->ck->segment, w->ckpt.total_segments, bf->page_size,
		seg->next_key, w->pair->consumed_capacity) == -1)
		fatalx("scan body too large");
	seg->scanning = 1;
	seg->est = bf->scan_est;
	gov_bucket_take(&w->lim.rb, seg->est, clock_ms());
	aws_call_start(&seg->scan, scan_done_cb, seg);
}

static void
scan_retry_cb(void *arg)
{
	struct bf_seg *seg = arg;

	if (!seg->bf->stopping && !bf_failed(seg->bf))
		scan_start(seg);
}

static void
scan_done_cb(struct aws_call *c, void *arg)
{
	struct bf_seg *seg = arg;
	struct backfill *bf = seg->bf;
	struct worker *w = bf->w;
	struct bf_page *pg;
	size_t len;
	char *body;

	seg->scanning = 0;
	if (bf_failed(bf))
		return;
	switch (worker_scan_answer(w, c, w->pair->input.table, seg->ck->segment,
	    &seg->malformed, &seg->parsed, &body, &len)) {
	case -1:
		gov_bucket_take(&w->lim.rb, -seg->est, clock_ms());
		seg->est = 0;
		bf->failed = 1;
		return;
	case 1:
		/* The retry takes its estimate again. */
		gov_bucket_take(&w->lim.rb, -seg->est, clock_ms());
		seg->est = 0;
		http_timer_set(w->http, &seg->timer, 1000, scan_retry_cb, seg);
		return;
	}

	pg = xcalloc(1, sizeof(*pg));
	pg->seg = seg;
	pg->gen = seg->gen;
	pg->body = body;
	pg->bodylen = len;
	pg->items = seg->parsed.items;
	pg->nitems = seg->parsed.nitems;
	seg->parsed.items = NULL;
	seg->parsed.nitems = seg->parsed.cap = 0;
	free(seg->next_key);
	seg->next_key = NULL;
	if (seg->parsed.lek.len > 0) {
		pg->lek = xstrndup(seg->parsed.lek.p, seg->parsed.lek.len);
		seg->next_key = xstrdup(pg->lek);
	} else
		seg->eof = 1;

	w->prog.items_read += pg->nitems;
	pg->nscanned = pg->nitems;
	/* ttl.skip_expired: an expired item is handled by not copying it,
	 * so the checkpoint moves over it as over a written one. */
	if (w->ttl_attr != NULL) {
		size_t kept = ttl_drop_expired(pg->items, pg->nitems,
		    w->ttl_attr, ttl_now(w));

		w->prog.ttl_expired_skipped += pg->nitems - kept;
		pg->nexpired = pg->nitems - kept;
		pg->nitems = kept;
	}
	w->prog.bytes_read += seg->parsed.item_bytes;
	w->prog.rcu += seg->parsed.capacity;
	/* What the page cost settles what was taken; the next Scan takes
	 * as much. */
	bf->scan_est = w->pair->consumed_capacity && seg->parsed.capacity > 0 ?
	    seg->parsed.capacity :
	    gov_rcu_estimate(seg->parsed.item_bytes);
	gov_bucket_take(&w->lim.rb, bf->scan_est - seg->est, clock_ms());
	seg->est = 0;
	bf->buffered += len;

	if (seg->tail != NULL)
		seg->tail->next = pg;
	else
		seg->head = pg;
	seg->tail = pg;
	seg->npages++;
	if (pg->nitems > 0) {
		pg->unit.items = pg->items;
		pg->unit.n = pg->nitems;
		writer_submit(bf->lane, &pg->unit);
	} else
		seg_advance(seg); /* an empty page still moves the key */
	testhook("scan-page");
	pump(bf);
}

/* A request is written: its items' pages move towards release. */
static void
batch_ack_cb(const struct writer_part *parts, unsigned nparts, void *arg)
{
	struct backfill *bf = arg;
	struct worker *w = bf->w;
	uint64_t n = 0;

	for (unsigned i = 0; i < nparts; i++) {
		struct bf_page *pg =
		    (struct bf_page *)(void *)((char *)parts[i].unit -
			offsetof(struct bf_page, unit));

		pg->acked += parts[i].n;
		n += parts[i].n;
		if (pg->acked >= pg->nitems)
			seg_advance(pg->seg);
	}
	bf->written_run += n;
	w->prog.items_written += n;
	testhook("batch-acked");
	pump(bf);
}

int
backfill_tally(const struct checkpoint *ck, uint64_t *scanned,
    uint64_t *written, uint64_t *expired)
{
	*scanned = *written = *expired = 0;
	for (size_t i = 0; i < ck->nsegments; i++) {
		*scanned += ck->segments[i].scanned;
		*written += ck->segments[i].items;
		*expired += ck->segments[i].expired;
	}
	return *scanned == *written + *expired ? 0 : -1;
}

static void
finish(struct backfill *bf)
{
	/* A fleet's backfill is done when every segment is, on any host. */
	if (bf->w->member != NULL) {
		if (writer_inflight(bf->wr) == 0 &&
		    member_backfill_done(bf->w->member))
			bf->complete = 1;
		return;
	}
	for (size_t i = 0; i < bf->nsegs; i++)
		if (!bf->segs[i].ck->done)
			return;
	if (writer_inflight(bf->wr) > 0)
		return;
	bf->complete = 1;
}

static void
gate_cb(void *arg)
{
	pump(arg);
}

/* The read bucket lets a Scan go, or arms the gate for when it will. */
static int
scan_may_start(struct backfill *bf)
{
	struct gov_bucket *b = &bf->w->lim.rb;
	int64_t now = clock_ms(), wait;

	if (gov_bucket_open(b, now))
		return 1;
	wait = gov_bucket_wait_ms(b, now);
	if (!bf->gate.armed)
		http_timer_set(bf->w->http, &bf->gate, wait < 0 ? 250 : wait,
		    gate_cb, bf);
	return 0;
}

static void
pump(struct backfill *bf)
{
	if (bf_failed(bf) || bf->complete)
		return;
	if (!bf->stopping) {
		writer_pump(bf->wr);
		for (size_t i = 0; i < bf->nsegs; i++) {
			struct bf_seg *seg = &bf->segs[bf->order[i]];

			if (seg->scanning || seg->eof || seg->ck->done ||
			    seg->timer.armed ||
			    (bf->w->member != NULL &&
				!member_seg_workable(bf->w->member,
				    bf->order[i])) ||
			    seg->npages >= bf->pages_per_seg ||
			    bf->buffered >= bf->buffer_max)
				continue;
			if (!scan_may_start(bf))
				break;
			scan_start(seg);
		}
	}
	finish(bf);
}

/*
 * Hot partitions: segments start in a shuffled order, not 0..N-1, so the
 * first pages (and so the first writes) come from all over the key space
 * rather than from its first slices. The shuffle is seeded by the pair's
 * name: a restart starts them in the same order. Pure.
 */
void
backfill_shuffle(size_t *order, size_t n, const char *seed)
{
	uint64_t x = 1469598103934665603ULL; /* FNV-1a of the seed */

	for (const char *p = seed; *p != '\0'; p++)
		x = (x ^ (unsigned char)*p) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j, t;

		/* xorshift64* */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		j = (size_t)((x * 2685821657736338717ULL) % i);
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

static void
update_buffer(struct backfill *bf)
{
	struct worker *w = bf->w;
	uint64_t pct = (uint64_t)bf->buffered * 100 / bf->buffer_max;

	w->prog.buffer_pct = pct > 100 ? 100 : (uint32_t)pct;
	w->prog.elapsed_ms = (uint64_t)(aws_server_ms(&w->src) -
	    w->ckpt.backfill_started_ms);
}

/*
 * The stream keeps 24 hours of changes and the stream phase starts when
 * the backfill ends: warn well before a long backfill outlives them.
 */
static void
retention_check(struct backfill *bf, int64_t warn_ms)
{
	struct worker *w = bf->w;
	int64_t age = aws_server_ms(&w->src) - w->ckpt.backfill_started_ms;
	char dur[32];

	if (!w->pair->stream || w->prog.retention_risk || age < warn_ms)
		return;
	w->prog.retention_risk = 1;
	fmt_duration((uint64_t)age, dur, sizeof(dur));
	report_warning("retention_risk",
	    "Retention risk: the backfill has "
	    "been running for %s and the source's stream keeps changes for "
	    "24 hours; changes made since it started are lost if it does not "
	    "finish in time (more segments or writes in flight, or split the "
	    "table across hosts with 'segments')",
	    dur);
	worker_progress(w, 1);
}

/* The fleet claimed segment idx: it resumes from the lease's checkpoint. */
static void
member_claimed_cb(void *arg, size_t idx)
{
	struct backfill *bf = arg;
	struct bf_seg *seg = &bf->segs[idx];

	seg->gen++;
	seg->eof = 0;
	seg->malformed = 0;
	free(seg->next_key);
	seg->next_key = seg->ck->last_key != NULL ? xstrdup(seg->ck->last_key) :
						    NULL;
	pump(bf);
}

/* The fleet lost segment idx: no more reads; what is in flight counts for
 * nothing (its gen is past). */
static void
member_lost_cb(void *arg, size_t idx)
{
	struct backfill *bf = arg;
	struct bf_seg *seg = &bf->segs[idx];

	seg->gen++;
	if (seg->scanning) {
		aws_call_abort(&seg->scan);
		gov_bucket_take(&bf->w->lim.rb, -seg->est, clock_ms());
		seg->est = 0;
		seg->scanning = 0;
	}
	http_timer_cancel(bf->w->http, &seg->timer);
	seg->eof = 0;
}

static int
member_drained_cb(void *arg, size_t idx)
{
	struct backfill *bf = arg;
	struct bf_seg *seg = &bf->segs[idx];

	return !seg->scanning && seg->npages == 0;
}

/* Create (fresh run) or check (resume) the segment entries. */
static int
setup_segments(struct backfill *bf)
{
	struct worker *w = bf->w;
	struct plan_pair *p = w->pair;
	struct checkpoint *ck = &w->ckpt;
	size_t n;

	if (w->member != NULL) {
		struct member_hooks h = { member_claimed_cb, member_lost_cb,
			member_drained_cb, bf };
		uint32_t total = p->total_segments;

		if (total == 0)
			total = backfill_auto_segments(w->src_tab.item_count,
			    w->src_tab.size_bytes, bf->page_size);
		/* Every segment of the pair, worked on as leases allow. */
		if (member_backfill_setup(w, total, &h) != 0)
			return -1;
		stream_clock_check(w);
		return 0;
	}
	if (ck->nsegments == 0) {
		uint32_t total = p->total_segments;

		if (total == 0)
			total = backfill_auto_segments(w->src_tab.item_count,
			    w->src_tab.size_bytes, bf->page_size);
		ck->total_segments = total;
		n = p->nsegments > 0 ? p->nsegments : total;
		for (size_t i = 0; i < n; i++)
			checkpoint_add_segment(ck,
			    p->nsegments > 0 ? p->segments[i] : (uint32_t)i);
		/* On the server's clock (the Date of the preflight's
		 * DescribeTable, or later answers): the stream's records
		 * carry that clock's times, and the host's may be off. */
		ck->backfill_started_ms = aws_server_ms(&w->src);
		stream_clock_check(w);
		w->ckpt_dirty = 1;
		/* The start time must be durable before anything is read:
		 * the stream phase skips records older than it. */
		if (worker_ckpt_flush(w, 1) == -1)
			return -1;
		log_info("Backfill starting: %u segments%s, page size %u, "
			 "%u writes in flight",
		    total, p->total_segments ? "" : " (automatic)",
		    bf->page_size, writer_limit(bf->wr));
		return 0;
	}
	/* Resume: the plan must describe the same split. */
	n = p->nsegments > 0 ? p->nsegments : ck->total_segments;
	if ((p->total_segments != 0 &&
		p->total_segments != ck->total_segments) ||
	    n != ck->nsegments) {
		worker_fail(w, WORKER_EXIT_CONFIG, "CheckpointMismatch",
		    "checkpoint %s was written for %u total segments (%zu "
		    "scanned here); the plan now asks for %u (%zu): use "
		    "another state directory or restore the plan",
		    w->ckpt_path, ck->total_segments, ck->nsegments,
		    p->total_segments ? p->total_segments : ck->total_segments,
		    n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t want = p->nsegments > 0 ? p->segments[i] : (uint32_t)i;

		if (checkpoint_segment(ck, want) == NULL) {
			worker_fail(w, WORKER_EXIT_CONFIG, "CheckpointMismatch",
			    "checkpoint %s has no entry for segment %u of "
			    "the plan: use another state directory or "
			    "restore the plan",
			    w->ckpt_path, want);
			return -1;
		}
	}
	return 0;
}

int
backfill_run(struct worker *w)
{
	struct backfill bf;
	struct checkpoint *ck = &w->ckpt;
	uint64_t base = 0;
	uint32_t done = 0;
	int64_t warn_ms;
	int rc;
	char dur[32];

	memset(&bf, 0, sizeof(bf));
	bf.w = w;
	bf.page_size = w->pair->page_size ?
	    w->pair->page_size :
	    backfill_auto_page_size(w->src_tab.item_count,
		w->src_tab.size_bytes);
	bf.buffer_max = (size_t)settings_int(SETTING_BUFFER_BYTES);
	bf.pages_per_seg = (unsigned)settings_int(SETTING_PAGES_PER_SEGMENT);
	if (bf.pages_per_seg == 0)
		bf.pages_per_seg = 1;
	warn_ms = settings_int(SETTING_RETENTION_WARN_MS);
	bf.wr = writer_new(w);
	bf.lane = writer_lane_new(bf.wr, batch_ack_cb, &bf);

	/* With the spool, the stream is read from now on (stream.c). */
	if ((rc = setup_segments(&bf)) != 0 || stream_spool_start(w) == -1) {
		writer_free(bf.wr);
		return rc == 1 ? 1 : -1;
	}
	bf.nsegs = ck->nsegments;
	bf.segs = xcalloc(bf.nsegs, sizeof(*bf.segs));
	bf.order = xcalloc(bf.nsegs, sizeof(*bf.order));
	backfill_shuffle(bf.order, bf.nsegs, w->pair->name);
	/* The first Scans take what a page of the table's average items
	 * would cost; answers correct it. */
	if (w->src_tab.item_count > 0 && w->src_tab.size_bytes > 0)
		bf.scan_est = gov_rcu_estimate(
		    (size_t)(w->src_tab.size_bytes / w->src_tab.item_count) *
		    bf.page_size);
	for (size_t i = 0; i < bf.nsegs; i++) {
		struct bf_seg *seg = &bf.segs[i];

		seg->bf = &bf;
		seg->ck = &ck->segments[i];
		aws_call_init(&seg->scan, &w->src, "Scan");
		if (seg->ck->last_key != NULL)
			seg->next_key = xstrdup(seg->ck->last_key);
		base += seg->ck->items;
		if (seg->ck->done)
			done++;
	}
	w->prog.phase = PROTO_PHASE_BACKFILL;
	w->prog.items_written = base;
	w->prog.segments_total = (uint32_t)bf.nsegs;
	w->prog.segments_done = done;
	if (base > 0 || done > 0)
		log_info("Resuming backfill from checkpoint: %u/%zu segments "
			 "done, %llu items already written",
		    done, bf.nsegs, (unsigned long long)base);
	report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_RUNNING, base, 0, NULL);
	bf.started_ms = clock_ms();

	pump(&bf);
	while (!bf.complete && !bf_failed(&bf)) {
		http_run(w->http, 250);
		if (w->member != NULL && !bf.stopping) {
			member_tick(w->member);
			pump(&bf);
		}
		if (worker_stop && !bf.stopping) {
			bf.stopping = 1;
			writer_stop(bf.wr);
			log_info("Stopping: finishing %u writes in flight",
			    writer_inflight(bf.wr));
			for (size_t i = 0; i < bf.nsegs; i++) {
				aws_call_abort(&bf.segs[i].scan);
				http_timer_cancel(w->http, &bf.segs[i].timer);
				bf.segs[i].scanning = 0;
			}
		}
		if (stream_spool_tick(w) == -1) {
			bf.failed = 1;
			break;
		}
		if (bf.stopping && writer_drained(bf.wr))
			break;
		update_buffer(&bf);
		/* With the spool, the reader's lag is what counts. */
		if (w->stream == NULL)
			retention_check(&bf, warn_ms);
		if (worker_ckpt_flush(w, 0) == -1) {
			bf.failed = 1;
			break;
		}
		worker_progress(w, 0);
	}

	/* Abandon whatever is still in flight: nothing it covers has been
	 * checkpointed, so a restart writes it again. */
	if (writer_failed(bf.wr))
		bf.failed = 1;
	writer_free(bf.wr);
	bf.wr = NULL;
	http_timer_cancel(w->http, &bf.gate);
	for (size_t i = 0; i < bf.nsegs; i++) {
		struct bf_seg *seg = &bf.segs[i];
		struct bf_page *pg, *next;

		http_timer_cancel(w->http, &seg->timer);
		aws_call_cleanup(&seg->scan);
		ddb_page_free(&seg->parsed);
		for (pg = seg->head; pg != NULL; pg = next) {
			next = pg->next;
			page_free(pg);
		}
		free(seg->next_key);
	}
	free(bf.segs);
	free(bf.order);

	if (bf.complete) {
		uint64_t total, scanned, expired;

		/* Every item scanned is written or an expired one skipped:
		 * anything else is a copy that lost items silently. */
		if (backfill_tally(ck, &scanned, &total, &expired) == -1) {
			worker_fail(w, WORKER_EXIT_PERMANENT, "IncompleteCopy",
			    "Backfill tally does not add up: %llu items "
			    "scanned, %llu written and %llu expired skipped "
			    "(%lld unaccounted for); the copy is incomplete",
			    (unsigned long long)scanned,
			    (unsigned long long)total,
			    (unsigned long long)expired,
			    (long long)(scanned - total - expired));
			worker_ckpt_flush(w, 1);
			return -1;
		}
		if (expired > 0)
			log_info("Backfill tally: %llu items scanned = %llu "
				 "written + %llu expired skipped",
			    (unsigned long long)scanned,
			    (unsigned long long)total,
			    (unsigned long long)expired);
		else
			log_info("Backfill tally: %llu items scanned = %llu "
				 "written",
			    (unsigned long long)scanned,
			    (unsigned long long)total);
		ck->backfill_completed_ms = aws_server_ms(&w->src);
		w->ckpt_dirty = 1;
		if (worker_ckpt_flush(w, 1) == -1)
			return -1;
		w->prog.items_written = total;
		w->prog.buffer_pct = 0;
		worker_progress(w, 1);
		fmt_duration((uint64_t)(ck->backfill_completed_ms -
				 ck->backfill_started_ms),
		    dur, sizeof(dur));
		log_debug("Backfill complete: %llu items in %zu segments over "
			  "%s (this run wrote %llu)",
		    (unsigned long long)total, ck->nsegments, dur,
		    (unsigned long long)bf.written_run);
		ttl_log_skipped(w, PROTO_PHASE_BACKFILL);
		report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_COMPLETE, total,
		    (uint64_t)(ck->backfill_completed_ms -
			ck->backfill_started_ms),
		    NULL);
		return 0;
	}
	rc = worker_ckpt_flush(w, 1);
	/* The others take this host's segments over at once. */
	member_release_all(w->member);
	if (bf.failed || rc == -1)
		return -1;
	base = 0;
	for (size_t i = 0; i < ck->nsegments; i++)
		base += ck->segments[i].items;
	log_info("Backfill stopped: this run wrote %llu items; the checkpoint "
		 "covers %llu",
	    (unsigned long long)bf.written_run, (unsigned long long)base);
	ttl_log_skipped(w, PROTO_PHASE_BACKFILL);
	report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_STOPPED,
	    w->prog.items_written, 0, NULL);
	return 1;
}
