/* verify.c: compare a pair's tables, report and repair what differs. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "fmt.h"
#include "itemcmp.h"
#include "log.h"
#include "report.h"
#include "settings.h"
#include "testhook.h"
#include "verify.h"
#include "worker.h"
#include "writer.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * Two passes run side by side, each a parallel Scan in segments:
 *   source pass: scan the source; look each page's keys up in the
 *     destination (BatchGetItem, strongly consistent, 100 keys a call,
 *     UnprocessedKeys asked again); missing and different items;
 *   destination pass: scan the destination; look its keys up in the
 *     source; extra items.
 * A page is one unit of work: scanned, looked up, compared, rechecked
 * (after a delay, both sides read again: a live table's change may not
 * have arrived yet), repaired (puts of the source items, deletes of the
 * extra keys, through the write engine), then written to the report and
 * counted in the checkpoint together with the segment's new position. A
 * restart redoes the pages that were not counted and cuts the report back
 * to what the checkpoint covers, so its counts equal an uninterrupted
 * run's.
 */

#define VFY_BACKOFF_MAX_MS 5000
/* Rechecks of one difference while either side keeps changing. */
#define VFY_RECHECK_ROUNDS 5
/* How often the copy's checkpoint is read for its stream lag. */
#define VFY_LAG_READ_MS 5000

enum vstate {
	VS_UNKNOWN = 0,
	VS_EQUAL,
	VS_MISSING,
	VS_EXTRA,
	VS_DIFFERENT,
};

static const char *const vstate_name[] = {
	"unknown",
	"equal",
	"missing",
	"extra",
	"different",
};

struct vitem {
	struct jspan side[2];  /* VERIFY_SOURCE, VERIFY_DEST items;
					   len 0: absent */
	struct jspan k[2];     /* key values, in the scanned item */
	size_t keyoff, keylen; /* key object in seg->keys */
	enum vstate st;
	int pending;	      /* in the lookup under way */
	int suspect;	      /* to be read again */
	struct jspan prev[2]; /* the sides as last read */
	int rounds;	      /* rechecks done */
	int repaired;
	char *diff; /* "path: why" for a different item */
};

struct verify;

struct vseg {
	struct verify *v;
	int pass;
	struct verify_seg *ck;
	struct aws_call call;
	struct http_timer timer;
	int busy; /* a page is under way */
	unsigned malformed;

	/* The page. */
	struct ddb_page parsed;
	char *scan_body;
	char *lek; /* its LastEvaluatedKey; NULL: last */
	struct vitem *items;
	size_t nitems;
	struct buf keys; /* key objects, back to back */
	char **bodies;	 /* answers the spans point into */
	size_t nbodies;
	struct verify_counts n; /* the page's, counted at the end */
	int rechecked;

	/* The lookup under way: items pending, side to fill. */
	int fill;
	size_t *req; /* the items of the call in flight */
	size_t nreq;
	int64_t backoff_ms;
	void (*next)(struct vseg *);

	/* Repairs. */
	struct writer_unit unit;
	struct ddb_op *ops;
	size_t *opitem; /* the item of each op */
	size_t nops, acked;
};

struct verify {
	struct worker *w;
	struct verify_opts *o;
	struct verify_ckpt ck;
	char *ckpt_path;
	char *copy_ckpt_path; /* the copy's checkpoint.json */
	int ckpt_dirty;
	int64_t ckpt_saved_ms;
	int report_fd;
	struct vseg *segs;
	size_t nsegs;
	struct writer *wr;
	struct writer_lane *lane;
	uint32_t page_size;
	int64_t recheck_ms; /* the margin; 0: no rechecks */
	/* The copy's stream lag, from its checkpoint (read again at most
	 * every VFY_LAG_READ_MS). */
	int64_t lag_ms, lag_at_ms, lag_read_ms;
	int lag_said;
	const char *hash, *range;
	int stopping;
	int failed;
};

static void seg_scan(struct vseg *);
static void lookup_send(struct vseg *);

static int
vfailed(const struct verify *v)
{
	return v->failed || (v->wr != NULL && writer_failed(v->wr));
}

static struct aws_client *
side_client(struct verify *v, int side)
{
	return side == VERIFY_SOURCE ? &v->w->src : &v->w->dst;
}

static const char *
side_table(struct verify *v, int side)
{
	return side == VERIFY_SOURCE ? v->w->pair->input.table :
				       v->w->pair->output.table;
}

static void
page_free(struct vseg *s)
{
	for (size_t i = 0; i < s->nitems; i++)
		free(s->items[i].diff);
	free(s->items);
	s->items = NULL;
	s->nitems = 0;
	for (size_t i = 0; i < s->nbodies; i++)
		free(s->bodies[i]);
	free(s->bodies);
	s->bodies = NULL;
	s->nbodies = 0;
	free(s->scan_body);
	s->scan_body = NULL;
	free(s->lek);
	s->lek = NULL;
	free(s->req);
	s->req = NULL;
	free(s->ops);
	s->ops = NULL;
	free(s->opitem);
	s->opitem = NULL;
	s->nops = s->acked = s->nreq = 0;
	buf_reset(&s->keys);
	memset(&s->n, 0, sizeof(s->n));
	s->rechecked = 0;
	s->busy = 0;
}

