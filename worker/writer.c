/* writer.c: pack, send, resend and acknowledge BatchWriteItem requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "settings.h"
#include "worker.h"
#include "writer.h"
#include "xmalloc.h"
#include "xtime.h"

/* A slot: one request in flight, from packing to its acknowledgement. */
struct writer_req {
	struct writer *wr;
	struct writer_lane *lane;
	struct aws_call call;
	struct http_timer timer; /* the next resend */
	struct writer_part parts[WRITER_BATCH_MAX];
	unsigned nparts;
	unsigned nwrites;
	unsigned rounds;    /* resends without progress */
	unsigned malformed; /* unreadable answers in a row */
	long unprocessed;
	unsigned round_n; /* writes in the body now sent */
	double est;	  /* WCU estimate of all its writes */
	double round_est; /* the share of it now sent, taken */
	int busy;
};

struct writer_lane {
	struct writer_unit *head, *tail; /* units with writes unsent */
	writer_ack_fn ack;
	void *arg;
	writer_fence_fn fence; /* a fleet's, or NULL */
	void *fence_arg;
};

struct writer {
	struct worker *w;
	struct writer_req **reqs; /* slots, made as the limit grows */
	unsigned nreqs;
	unsigned inflight;
	unsigned limit;
	struct writer_lane **lanes;
	size_t nlanes;
	size_t rr; /* the lane served last */
	size_t body_max;
	size_t empty_len; /* a body without writes */
	int64_t stop_ms;
	int64_t stop_deadline;
	int stopping;
	int failed;
	writer_answer_fn answer_fn;
	void *answer_arg;
	/* The capacity governor: the write bucket (w->lim.wb) and the
	 * controller of the slot limit; adaptive 0: the limit is fixed. */
	struct gov_aimd aimd;
	int adaptive;
	struct http_timer gate; /* pump when tokens are due */
};

static void req_done_cb(struct aws_call *, void *);
static void gate_cb(void *);

static const char *
table(const struct writer *wr)
{
	return wr->w->pair->output.table;
}

static const struct jspan *
unit_write(const struct writer_unit *u, size_t i, int *del)
{
	if (u->ops != NULL) {
		*del = u->ops[i].del;
		return &u->ops[i].span;
	}
	*del = 0;
	return &u->items[i];
}

/* For the progress message (metrics): requests in flight and the limit. */
static void
note_inflight(struct writer *wr)
{
	wr->w->prog.writes_inflight = wr->inflight;
	wr->w->prog.writes_limit = wr->limit;
}

/* Stop for good (the caller says why with worker_fail): nothing in
 * flight goes on, nothing new is sent. */
static void
writer_halt(struct writer *wr)
{
	wr->failed = 1;
	for (unsigned i = 0; i < wr->nreqs; i++) {
		struct writer_req *rq = wr->reqs[i];

		if (!rq->busy)
			continue;
		http_timer_cancel(wr->w->http, &rq->timer);
		aws_call_abort(&rq->call);
		rq->busy = 0;
		wr->inflight--;
	}
	note_inflight(wr);
}

/* name=value for a log line: control characters masked, long values cut
 * (at a UTF-8 boundary) with their length said. */
