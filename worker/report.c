/* report.c: the worker's channel to the supervisor (a bounded, non-blocking
 * queue of protocol lines) and its log sink. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "compat.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "settings.h"
#include "worker.h"
#include "xmalloc.h"
#include "xtime.h"

static struct {
	int fd;	    /* -1: running alone */
	int broken; /* the supervisor is gone or not reading */
	int64_t stall_ms;
	struct report_queue q;
	int64_t ckpt_round_ms; /* last round of checkpoint messages */
	size_t ckpt_next;      /* where the next round starts */
} rep = { .fd = -1 };

/* ------------------------------------------------------------------ queue */

void
report_queue_init(struct report_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
}

void
report_queue_free(struct report_queue *q)
{
	free(q->data);
	q->data = NULL;
	q->len = q->sent = q->prog_len = 0;
}

size_t
report_queue_pending(const struct report_queue *q)
{
	return q->len - q->sent;
}

/* Move what is left to send to the front. */
static void
compact(struct report_queue *q)
{
	if (q->sent == 0)
		return;
	if (q->prog_len > 0) {
		if (q->prog_off < q->sent)
			q->prog_len = 0; /* on its way already */
		else
			q->prog_off -= q->sent;
	}
	memmove(q->data, q->data + q->sent, q->len - q->sent);
	q->len -= q->sent;
	q->sent = 0;
}

int
report_queue_push(struct report_queue *q, const char *line, size_t n,
    int progress)
{
	if (q->data == NULL)
		q->data = xmalloc(q->max);
	compact(q);
	/* A newer snapshot makes the waiting one useless. */
	if (progress && q->prog_len > 0) {
		memmove(q->data + q->prog_off,
		    q->data + q->prog_off + q->prog_len,
		    q->len - q->prog_off - q->prog_len);
		q->len -= q->prog_len;
		q->prog_len = 0;
		q->replaced++;
	}
	if (n > q->max - q->len) {
		if (progress) {
			q->dropped++;
			return 0;
		}
		errno = ENOBUFS;
		return -1;
	}
	if (progress) {
		q->prog_off = q->len;
		q->prog_len = n;
	}
	memcpy(q->data + q->len, line, n);
	q->len += n;
	return 0;
}

int
report_queue_flush(struct report_queue *q, int fd)
{
	ssize_t w;

	while (q->sent < q->len) {
		w = write(fd, q->data + q->sent, q->len - q->sent);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		q->sent += (size_t)w;
	}
	q->len = q->sent = q->prog_len = 0;
	return 1;
}

/* ---------------------------------------------------------------- channel */

/* The supervisor is gone or does not read: stop as on SIGTERM
 * (PROTOCOL.md §6). */
static void
give_up(const char *why)
{
	if (rep.broken)
		return;
	rep.broken = 1;
	worker_stop = 1;
	fprintf(stderr, "ddb-sync-worker: %s: stopping\n", why);
}

void
report_flush(void)
{
	if (rep.fd == -1 || rep.broken || report_queue_pending(&rep.q) == 0)
		return;
	if (report_queue_flush(&rep.q, rep.fd) == -1)
		give_up(errno == EPIPE ? "the supervisor is gone" :
					 strerror(errno));
}

/*
 * Wait until fd 3 takes more (or, with all, everything), for at most the
 * stall limit, cut short to REPORT_STOP_WAIT_MS by a stop request. 0, or -1
 * when the channel was given up.
 */
static int
wait_room(int all)
{
	int64_t start = clock_ms(), now, limit;
	struct pollfd pfd;
	size_t before;

	for (;;) {
		before = report_queue_pending(&rep.q);
		report_flush();
		if (rep.broken)
			return -1;
		if (report_queue_pending(&rep.q) == 0 ||
		    (!all && report_queue_pending(&rep.q) < before))
			return 0;
		now = clock_ms();
		limit = worker_stop && rep.stall_ms > REPORT_STOP_WAIT_MS ?
		    REPORT_STOP_WAIT_MS :
		    rep.stall_ms;
		if (now - start >= limit) {
			give_up("the supervisor has not read the channel for "
				"too long");
			return -1;
		}
		pfd.fd = rep.fd;
		pfd.events = POLLOUT;
		/* Short slices: a stop request shortens the wait. */
		(void)poll(&pfd, 1,
		    limit - (now - start) < 100 ? (int)(limit - (now - start)) :
						  100);
	}
}