static void
vfail(struct verify *v, int code, const char *ecode, const char *msg)
{
	v->failed = 1;
	worker_fail(v->w, code, ecode, "%s", msg);
}

/* ------------------------------------------------------------ report */

static int
report_add(struct buf *b, struct verify *v, const struct vseg *s,
    const struct vitem *it)
{
	const char *key = s->keys.data + it->keyoff;

	if (buf_adds(b, "{\"pair\":") == -1 ||
	    buf_json_str(b, v->w->pair->name) == -1 ||
	    buf_printf(b, ",\"kind\":\"%s\",\"key\":", vstate_name[it->st]) ==
		-1 ||
	    buf_add(b, key, it->keylen) == -1)
		return -1;
	if (it->diff != NULL &&
	    (buf_adds(b, ",\"diff\":") == -1 ||
		buf_json_str(b, it->diff) == -1))
		return -1;
	if (s->rechecked == 1 && buf_adds(b, ",\"rechecked\":true") == -1)
		return -1;
	if (((it->st != VS_EXTRA && v->o->repair) ||
		(it->st == VS_EXTRA && v->o->delete_extra)) &&
	    buf_printf(b, ",\"%s\":%s",
		it->st == VS_EXTRA ? "deleted" : "repaired",
		it->repaired ? "true" : "false") == -1)
		return -1;
	return buf_adds(b, "}\n");
}

static int
report_write(struct verify *v, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(v->report_fd, p, n);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		v->ck.report_bytes += (uint64_t)r;
	}
	return 0;
}

/* -------------------------------------------------------- checkpoint */