static void
key_part(char *out, size_t len, const char *name, const struct jspan *v)
{
	size_t o = strlen(out), n = v != NULL ? v->len : 1;
	const char *p = v != NULL ? v->p : "?";
	int cut = 0;

	if (n > 80) {
		n = 64;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	snprintf(out + o, len - o, "%s%s=%.*s", o > 0 ? ", " : "", name, (int)n,
	    p);
	if (cut) {
		o = strlen(out);
		snprintf(out + o, len - o, "... (%zu bytes)", v->len);
	}
	for (char *c = out; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* A write alone is over the body limit: the pair stops, naming its key. */
static void
too_large(struct writer *wr, const struct jspan *s, int del, size_t need)
{
	const struct ddb_table *t = &wr->w->dst_tab;
	struct jspan v;
	char key[512] = "";

	key_part(key, sizeof(key), t->hash.name,
	    jscan_find(s, t->hash.name, &v) == 1 ? &v : NULL);
	if (t->range.name[0] != '\0')
		key_part(key, sizeof(key), t->range.name,
		    jscan_find(s, t->range.name, &v) == 1 ? &v : NULL);
	writer_halt(wr);
	worker_fail(wr->w, WORKER_EXIT_PERMANENT, "ItemTooLarge",
	    "BatchWriteItem to %s: the %s with key %s needs a request of "
	    "%zu bytes alone (its JSON, escapes included), more than one "
	    "may hold (%zu): it can never be written",
	    table(wr), del ? "delete" : "item", key, need + wr->empty_len,
	    wr->body_max);
}

/*
 * The writes of the next request from a lane, in order: up to
 * WRITER_BATCH_MAX, and as many as fit in body_max, measured exactly.
 * -1 if the first alone can never fit (the pair has stopped).
 */
static int
req_pack(struct writer_req *rq, struct writer_lane *ln)
{
	struct writer *wr = rq->wr;
	struct writer_unit *u;
	size_t len = wr->empty_len;
	int full = 0;

	rq->lane = ln;
	rq->nparts = rq->nwrites = 0;
	while (
	    !full && (u = ln->head) != NULL && rq->nwrites < WRITER_BATCH_MAX) {
		struct writer_part *pt = &rq->parts[rq->nparts];

		pt->unit = u;
		pt->off = u->sent;
		pt->n = 0;
		while (u->sent < u->n && rq->nwrites < WRITER_BATCH_MAX) {
			int del;
			const struct jspan *s = unit_write(u, u->sent, &del);
			size_t need = ddb_batch_op_len(del, s->len) +
			    (rq->nwrites > 0);

			if (len + need > wr->body_max) {
				if (rq->nwrites == 0) {
					too_large(wr, s, del, need);
					return -1;
				}
				full = 1;
				break;
			}
			len += need;
			u->sent++;
			pt->n++;
			rq->nwrites++;
		}
		if (pt->n > 0)
			rq->nparts++;
		if (u->sent == u->n) {
			ln->head = u->next;
			if (ln->head == NULL)
				ln->tail = NULL;
			u->next = NULL;
		}
	}
	return 0;
}

/* The request's body from its parts (again, when a resend would not fit). */
static void
req_build(struct writer_req *rq)
{
	struct writer *wr = rq->wr;
	struct buf *b = &rq->call.req;
	int first = 1;

	if (ddb_batch_begin(b, table(wr)) == -1)
		goto fail;
	for (unsigned i = 0; i < rq->nparts; i++) {
		const struct writer_part *pt = &rq->parts[i];

		for (size_t k = pt->off; k < pt->off + pt->n; k++) {
			int del;
			const struct jspan *s = unit_write(pt->unit, k, &del);

			if (ddb_batch_add(b, del, s, first) == -1)
				goto fail;
			first = 0;
		}
	}
	if (ddb_batch_end(b, wr->w->pair->consumed_capacity) == -1 ||
	    b->len > wr->body_max)
		goto fail;
	return;
fail:
	/* Packing measured it: only a bug gets here. */
	fatalx("writer: a packed request outgrew its limit");
}

static void
req_release(struct writer_req *rq)
{
	rq->busy = 0;
	rq->wr->inflight--;
	note_inflight(rq->wr);
}

/* Bytes of the items (puts) or keys (deletes) in acknowledged writes. */
static uint64_t
parts_bytes(const struct writer_part *parts, unsigned nparts)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < nparts; i++) {
		const struct writer_unit *u = parts[i].unit;

		for (size_t k = parts[i].off; k < parts[i].off + parts[i].n;
		     k++)
			n += u->items != NULL ? u->items[k].len :
						u->ops[k].span.len;
	}
	return n;
}

static int
lanes_pending(const struct writer *wr)
{
	for (size_t i = 0; i < wr->nlanes; i++)
		if (wr->lanes[i]->head != NULL)
			return 1;
	return 0;
}

/*
 * The one place that decides whether a request may go now: a free slot
 * under the limit, and tokens in the write bucket; when the bucket says
 * no, a timer pumps again once tokens are due.
 */
static int
writer_may_send(struct writer *wr)
{
	struct gov_bucket *b = &wr->w->lim.wb;
	int64_t now, wait;

	if (wr->failed || wr->stopping || wr->inflight >= wr->limit ||
	    !lanes_pending(wr))
		return 0;
	now = clock_ms();
	if (gov_bucket_open(b, now))
		return 1;
	gov_aimd_gated(&wr->aimd);
	/* Held (no share yet): look again when the loop next turns. */
	wait = gov_bucket_wait_ms(b, now);
	if (!wr->gate.armed)
		http_timer_set(wr->w->http, &wr->gate, wait < 0 ? 250 : wait,
		    gate_cb, wr);
	return 0;
}

static void
gate_cb(void *arg)
{
	writer_pump(arg);
}

/* What the writes of a request would cost by the estimate (governor.h). */
static double
req_estimate(const struct writer_req *rq)
{
	double est = 0;

	for (unsigned i = 0; i < rq->nparts; i++) {
		const struct writer_part *pt = &rq->parts[i];

		for (size_t k = pt->off; k < pt->off + pt->n; k++) {
			int del;
			const struct jspan *s = unit_write(pt->unit, k, &del);

			est += gov_wcu_estimate(s->len, del);
		}
	}
	return est;
}

/* A body goes out: its estimate leaves the bucket. */
static void
round_take(struct writer_req *rq, unsigned n)
{
	rq->round_n = n;
	rq->round_est = rq->nwrites > 0 ? rq->est * n / rq->nwrites : 0;
	gov_bucket_take(&rq->wr->w->lim.wb, rq->round_est, clock_ms());
}

/*
 * Every answer, before anything else is done with it: progress counters,
 * the governor (the bucket settles the estimate with the capacity the
 * answer reports, or with the estimate of what it wrote; the controller
 * learns of throttling, server errors and throughput) and the answer hook.
 */
static void
answer_note(struct writer_req *rq, long nun, double wcu)
{
	struct writer *wr = rq->wr;
	struct aws_call *c = &rq->call;
	struct writer_answer a;
	int64_t now = clock_ms();
	double done = 0, cost;

	wr->w->prog.wcu += wcu;
	/* The destination is throttling even though the call succeeded. */
	if (nun > 0)
		wr->w->unprocessed++;
	if (c->status == AWS_OK && nun >= 0 &&
	    (unsigned long)nun <= rq->round_n)
		done = rq->round_n - (unsigned)nun;
	/* An answer without the capacity asked for (an emulator, a proxy)
	 * is charged by the estimate, as if it had not been asked. */
	if (c->status != AWS_OK)
		cost = 0;
	else if (wr->w->pair->consumed_capacity && nun >= 0 &&
	    (wcu > 0 || done == 0))
		cost = wcu;
	else if (nun >= 0 && rq->round_n > 0)
		cost = rq->round_est * done / rq->round_n;
	else
		cost = rq->round_est;
	gov_bucket_take(&wr->w->lim.wb, cost - rq->round_est, now);
	rq->round_est = 0;
	if (wr->adaptive) {
		unsigned was = wr->limit;
		uint64_t cuts = wr->aimd.decreases;

		wr->limit = gov_aimd_answer(&wr->aimd, done, wr->inflight,
		    c->throttled > 0 || nun > 0,
		    c->transient > 0 || c->status == AWS_TRANSIENT, now);
		if (wr->limit < was)
			log_debug("BatchWriteItem to %s: %s: writes in flight "
				  "down to %u",
			    table(wr),
			    wr->aimd.decreases == cuts ? "throughput fell" :
				c->throttled > 0 || nun > 0 ? "throttled" :
							      "server errors",
			    wr->limit);
		else if (wr->limit > was)
			log_debug("writes in flight up to %u", wr->limit);
	}
	if (wr->answer_fn == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.status = c->status;
	a.attempts = c->attempt;
	a.throttled = c->throttled;
	a.writes = rq->nwrites;
	a.unprocessed = nun;
	a.rounds = rq->rounds;
	a.wcu = wcu;
	a.inflight = wr->inflight;
	wr->answer_fn(&a, wr->answer_arg);
}

static void
req_resend_cb(void *arg)
{
	struct writer_req *rq = arg;

	if (rq->wr->failed) {
		req_release(rq);
		return;
	}
	round_take(rq, (unsigned)rq->unprocessed);
	aws_call_start(&rq->call, req_done_cb, rq);
}

static void
req_done_cb(struct aws_call *c, void *arg)
{
	struct writer_req *rq = arg;
	struct writer *wr = rq->wr;
	struct writer_part parts[WRITER_BATCH_MAX];
	struct writer_lane *ln = rq->lane;
	unsigned nparts;
	struct jspan un;
	long nun;
	double wcu;
	uint64_t delay;

	if (wr->failed) {
		req_release(rq);
		return;
	}
	if (c->status == AWS_STOPPED && strcmp(c->code, "LeaseLost") == 0) {
		/* Fenced: not written, acknowledged for the producer to
		 * drop (its generation is stale). */
		answer_note(rq, 0, 0);
		nparts = rq->nparts;
		memcpy(parts, rq->parts, nparts * sizeof(parts[0]));
		req_release(rq);
		ln->ack(parts, nparts, ln->arg);
		writer_pump(wr);
		return;
	}
	if (c->status != AWS_OK) {
		answer_note(rq, 0, 0);
		req_release(rq);
		writer_halt(wr);
		worker_fail(wr->w, worker_exit_for(c->status), c->code,
		    "BatchWriteItem to %s failed: %s", table(wr), c->msg);
		return;
	}
	if (ddb_parse_batch(c->body, c->bodylen, &un, &nun, &wcu) == -1) {
		nun = -1; /* the request is intact in c->req */
		wcu = 0;
	}
	if (nun == 0) {
		answer_note(rq, 0, wcu);
		nparts = rq->nparts;
		memcpy(parts, rq->parts, nparts * sizeof(parts[0]));
		wr->w->prog.bytes_written += parts_bytes(parts, nparts);
		req_release(rq);
		ln->ack(parts, nparts, ln->arg);
		writer_pump(wr);
		return;
	}
	if (nun > 0) {
		/* A round that wrote something resets the backoff: keep
		 * going while progress is made. */
		if (nun < rq->unprocessed)
			rq->rounds = 0;
		rq->unprocessed = nun;
		rq->malformed = 0;
		/* UnprocessedItems verbatim; should the service's echo not
		 * fit, the whole request again (writes are idempotent). */
		if (ddb_batch_resend_body(&c->req, &un,
			wr->w->pair->consumed_capacity) == -1 ||
		    c->req.len > wr->body_max)
			req_build(rq);
	} else if (++rq->malformed > WRITER_MALFORMED_RETRIES) {
		answer_note(rq, nun, 0);
		req_release(rq);
		writer_halt(wr);
		worker_fail(wr->w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "BatchWriteItem to %s: malformed response %u times in a "
		    "row",
		    table(wr), rq->malformed);
		return;
	} else
		log_warnx("BatchWriteItem to %s: malformed response, "
			  "resending",
		    table(wr));
	rq->rounds++;
	answer_note(rq, nun, wcu);
	delay = retry_backoff_ms(rq->rounds, c->cl->policy.throttle_base_ms / 4,
	    c->cl->policy.cap_ms, retry_random());
	http_timer_set(wr->w->http, &rq->timer, (int64_t)delay, req_resend_cb,
	    rq);
}

/*
 * A fenced lane whose lease is lost: its unsent writes are acknowledged
 * unsent (the producer ignores them: docs/fleet.md), nothing goes.
 */
static void
lane_drop_fenced(struct writer_lane *ln)
{
	struct writer_part parts[WRITER_BATCH_MAX];
	struct writer_unit *u, *next;
	unsigned n = 0;

	/* Detached first: the acknowledgements may pump the writer. */
	u = ln->head;
	ln->head = ln->tail = NULL;
	for (; u != NULL; u = next) {
		next = u->next;
		u->next = NULL;
		if (u->sent < u->n) {
			parts[n].unit = u;
			parts[n].off = u->sent;
			parts[n].n = u->n - u->sent;
			u->sent = u->n;
			n++;
		}
		if (n > 0 && (n == WRITER_BATCH_MAX || next == NULL)) {
			ln->ack(parts, n, ln->arg);
			n = 0;
		}
	}
}

static struct writer_lane *
lane_next(struct writer *wr)
{
	for (size_t i = 1; i <= wr->nlanes; i++) {
		size_t k = (wr->rr + i) % wr->nlanes;
		struct writer_lane *ln = wr->lanes[k];

		if (ln->head == NULL)
			continue;
		if (ln->fence != NULL) {
			int f = ln->fence(ln->head, ln->fence_arg);

			if (f == AWS_FENCE_DROP)
				lane_drop_fenced(ln);
			if (f != AWS_FENCE_SEND)
				continue;
		}
		wr->rr = k;
		return ln;
	}
	return NULL;
}

/* The fence of a request in flight: its lane's, for its first unit (a
 * lane's units are of one tenure). */
static int
req_fence(void *arg)
{
	struct writer_req *rq = arg;
	struct writer_lane *ln = rq->lane;

	return ln->fence(rq->parts[0].unit, ln->fence_arg);
}

static struct writer_req *
slot_get(struct writer *wr)
{
	struct writer_req *rq;

	for (unsigned i = 0; i < wr->nreqs; i++)
		if (!wr->reqs[i]->busy)
			return wr->reqs[i];
	wr->reqs = xrealloc(wr->reqs, (wr->nreqs + 1) * sizeof(*wr->reqs));
	rq = xcalloc(1, sizeof(*rq));
	rq->wr = wr;
	aws_call_init(&rq->call, &wr->w->dst, "BatchWriteItem");
	wr->reqs[wr->nreqs++] = rq;
	return rq;
}

void
writer_pump(struct writer *wr)
{
	struct writer_lane *ln;
	struct writer_req *rq;

	while (writer_may_send(wr) && (ln = lane_next(wr)) != NULL) {
		rq = slot_get(wr);
		if (req_pack(rq, ln) == -1)
			return;
		req_build(rq);
		rq->rounds = rq->malformed = 0;
		rq->unprocessed = WRITER_BATCH_MAX + 1;
		rq->call.fence = ln->fence != NULL ? req_fence : NULL;
		rq->call.fence_arg = rq;
		rq->busy = 1;
		wr->inflight++;
		rq->est = req_estimate(rq);
		round_take(rq, rq->nwrites);
		aws_call_start(&rq->call, req_done_cb, rq);
	}
	note_inflight(wr);
}

struct writer *
writer_new(struct worker *w)
{
	struct writer *wr = xcalloc(1, sizeof(*wr));
	struct buf b;

	wr->w = w;
	wr->limit = w->pair->max_inflight ?
	    w->pair->max_inflight :
	    (unsigned)settings_int(SETTING_MAX_INFLIGHT);
	if (wr->limit == 0)
		wr->limit = 1;
	note_inflight(wr);
	/* The limit is a bound the controller works under, unless told to
	 * keep it fixed (benchmarks compare the two). */
	wr->adaptive = settings_int(SETTING_ADAPTIVE_INFLIGHT) != 0;
	gov_aimd_init(&wr->aimd, GOV_START, wr->limit, clock_ms());
	if (wr->adaptive)
		wr->limit = wr->aimd.limit;
	wr->stop_ms = settings_int(SETTING_STOP_TIMEOUT_MS);
	wr->body_max = WRITER_BODY_MAX;
	buf_init(&b, 0);
	if (ddb_batch_begin(&b, table(wr)) == -1 ||
	    ddb_batch_end(&b, w->pair->consumed_capacity) == -1)
		fatalx("writer: empty body");
	wr->empty_len = b.len;
	buf_free(&b);
	return wr;
}

void
writer_free(struct writer *wr)
{
	if (wr == NULL)
		return;
	http_timer_cancel(wr->w->http, &wr->gate);
	for (unsigned i = 0; i < wr->nreqs; i++) {
		http_timer_cancel(wr->w->http, &wr->reqs[i]->timer);
		aws_call_cleanup(&wr->reqs[i]->call);
		free(wr->reqs[i]);
	}
	for (size_t i = 0; i < wr->nlanes; i++)
		free(wr->lanes[i]);
	free(wr->reqs);
	free(wr->lanes);
	free(wr);
}

struct writer_lane *
writer_lane_new(struct writer *wr, writer_ack_fn ack, void *arg)
{
	struct writer_lane *ln = xcalloc(1, sizeof(*ln));

	ln->ack = ack;
	ln->arg = arg;
	wr->lanes = xrealloc(wr->lanes, (wr->nlanes + 1) * sizeof(*wr->lanes));
	wr->lanes[wr->nlanes++] = ln;
	return ln;
}

void
writer_lane_fence(struct writer_lane *ln, writer_fence_fn fn, void *arg)
{
	ln->fence = fn;
	ln->fence_arg = arg;
}

void
writer_submit(struct writer_lane *ln, struct writer_unit *u)
{
	if (u->n == 0 || (u->items == NULL) == (u->ops == NULL))
		fatalx("writer: a unit needs writes, of one kind");
	u->sent = 0;
	u->next = NULL;
	if (ln->tail != NULL)
		ln->tail->next = u;
	else
		ln->head = u;
	ln->tail = u;
}

unsigned
writer_inflight(const struct writer *wr)
{
	return wr->inflight;
}

unsigned
writer_limit(const struct writer *wr)
{
	return wr->limit;
}

unsigned
writer_busy_pct(const struct writer *wr)
{
	unsigned pct = wr->inflight * 100 / wr->limit;

	return pct > 100 ? 100 : pct;
}

void
writer_set_limit(struct writer *wr, unsigned limit)
{
	wr->limit = limit > 0 ? limit : 1;
	/* A limit set by hand is fixed from now on. */
	wr->adaptive = 0;
	note_inflight(wr);
	writer_pump(wr);
}

void
writer_set_body_max(struct writer *wr, size_t max)
{
	wr->body_max = max < WRITER_BODY_MAX ? max : WRITER_BODY_MAX;
}

void
writer_set_answer_hook(struct writer *wr, writer_answer_fn fn, void *arg)
{
	wr->answer_fn = fn;
	wr->answer_arg = arg;
}

void
writer_stop(struct writer *wr)
{
	if (wr->stopping)
		return;
	wr->stopping = 1;
	wr->stop_deadline = clock_ms() + wr->stop_ms;
}

int
writer_drained(const struct writer *wr)
{
	return wr->inflight == 0 ||
	    (wr->stopping && clock_ms() >= wr->stop_deadline);
}

int
writer_failed(const struct writer *wr)
{
	return wr->failed;
}