int
report_send(const struct proto_msg *m)
{
	static char line[PROTO_MAX_LINE + 1];
	int n;

	if (rep.fd == -1 || rep.broken)
		return rep.broken ? -1 : 0;
	if ((n = proto_encode(m, line, sizeof(line))) < 0) {
		/* A bug of ours, not the supervisor's: say so on stderr,
		 * which the supervisor copies into the logs. */
		fprintf(stderr,
		    "ddb-sync-worker: cannot encode a %s message: "
		    "%s\n",
		    proto_type_name(m->type), strerror(errno));
		return 0;
	}
	report_flush();
	if (m->type == PROTO_PROGRESS)
		(void)report_queue_push(&rep.q, line, (size_t)n, 1);
	else
		while (!rep.broken &&
		    report_queue_push(&rep.q, line, (size_t)n, 0) == -1)
			if (wait_room(0) == -1)
				return -1;
	report_flush();
	return rep.broken ? -1 : 0;
}

void
report_drain(void)
{
	if (rep.fd != -1 && !rep.broken && report_queue_pending(&rep.q) > 0)
		(void)wait_room(1);
}

static void
report_log_sink(int level, const char *msg, void *arg)
{
	struct proto_msg m;

	if (rep.fd == -1 || rep.broken) {
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s: %s\n", ts, log_level_name(level), msg);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_LOG;
	m.u.log.level = (enum proto_level)level;
	strlcpy(m.u.log.msg, msg, sizeof(m.u.log.msg));
	report_send(&m);
}

void
report_init(int fd, const char *pair, const char *resume)
{
	struct proto_msg m;

	rep.fd = fd;
	rep.broken = 0;
	rep.stall_ms = settings_int(SETTING_REPORT_STALL_MS);
	report_queue_free(&rep.q);
	report_queue_init(&rep.q, REPORT_QUEUE_MAX);
	rep.ckpt_round_ms = 0;
	rep.ckpt_next = 0;
	log_set_sink(report_log_sink, NULL);
	if (fd == -1)
		return;
	/* Never block on a full pipe: the queue holds what it cannot take. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.u.hello.pid = getpid();
	strlcpy(m.u.hello.pair, pair, sizeof(m.u.hello.pair));
	strlcpy(m.u.hello.version, DDB_SYNC_VERSION, sizeof(m.u.hello.version));
	if (resume != NULL)
		strlcpy(m.u.hello.resume, resume, sizeof(m.u.hello.resume));
	report_send(&m);
}

int
report_active(void)
{
	return rep.fd != -1 && !rep.broken;
}

/* --------------------------------------------------------------- messages */

static void
send_phase(enum proto_phase phase, enum proto_phase_state state, uint64_t items,
    uint64_t duration_ms, const char *detail, int from_ckpt)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_PHASE;
	m.u.phase.phase = phase;
	m.u.phase.state = state;
	m.u.phase.items = items;
	m.u.phase.duration_ms = duration_ms;
	m.u.phase.from_checkpoint = from_ckpt;
	if (detail != NULL)
		strlcpy(m.u.phase.detail, detail, sizeof(m.u.phase.detail));
	report_send(&m);
}

void
report_phase(enum proto_phase phase, enum proto_phase_state state,
    uint64_t items, uint64_t duration_ms, const char *detail)
{
	send_phase(phase, state, items, duration_ms, detail, 0);
}

void
report_phase_from_checkpoint(enum proto_phase phase,
    enum proto_phase_state state, uint64_t items, uint64_t duration_ms)
{
	send_phase(phase, state, items, duration_ms, NULL, 1);
}

void
report_error(const char *code, const char *msg, int fatal_)
{
	struct proto_msg m;

	if (rep.fd == -1) {
		log_error("%s: %s", code, msg);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_ERROR;
	strlcpy(m.u.error.code, code, sizeof(m.u.error.code));
	strlcpy(m.u.error.msg, msg, sizeof(m.u.error.msg));
	m.u.error.fatal = fatal_;
	report_send(&m);
}

void
report_warning(const char *code, const char *fmt, ...)
{
	struct proto_msg m;
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_WARNING;
	strlcpy(m.u.warning.code, code, sizeof(m.u.warning.code));
	va_start(ap, fmt);
	(void)vsnprintf(m.u.warning.msg, sizeof(m.u.warning.msg), fmt, ap);
	va_end(ap);
	if (!report_active()) {
		log_warnx("%s", m.u.warning.msg);
		return;
	}
	report_send(&m);
}

void
report_checkpoint(const char *kind, const char *id, uint64_t items, int done)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_CHECKPOINT;
	strlcpy(m.u.checkpoint.kind, kind, sizeof(m.u.checkpoint.kind));
	strlcpy(m.u.checkpoint.id, id, sizeof(m.u.checkpoint.id));
	m.u.checkpoint.items = items;
	m.u.checkpoint.done = done;
	report_send(&m);
}

/* Report entry i (segments first, then shards) if it changed: 1 if sent. */
static int
report_entry(struct checkpoint *ck, size_t i)
{
	struct ckpt_segment *sg;
	struct ckpt_shard *sh;
	char id[16];

	if (i < ck->nsegments) {
		sg = &ck->segments[i];
		if (sg->items == sg->reported_items &&
		    sg->done == sg->reported_done)
			return 0;
		sg->reported_items = sg->items;
		sg->reported_done = sg->done;
		(void)snprintf(id, sizeof(id), "%" PRIu32, sg->segment);
		report_checkpoint("segment", id, sg->items, sg->done);
		return 1;
	}
	sh = &ck->shards[i - ck->nsegments];
	if (sh->items == sh->reported_items && sh->done == sh->reported_done)
		return 0;
	sh->reported_items = sh->items;
	sh->reported_done = sh->done;
	/* Shard ids are short (at most 65 bytes in DynamoDB Streams); a
	 * longer one is not worth a message that could not be sent. */
	if (strlen(sh->shard_id) < PROTO_NAME_MAX)
		report_checkpoint("shard", sh->shard_id, sh->items, sh->done);
	return 1;
}

void
report_checkpoints(struct checkpoint *ck, int force)
{
	size_t n = ck->nsegments + ck->nshards, k, sent = 0;
	int64_t now = clock_ms();

	if (!report_active() || n == 0)
		return;
	if (!force && rep.ckpt_round_ms != 0 &&
	    now - rep.ckpt_round_ms < REPORT_CKPT_ROUND_MS)
		return;
	rep.ckpt_round_ms = now;
	/* Round robin: a table with many segments is covered in turns. */
	for (k = 0; k < n && sent < REPORT_CKPT_PER_ROUND; k++)
		sent += (size_t)report_entry(ck, (rep.ckpt_next + k) % n);
	rep.ckpt_next = (rep.ckpt_next + k) % n;
}

void
report_done(const char *status)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_DONE;
	strlcpy(m.u.done.status, status, sizeof(m.u.done.status));
	report_send(&m);
	report_drain();
}