static int
ckpt_flush(struct verify *v, int force)
{
	struct buf b;
	int64_t now = clock_ms();
	int rc = 0;

	if (!v->ckpt_dirty ||
	    (!force && now - v->ckpt_saved_ms < v->w->ckpt_interval_ms))
		return 0;
	/* The report first: the checkpoint must never count lines that a
	 * crash could lose. */
	if (fdatasync(v->report_fd) == -1) {
		worker_fail(v->w, WORKER_EXIT_CRASH, "ReportWriteFailed",
		    "verify report %s: %s", v->ck.report, strerror(errno));
		return -1;
	}
	buf_init(&b, 0);
	if (verify_ckpt_encode(&v->ck, &b) == -1 ||
	    atomicfile_write(v->ckpt_path, b.data, b.len, 0600) == -1) {
		worker_fail(v->w, WORKER_EXIT_CRASH, "CheckpointWriteFailed",
		    "cannot write %s: %s", v->ckpt_path, strerror(errno));
		rc = -1;
	} else {
		v->ckpt_dirty = 0;
		v->ckpt_saved_ms = now;
	}
	buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------- classify */

static int
key_eq(const struct jspan a[2], const struct jspan b[2])
{
	for (int i = 0; i < 2; i++) {
		if (a[i].len == 0 && b[i].len == 0)
			continue;
		if (a[i].len == 0 || b[i].len == 0 ||
		    itemcmp_value(&a[i], &b[i]) != 0)
			return 0;
	}
	return 1;
}

static void
classify(struct vseg *s, struct vitem *it)
{
	int hs = it->side[VERIFY_SOURCE].len > 0;
	int hd = it->side[VERIFY_DEST].len > 0;
	char path[ITEMCMP_PATH_MAX], why[ITEMCMP_WHY_MAX];
	int r;

	free(it->diff);
	it->diff = NULL;
	if (!hs && !hd)
		it->st = VS_EQUAL; /* deleted meanwhile on both sides */
	else if (!hd)
		it->st = VS_MISSING;
	else if (!hs)
		it->st = VS_EXTRA;
	else if (s->pass == VERIFY_DEST)
		it->st = VS_EQUAL; /* the source pass compares it */
	else if ((r = itemcmp(&it->side[VERIFY_SOURCE], &it->side[VERIFY_DEST],
		      path, sizeof(path), why, sizeof(why))) == 0)
		it->st = VS_EQUAL;
	else {
		it->st = VS_DIFFERENT;
		if (r == -1)
			xasprintf(&it->diff, "unreadable: %s", why);
		else
			xasprintf(&it->diff, "%s: %s", path, why);
	}
}

/* ------------------------------------------------------------ lookup */

/*
 * Look the pending items up on side fill (their span there is set, or
 * emptied when absent), then call next.
 */
static void
lookup_start(struct vseg *s, int fill, void (*next)(struct vseg *))
{
	s->fill = fill;
	s->next = next;
	s->backoff_ms = 0;
	lookup_send(s);
}

static void lookup_done_cb(struct aws_call *, void *);

static void
lookup_send(struct vseg *s)
{
	struct verify *v = s->v;
	struct buf *b = &s->call.req;

	free(s->req);
	s->req = xcalloc(VERIFY_GET_MAX, sizeof(*s->req));
	s->nreq = 0;
	for (size_t i = 0; i < s->nitems && s->nreq < VERIFY_GET_MAX; i++)
		if (s->items[i].pending)
			s->req[s->nreq++] = i;
	if (s->nreq == 0) {
		s->next(s);
		return;
	}
	/* One call per segment, reused for either side and operation. */
	aws_call_cleanup(&s->call);
	aws_call_init(&s->call, side_client(v, s->fill), "BatchGetItem");
	if (ddb_batch_get_begin(b, side_table(v, s->fill)) == -1)
		fatalx("BatchGetItem body");
	for (size_t i = 0; i < s->nreq; i++) {
		const struct vitem *it = &s->items[s->req[i]];

		if ((i > 0 && buf_addc(b, ',') == -1) ||
		    buf_add(b, s->keys.data + it->keyoff, it->keylen) == -1)
			fatalx("BatchGetItem body");
	}
	if (ddb_batch_get_end(b, v->w->pair->consumed_capacity) == -1)
		fatalx("BatchGetItem body");
	aws_call_start(&s->call, lookup_done_cb, s);
}

static void
lookup_retry_cb(void *arg)
{
	struct vseg *s = arg;

	if (!s->v->stopping && !vfailed(s->v))
		lookup_send(s);
}

/* The requested item whose key is k; NULL if none. */
static struct vitem *
req_find(struct vseg *s, const struct jspan k[2])
{
	for (size_t i = 0; i < s->nreq; i++) {
		struct vitem *it = &s->items[s->req[i]];

		if (key_eq(it->k, k))
			return it;
	}
	return NULL;
}

static void
lookup_done_cb(struct aws_call *c, void *arg)
{
	struct vseg *s = arg;
	struct verify *v = s->v;
	struct worker *w = v->w;
	struct ddb_get_page g;
	struct jspan k[2];
	char *body, msg[1024];
	size_t len;
	int bad = 0;

	if (vfailed(v))
		return;
	if (c->status != AWS_OK) {
		snprintf(msg, sizeof(msg), "BatchGetItem on %s failed: %s",
		    side_table(v, s->fill), c->msg);
		vfail(v, worker_exit_for(c->status), c->code, msg);
		return;
	}
	body = buf_steal(&c->xfer.resp, &len);
	memset(&g, 0, sizeof(g));
	if (body == NULL || ddb_parse_batch_get(body, len, &g) == -1)
		bad = 1;
	for (size_t i = 0; !bad && i < g.nitems; i++) {
		struct vitem *it;

		if (ddb_item_key(&g.items[i], v->hash, v->range, k) == -1 ||
		    (it = req_find(s, k)) == NULL || !it->pending)
			bad = 1;
		else {
			it->side[s->fill] = g.items[i];
			it->pending = 0;
		}
	}
	if (bad) {
		ddb_get_page_free(&g);
		free(body);
		if (++s->malformed > WORKER_MALFORMED_RETRIES) {
			snprintf(msg, sizeof(msg),
			    "BatchGetItem on %s: "
			    "malformed response %u times",
			    side_table(v, s->fill), s->malformed);
			vfail(v, WORKER_EXIT_CRASH, "MalformedResponse", msg);
			return;
		}
		/* Nothing of it was taken: the same request again. */
		for (size_t i = 0; i < s->nreq; i++)
			s->items[s->req[i]].pending = 1;
		http_timer_set(w->http, &s->timer, 1000, lookup_retry_cb, s);
		return;
	}
	s->malformed = 0;
	w->prog.rcu += g.capacity;
	/* Keys left unprocessed stay pending; the others were absent. */
	for (size_t i = 0; i < s->nreq; i++)
		s->items[s->req[i]].pending = -s->items[s->req[i]].pending;
	for (size_t i = 0; i < g.nunprocessed; i++) {
		struct vitem *it;

		if (ddb_item_key(&g.unprocessed[i], v->hash, v->range, k) ==
			0 &&
		    (it = req_find(s, k)) != NULL)
			it->pending = 1;
	}
	for (size_t i = 0; i < s->nreq; i++) {
		struct vitem *it = &s->items[s->req[i]];

		if (it->pending == -1) {
			it->pending = 0;
			it->side[s->fill].p = NULL;
			it->side[s->fill].len = 0;
		}
	}
	s->bodies = xrealloc(s->bodies, (s->nbodies + 1) * sizeof(char *));
	s->bodies[s->nbodies++] = body;
	if (g.nunprocessed > 0) {
		/* Throttled in all but name: back off, reset on progress. */
		s->backoff_ms = s->backoff_ms == 0 ? 50 : s->backoff_ms * 2;
		if (s->backoff_ms > VFY_BACKOFF_MAX_MS)
			s->backoff_ms = VFY_BACKOFF_MAX_MS;
		w->prog.throttles++;
		ddb_get_page_free(&g);
		http_timer_set(w->http, &s->timer, s->backoff_ms,
		    lookup_retry_cb, s);
		return;
	}
	s->backoff_ms = 0;
	ddb_get_page_free(&g);
	lookup_send(s);
}

/* ------------------------------------------------------------- pages */

static void
page_finish(struct vseg *s)
{
	struct verify *v = s->v;
	struct worker *w = v->w;
	struct verify_counts *n = &s->ck->n;
	struct buf b;
	char msg[512];

	buf_init(&b, 0);
	for (size_t i = 0; i < s->nitems; i++) {
		struct vitem *it = &s->items[i];

		switch (it->st) {
		case VS_MISSING:
			s->n.missing++;
			break;
		case VS_EXTRA:
			s->n.extra++;
			break;
		case VS_DIFFERENT:
			s->n.different++;
			break;
		default:
			continue;
		}
		if (it->repaired) {
			if (it->st == VS_EXTRA)
				s->n.deleted++;
			else
				s->n.repaired++;
		}
		if (report_add(&b, v, s, it) == -1)
			fatalx("report line");
	}
	if (b.len > 0 && report_write(v, b.data, b.len) == -1) {
		buf_free(&b);
		snprintf(msg, sizeof(msg),
		    "cannot write the verify report "
		    "%s: %s",
		    v->ck.report, strerror(errno));
		vfail(v, WORKER_EXIT_CRASH, "ReportWriteFailed", msg);
		return;
	}
	buf_free(&b);
	n->scanned += s->n.scanned;
	n->checked += s->n.checked;
	n->missing += s->n.missing;
	n->extra += s->n.extra;
	n->different += s->n.different;
	n->rechecked += s->n.rechecked;
	n->repaired += s->n.repaired;
	n->deleted += s->n.deleted;
	w->prog.items_written += s->n.checked;
	free(s->ck->last_key);
	s->ck->last_key = s->lek;
	s->lek = NULL;
	if (s->ck->last_key == NULL) {
		s->ck->done = 1;
		w->prog.segments_done++;
	}
	v->ckpt_dirty = 1;
	page_free(s);
	testhook("verify-page");
	if (!s->ck->done && !v->stopping && !vfailed(v))
		seg_scan(s);
}

static void
write_ack_cb(const struct writer_part *parts, unsigned nparts, void *arg)
{
	struct verify *v = arg;

	for (unsigned i = 0; i < nparts; i++) {
		struct vseg *s = (struct vseg *)(void *)((char *)parts[i].unit -
		    offsetof(struct vseg, unit));

		for (size_t j = parts[i].off; j < parts[i].off + parts[i].n;
		     j++)
			s->items[s->opitem[j]].repaired = 1;
		s->acked += parts[i].n;
		if (s->acked == s->nops)
			page_finish(s);
	}
	if (!vfailed(v))
		writer_pump(v->wr);
}

/* Puts of the source items (missing, different) or deletes of extra keys. */
static void
page_write(struct vseg *s)
{
	struct verify *v = s->v;

	s->ops = xcalloc(s->nitems, sizeof(*s->ops));
	s->opitem = xcalloc(s->nitems, sizeof(*s->opitem));
	for (size_t i = 0; i < s->nitems; i++) {
		struct vitem *it = &s->items[i];
		struct ddb_op *op = &s->ops[s->nops];

		if (s->pass == VERIFY_SOURCE && v->o->repair &&
		    (it->st == VS_MISSING || it->st == VS_DIFFERENT) &&
		    it->side[VERIFY_SOURCE].len > 0) {
			op->del = 0;
			op->span = it->side[VERIFY_SOURCE];
		} else if (s->pass == VERIFY_DEST && v->o->delete_extra &&
		    it->st == VS_EXTRA) {
			op->del = 1;
			op->span.p = s->keys.data + it->keyoff;
			op->span.len = it->keylen;
		} else
			continue;
		s->opitem[s->nops++] = i;
	}
	if (s->nops == 0) {
		page_finish(s);
		return;
	}
	log_debug("verify: %s %zu items of %s segment %u",
	    s->pass == VERIFY_SOURCE ? "repairing" : "deleting", s->nops,
	    side_table(v, s->pass), s->ck->segment);
	s->unit.items = NULL;
	s->unit.ops = s->ops;
	s->unit.n = s->nops;
	s->unit.sent = 0;
	s->unit.next = NULL;
	writer_submit(v->lane, &s->unit);
	writer_pump(v->wr);
}

/* Repairs put the source's item as it is now: read it (strongly
 * consistent) unless the recheck just did. */
static void
page_repair(struct vseg *s)
{
	struct verify *v = s->v;
	size_t n = 0;

	if (s->pass == VERIFY_SOURCE && v->o->repair && !s->rechecked) {
		for (size_t i = 0; i < s->nitems; i++) {
			struct vitem *it = &s->items[i];

			it->pending = it->st == VS_MISSING ||
			    it->st == VS_DIFFERENT;
			n += it->pending;
		}
		if (n > 0) {
			s->rechecked = -1; /* reread, not a recheck */
			lookup_start(s, VERIFY_SOURCE, page_write);
			return;
		}
	}
	page_write(s);
}

static int
span_changed(const struct jspan *a, const struct jspan *b)
{
	return a->len != b->len ||
	    (a->len > 0 && memcmp(a->p, b->p, a->len) != 0);
}

static void recheck_cb(void *);

/*
 * The wait before a recheck: the margin, plus the lag of the copy's stream
 * if one runs beside this verify (its checkpoint says how far behind it
 * is), so that a change still on its way is not reported as a difference.
 */
static int64_t
recheck_wait(struct verify *v)
{
	struct checkpoint ck;
	int64_t now = clock_ms(), wait;
	char err[256], dur[32], lag[32];

	if (v->lag_read_ms == 0 || now - v->lag_read_ms >= VFY_LAG_READ_MS) {
		v->lag_read_ms = now;
		checkpoint_init(&ck);
		/* No checkpoint, or one that does not load: no copy to wait
		 * for (the copy itself says what is wrong with its file). */
		if (checkpoint_load(v->copy_ckpt_path, &ck, err, sizeof(err)) ==
		    0) {
			v->lag_ms = ck.stream_lag_ms;
			v->lag_at_ms = ck.stream_lag_at_ms;
		}
		checkpoint_clear(&ck);
	}
	wait = verify_recheck_wait(v->recheck_ms, v->lag_ms, v->lag_at_ms,
	    wall_ms());
	if (wait > v->recheck_ms && !v->lag_said) {
		v->lag_said = 1;
		fmt_duration((uint64_t)(wait - v->recheck_ms), lag,
		    sizeof(lag));
		fmt_duration((uint64_t)wait, dur, sizeof(dur));
		log_info("The copy's stream is %s behind: differences are "
			 "read again after %s",
		    lag, dur);
	}
	return wait;
}

/*
 * A difference that is still there is final unless a side changed since
 * it was last read: then a change is still travelling (the source is
 * being written, or the stream is catching up), and it is read again.
 */
static void
recheck_done(struct vseg *s)
{
	int again = 0;

	for (size_t i = 0; i < s->nitems; i++) {
		struct vitem *it = &s->items[i];

		if (!it->suspect)
			continue;
		classify(s, it);
		if (it->st != VS_EQUAL && it->rounds < VFY_RECHECK_ROUNDS &&
		    (span_changed(&it->prev[0], &it->side[0]) ||
			span_changed(&it->prev[1], &it->side[1]))) {
			it->prev[0] = it->side[0];
			it->prev[1] = it->side[1];
			it->rounds++;
			again = 1;
		} else
			it->suspect = 0;
	}
	if (again) {
		http_timer_set(s->v->w->http, &s->timer, recheck_wait(s->v),
		    recheck_cb, s);
		return;
	}
	page_repair(s);
}

static void
recheck_dest(struct vseg *s)
{
	for (size_t i = 0; i < s->nitems; i++)
		s->items[i].pending = s->items[i].suspect;
	lookup_start(s, VERIFY_DEST, recheck_done);
}

static void
recheck_cb(void *arg)
{
	struct vseg *s = arg;

	if (s->v->stopping || vfailed(s->v))
		return;
	for (size_t i = 0; i < s->nitems; i++)
		s->items[i].pending = s->items[i].suspect;
	lookup_start(s, VERIFY_SOURCE, recheck_dest);
}

static void
page_looked_up(struct vseg *s)
{
	struct verify *v = s->v;
	size_t suspects = 0;

	for (size_t i = 0; i < s->nitems; i++) {
		struct vitem *it = &s->items[i];

		classify(s, it);
		it->suspect = it->st != VS_EQUAL;
		it->prev[0] = it->side[0];
		it->prev[1] = it->side[1];
		suspects += it->suspect;
	}
	if (suspects > 0 && v->recheck_ms > 0) {
		s->rechecked = 1;
		s->n.rechecked = suspects;
		http_timer_set(v->w->http, &s->timer, recheck_wait(v),
		    recheck_cb, s);
		return;
	}
	page_repair(s);
}

static void scan_done_cb(struct aws_call *, void *);

static void
seg_scan(struct vseg *s)
{
	struct verify *v = s->v;
	struct worker *w = v->w;

	s->busy = 1;
	aws_call_cleanup(&s->call);
	aws_call_init(&s->call, side_client(v, s->pass), "Scan");
	if (ddb_scan_body(&s->call.req, side_table(v, s->pass), s->ck->segment,
		v->ck.total[s->pass], v->page_size, s->ck->last_key,
		w->pair->consumed_capacity) == -1)
		fatalx("scan body too large");
	aws_call_start(&s->call, scan_done_cb, s);
}

static void
scan_retry_cb(void *arg)
{
	struct vseg *s = arg;

	if (!s->v->stopping && !vfailed(s->v))
		seg_scan(s);
}

static void
scan_done_cb(struct aws_call *c, void *arg)
{
	struct vseg *s = arg;
	struct verify *v = s->v;
	struct worker *w = v->w;
	size_t len, nsamp = 0;
	char msg[1024];
	char *body;

	if (vfailed(v))
		return;
	switch (worker_scan_answer(w, c, side_table(v, s->pass), s->ck->segment,
	    &s->malformed, &s->parsed, &body, &len)) {
	case -1:
		v->failed = 1;
		return;
	case 1:
		http_timer_set(w->http, &s->timer, 1000, scan_retry_cb, s);
		return;
	}
	s->scan_body = body;
	if (s->parsed.lek.len > 0)
		s->lek = xstrndup(s->parsed.lek.p, s->parsed.lek.len);
	w->prog.items_read += s->parsed.nitems;
	w->prog.bytes_read += s->parsed.item_bytes;
	w->prog.rcu += s->parsed.capacity;
	s->n.scanned = s->parsed.nitems;

	/* Key objects first (the buffer may move), then the items. */
	s->items = xcalloc(s->parsed.nitems ? s->parsed.nitems : 1,
	    sizeof(*s->items));
	for (size_t i = 0; i < s->parsed.nitems; i++) {
		struct vitem *it = &s->items[nsamp];
		size_t off = s->keys.len;

		if (ddb_item_key(&s->parsed.items[i], v->hash, v->range,
			it->k) == -1 ||
		    ddb_key_json(&s->keys, v->hash, v->range, it->k) == -1) {
			snprintf(msg, sizeof(msg),
			    "Scan of %s: an item "
			    "without its key attributes",
			    side_table(v, s->pass));
			vfail(v, WORKER_EXIT_CRASH, "MalformedResponse", msg);
			return;
		}
		if (!verify_sampled(s->keys.data + off, s->keys.len - off,
			v->ck.seed, v->ck.sample_ppm)) {
			s->keys.len = off;
			continue;
		}
		it->keyoff = off;
		it->keylen = s->keys.len - off;
		it->side[s->pass] = s->parsed.items[i];
		it->pending = 1;
		nsamp++;
	}
	s->nitems = nsamp;
	s->n.checked = nsamp;
	testhook("verify-scan");
	lookup_start(s, !s->pass, page_looked_up);
}

/* ------------------------------------------------------------- setup */

static void
ckpt_fresh(struct verify *v, struct verify_ckpt *c)
{
	struct worker *w = v->w;
	struct plan_pair *p = w->pair;
	uint32_t total;
	int64_t cnt, size;

	c->pair = xstrdup(p->name);
	c->src_table = xstrdup(p->input.table);
	c->src_region = xstrdup(p->input.region);
	c->dst_table = xstrdup(p->output.table);
	c->dst_region = xstrdup(p->output.region);
	c->report = xstrdup(v->o->report);
	c->sample_ppm = v->o->sample_ppm;
	c->repair = v->o->repair;
	c->delete_extra = v->o->delete_extra;
	c->seed = ((uint64_t)wall_ms() << 20) ^ (uint64_t)getpid();
	c->started_ms = wall_ms();
	for (int pass = 0; pass < 2; pass++) {
		cnt = pass == VERIFY_SOURCE ? w->src_tab.item_count :
					      w->dst_tab.item_count;
		size = pass == VERIFY_SOURCE ? w->src_tab.size_bytes :
					       w->dst_tab.size_bytes;
		total = p->total_segments != 0 && p->nsegments == 0 ?
		    p->total_segments :
		    backfill_auto_segments(cnt, size, v->page_size);
		c->total[pass] = total;
		c->nsegs[pass] = total;
		c->segs[pass] = xcalloc(total, sizeof(struct verify_seg));
		for (uint32_t i = 0; i < total; i++)
			c->segs[pass][i].segment = i;
	}
}

/* Resume from verify.ckpt when it is this verify's, else start afresh. */
static int
ckpt_setup(struct verify *v)
{
	struct verify_ckpt fresh, old;
	char *text = NULL, err[256], why[256];
	size_t len;
	int resumed = 0;

	memset(&fresh, 0, sizeof(fresh));
	memset(&old, 0, sizeof(old));
	ckpt_fresh(v, &fresh);
	if (atomicfile_read(v->ckpt_path, 4u << 20, &text, &len) == 0) {
		if (verify_ckpt_decode(text, len, &old, err, sizeof(err)) == -1)
			log_warnx("verify checkpoint %s is unusable (%s): "
				  "starting over",
			    v->ckpt_path, err);
		else if (!verify_ckpt_same(&old, &fresh, why, sizeof(why)))
			log_info("verify checkpoint %s is for another verify "
				 "(%s): starting over",
			    v->ckpt_path, why);
		else
			resumed = 1;
	} else if (errno != ENOENT)
		log_warn("%s: starting over", v->ckpt_path);
	free(text);
	if (resumed) {
		verify_ckpt_clear(&fresh);
		v->ck = old;
	} else {
		verify_ckpt_clear(&old);
		v->ck = fresh;
		v->ck.report_bytes = 0;
	}
	return resumed;
}

int
verify_preflight(struct worker *w, struct verify_opts *o)
{
	int fd;

	if (o->report == NULL)
		xasprintf(&o->report, "%s/%s", w->pair_dir, VERIFY_REPORT_NAME);
	/* Nothing is scanned before the report is known to be writable;
	 * a check creates nothing. */
	fd = open(o->report,
	    O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (w->check_config ? 0 : O_CREAT),
	    0600);
	if (fd == -1 && errno == ENOENT && w->check_config) {
		char *dir = xstrdup(o->report), *slash = strrchr(dir, '/');

		if (slash != NULL)
			*(slash == dir ? slash + 1 : slash) = '\0';
		if (access(slash != NULL ? dir : ".", W_OK | X_OK) == 0)
			fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		free(dir);
	}
	if (fd == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "ReportNotWritable",
		    "cannot write the verify report %s: %s", o->report,
		    strerror(errno));
		return -1;
	}
	w->verify_report_fd = fd;
	return 0;
}