/* ----------------------------------------------------------------- resume */

void
report_resume_text(const struct checkpoint *ck, char *buf, size_t len)
{
	uint64_t items = 0;
	uint32_t done = 0;
	size_t i, shards_done = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < ck->nsegments; i++) {
		items += ck->segments[i].items;
		done += ck->segments[i].done ? 1 : 0;
	}
	for (i = 0; i < ck->nshards; i++)
		shards_done += ck->shards[i].done ? 1 : 0;
	/* With the spool the stream starts with the backfill. */
	if (ck->stream_arn != NULL &&
	    (ck->backfill_completed_ms != 0 || ck->total_segments == 0))
		(void)snprintf(buf, len,
		    "stream: %zu shard%s, %zu done, "
		    "%" PRIu64 " change%s applied (backfill %s, %" PRIu64
		    " items)",
		    ck->nshards, ck->nshards == 1 ? "" : "s", shards_done,
		    ck->stream_items, ck->stream_items == 1 ? "" : "s",
		    ck->backfill_completed_ms != 0 ? "complete" : "not run",
		    items);
	else if (ck->backfill_completed_ms != 0)
		(void)snprintf(buf, len, "backfill complete, %" PRIu64 " items",
		    items);
	else if (ck->total_segments != 0)
		(void)snprintf(buf, len,
		    "backfill: %" PRIu32 "/%" PRIu32 " segments done, %" PRIu64
		    " items%s",
		    done, ck->total_segments, items,
		    ck->stream_arn != NULL ? "; stream spooled" : "");
}

void
report_resume_for(const struct plan_pair *p, const char *path, char *buf,
    size_t len)
{
	struct checkpoint ck;
	char err[1024];

	if (len > 0)
		buf[0] = '\0';
	checkpoint_init(&ck);
	if (checkpoint_load(path, &ck, err, sizeof(err)) == 0 &&
	    checkpoint_match(&ck, p->name, p->input.table, p->input.region,
		p->output.table, p->output.region, p->total_segments, err,
		sizeof(err)) == 0)
		report_resume_text(&ck, buf, len);
	checkpoint_clear(&ck);
}