static void
summary(struct verify *v, struct verify_counts *t, uint64_t *scanned)
{
	memset(t, 0, sizeof(*t));
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < v->ck.nsegs[p]; i++) {
			const struct verify_counts *n = &v->ck.segs[p][i].n;

			scanned[p] += n->scanned;
			t->checked += p == VERIFY_SOURCE ? n->checked : 0;
			t->missing += n->missing;
			t->extra += n->extra;
			t->different += n->different;
			t->rechecked += n->rechecked;
			t->repaired += n->repaired;
			t->deleted += n->deleted;
		}
}

static int
finish(struct verify *v)
{
	struct worker *w = v->w;
	struct verify_counts t;
	uint64_t scanned[2] = { 0, 0 };
	char sample[64] = "", fixes[160] = "", dur[32];
	struct buf b;
	int differs;

	summary(v, &t, scanned);
	differs = t.missing + t.extra + t.different > 0;
	if (v->ck.sample_ppm < VERIFY_SAMPLE_ALL)
		snprintf(sample, sizeof(sample),
		    " (a sample of %.4g%% of "
		    "the source's items)",
		    v->ck.sample_ppm / 10000.0);
	if (v->o->repair || v->o->delete_extra)
		snprintf(fixes, sizeof(fixes),
		    "; repaired %" PRIu64 ", deleted %" PRIu64, t.repaired,
		    t.deleted);
	buf_init(&b, 0);
	if (buf_adds(&b, "{\"pair\":") == -1 ||
	    buf_json_str(&b, w->pair->name) == -1 ||
	    buf_printf(&b,
		",\"kind\":\"summary\",\"equal\":%s,"
		"\"source_scanned\":%" PRIu64
		",\"destination_scanned\":%" PRIu64 ",\"checked\":%" PRIu64
		",\"sample_ppm\":%" PRIu32 ",\"missing\":%" PRIu64
		",\"extra\":%" PRIu64 ",\"different\":%" PRIu64
		",\"rechecked\":%" PRIu64 ",\"repaired\":%" PRIu64
		",\"deleted\":%" PRIu64 "}\n",
		differs ? "false" : "true", scanned[0], scanned[1], t.checked,
		v->ck.sample_ppm, t.missing, t.extra, t.different, t.rechecked,
		t.repaired, t.deleted) == -1 ||
	    report_write(v, b.data, b.len) == -1 ||
	    fdatasync(v->report_fd) == -1) {
		buf_free(&b);
		worker_fail(w, WORKER_EXIT_CRASH, "ReportWriteFailed",
		    "cannot write the verify report %s: %s", v->ck.report,
		    strerror(errno));
		return -1;
	}
	buf_free(&b);
	/* Done: the next verify starts over. */
	if (unlink(v->ckpt_path) == -1 && errno != ENOENT)
		log_warn("%s", v->ckpt_path);
	fmt_duration((uint64_t)(wall_ms() - v->ck.started_ms), dur,
	    sizeof(dur));
	log_info("Verify %s: %" PRIu64 " missing, %" PRIu64 " extra, %" PRIu64
		 " different; %" PRIu64 " source items checked%s, %" PRIu64
		 " destination items scanned, %" PRIu64
		 " rechecked%s; over %s; "
		 "report %s",
	    differs ? "found differences" :
		      "found the tables "
		      "equal",
	    t.missing, t.extra, t.different, t.checked, sample, scanned[1],
	    t.rechecked, fixes, dur, v->ck.report);
	w->verify_differs = differs;
	w->prog.items_written = t.checked;
	report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_COMPLETE, t.checked,
	    (uint64_t)(wall_ms() - v->ck.started_ms), NULL);
	return 0;
}

static int
all_done(struct verify *v)
{
	for (size_t i = 0; i < v->nsegs; i++)
		if (!v->segs[i].ck->done)
			return 0;
	return writer_inflight(v->wr) == 0;
}

int
verify_run(struct worker *w, struct verify_opts *o)
{
	struct verify v;
	struct plan_pair *p = w->pair;
	size_t k = 0;
	int rc = -1, resumed;
	char dur[32];

	memset(&v, 0, sizeof(v));
	v.w = w;
	v.o = o;
	v.report_fd = w->verify_report_fd;
	v.hash = w->src_tab.hash.name;
	v.range = w->src_tab.range.name;
	v.page_size = p->page_size ? p->page_size : 1000;
	xasprintf(&v.ckpt_path, "%s/%s", w->pair_dir, VERIFY_CKPT_NAME);
	xasprintf(&v.copy_ckpt_path, "%s/checkpoint.json", w->pair_dir);
	v.recheck_ms = o->recheck_ms >= 0 ? o->recheck_ms :
	    p->stream ? settings_int(SETTING_VERIFY_RECHECK_MS) :
			0;
	resumed = ckpt_setup(&v);
	/* The report holds exactly what the checkpoint counts. */
	if (ftruncate(v.report_fd, (off_t)v.ck.report_bytes) == -1 ||
	    lseek(v.report_fd, 0, SEEK_END) == -1) {
		worker_fail(w, WORKER_EXIT_CONFIG, "ReportNotWritable",
		    "cannot write the verify report %s: %s", v.ck.report,
		    strerror(errno));
		goto out;
	}
	v.ckpt_dirty = 1;
	if (ckpt_flush(&v, 1) == -1)
		goto out;
	v.wr = writer_new(w);
	v.lane = writer_lane_new(v.wr, write_ack_cb, &v);

	v.nsegs = v.ck.nsegs[0] + v.ck.nsegs[1];
	v.segs = xcalloc(v.nsegs, sizeof(*v.segs));
	memset(&w->prog, 0, sizeof(w->prog));
	w->prog.phase = PROTO_PHASE_BACKFILL;
	w->prog.stream_latency_ms = -1;
	w->prog.spool_oldest_ms = -1;
	w->prog.spool_read_lag_ms = -1;
	w->prog.est_items = (uint64_t)(w->src_tab.item_count > 0 ?
				    w->src_tab.item_count :
				    0) *
	    o->sample_ppm / VERIFY_SAMPLE_ALL;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < v.ck.nsegs[pass]; i++, k++) {
			struct vseg *s = &v.segs[k];

			s->v = &v;
			s->pass = pass;
			s->ck = &v.ck.segs[pass][i];
			buf_init(&s->keys, 0);
			aws_call_init(&s->call, side_client(&v, pass), "Scan");
			w->prog.items_read += s->ck->n.scanned;
			w->prog.items_written += pass == VERIFY_SOURCE ?
			    s->ck->n.checked :
			    0;
			if (s->ck->done)
				w->prog.segments_done++;
		}
	w->prog.segments_total = (uint32_t)v.nsegs;
	log_info("Verify %s: %s -> %s, %u + %u segments%s%s%s%s",
	    resumed ? "resuming from its checkpoint" : "starting",
	    p->input.table, p->output.table, v.ck.total[0], v.ck.total[1],
	    o->sample_ppm < VERIFY_SAMPLE_ALL ? ", a sample of the source" : "",
	    o->repair ? ", repairing" : "",
	    o->delete_extra ? ", deleting extra items" : "",
	    v.recheck_ms > 0 ? ", differences rechecked after a delay" : "");
	report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_RUNNING,
	    w->prog.items_written, 0, NULL);
	report_phase(PROTO_PHASE_STREAM, PROTO_PS_SKIPPED, 0, 0, NULL);
	for (size_t i = 0; i < v.nsegs; i++)
		if (!v.segs[i].ck->done)
			seg_scan(&v.segs[i]);

	while (!vfailed(&v) && !all_done(&v)) {
		http_run(w->http, 250);
		if (worker_stop && !v.stopping) {
			v.stopping = 1;
			writer_stop(v.wr);
			for (size_t i = 0; i < v.nsegs; i++) {
				aws_call_abort(&v.segs[i].call);
				http_timer_cancel(w->http, &v.segs[i].timer);
			}
		}
		if (v.stopping && writer_drained(v.wr))
			break;
		if (ckpt_flush(&v, 0) == -1) {
			v.failed = 1;
			break;
		}
		w->prog.elapsed_ms = (uint64_t)(wall_ms() - v.ck.started_ms);
		worker_progress(w, 0);
	}
	if (v.wr != NULL && writer_failed(v.wr))
		v.failed = 1;
	writer_free(v.wr);
	v.wr = NULL;
	for (size_t i = 0; i < v.nsegs; i++) {
		http_timer_cancel(w->http, &v.segs[i].timer);
		aws_call_cleanup(&v.segs[i].call);
		ddb_page_free(&v.segs[i].parsed);
		page_free(&v.segs[i]);
		buf_free(&v.segs[i].keys);
	}
	if (v.failed) {
		ckpt_flush(&v, 1);
		goto out;
	}
	if (ckpt_flush(&v, 1) == -1)
		goto out;
	if (v.stopping) {
		fmt_duration((uint64_t)(wall_ms() - v.ck.started_ms), dur,
		    sizeof(dur));
		log_info("Verify stopped after %s: the checkpoint covers %llu "
			 "items checked; run it again to resume",
		    dur, (unsigned long long)w->prog.items_written);
		report_phase(PROTO_PHASE_BACKFILL, PROTO_PS_STOPPED,
		    w->prog.items_written, 0, NULL);
		rc = 1;
		goto out;
	}
	rc = finish(&v) == -1 ? -1 : 0;
out:
	free(v.segs);
	verify_ckpt_clear(&v.ck);
	free(v.ckpt_path);
	free(v.copy_ckpt_path);
	return rc;
}
