/* worker.c: checkpoint flushing, progress reports and failure for one pair. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "settings.h"
#include "lineage.h"
#include "worker.h"
#include "xtime.h"

volatile sig_atomic_t worker_stop;

int
worker_ckpt_flush(struct worker *w, int force)
{
	char err[512];
	int64_t now = clock_ms();

	if (!w->ckpt_dirty)
		return 0;
	if (!force && now - w->ckpt_saved_ms < w->ckpt_interval_ms)
		return 0;
	/* A fleet keeps progress in the leases (member.c writes them). */
	if (w->member != NULL) {
		w->ckpt_dirty = 0;
		w->ckpt_saved_ms = now;
		report_checkpoints(&w->ckpt, force);
		return 0;
	}
	if (checkpoint_save(w->ckpt_path, &w->ckpt, err, sizeof(err)) == -1) {
		/* A checkpoint that cannot be written would make a restart
		 * redo unbounded work: stop and let the supervisor retry. */
		worker_fail(w, WORKER_EXIT_CRASH, "CheckpointWriteFailed", "%s",
		    err);
		return -1;
	}
	w->ckpt_dirty = 0;
	w->ckpt_saved_ms = now;
	report_checkpoints(&w->ckpt, force);
	return 0;
}

void
worker_seg_changed(struct worker *w, size_t idx)
{
	w->ckpt_dirty = 1;
	if (w->member != NULL)
		member_seg_changed(w->member, idx);
}

void
worker_shard_changed(struct worker *w, const char *id)
{
	w->ckpt_dirty = 1;
	if (w->member != NULL)
		member_shard_changed(w->member, id);
}

int
worker_seg_workable(const struct worker *w, size_t idx)
{
	return w->member == NULL || member_seg_workable(w->member, idx);
}

int
worker_shard_workable(struct worker *w, const struct ckpt_shard *c, int spool)
{
	if (w->member != NULL)
		return member_shard_workable(w->member, c->shard_id);
	return spool ? lineage_ready_read(&w->ckpt, c) :
		       lineage_ready(&w->ckpt, c);
}

/*
 * One sample per progress tick (about a second): warn when the last minute
 * saw throttling on most ticks, at most every five minutes, so an operator
 * learns that capacity, not ddb-sync, sets the pace.
 */
static void
throttle_check(struct worker *w, int64_t now)
{
	size_t n = sizeof(w->thr_sample) / sizeof(w->thr_sample[0]);
	uint64_t oldest = w->thr_sample[w->thr_next % n];
	int64_t every = settings_int(SETTING_THROTTLE_WARN_MS);
	uint64_t min = (uint64_t)settings_int(SETTING_THROTTLE_WARN_COUNT);

	w->thr_sample[w->thr_next % n] = w->prog.throttles;
	w->thr_next++;
	if (w->thr_next < n || w->prog.throttles - oldest < min)
		return;
	if (w->thr_warned_ms != 0 && now - w->thr_warned_ms < every)
		return;
	w->thr_warned_ms = now;
	report_warning("throttled",
	    "Sustained throttling: %llu throttled "
	    "requests or unprocessed batches in the last minute; the copy "
	    "runs at the pace the tables' capacity allows",
	    (unsigned long long)(w->prog.throttles - oldest));
}

void
worker_progress(struct worker *w, int force)
{
	struct proto_msg m;
	int64_t now = clock_ms();

	/* Once per turn of the loop: what fd 3 could not take earlier, and
	 * what the supervisor sent (capacity shares). */
	report_flush();
	shares_poll(w);
	if (!force && now - w->prog_sent_ms < w->prog_interval_ms)
		return;
	w->prog_sent_ms = now;
	w->prog.retries = w->stats.retries;
	w->prog.throttles = w->stats.throttles + w->unprocessed;
	w->prog.transient_errors = w->stats.transient;
	throttle_check(w, now);
	if (!report_active()) {
		if (force || log_get_verbose())
			log_info("progress: %llu read, %llu written, %u/%u "
				 "segments, buffer %u%%",
			    (unsigned long long)w->prog.items_read,
			    (unsigned long long)w->prog.items_written,
			    w->prog.segments_done, w->prog.segments_total,
			    w->prog.buffer_pct);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PROTO_PROGRESS;
	m.u.progress = w->prog;
	/* The supervisor is gone: stop cleanly, as on SIGTERM. */
	if (report_send(&m) == -1)
		worker_stop = 1;
}

void
worker_fail(struct worker *w, int exit_code, const char *code, const char *fmt,
    ...)
{
	va_list ap;

	/* Keep the first failure: later ones are usually its echoes. */
	if (w->exit_code != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
	w->exit_code = exit_code;
	/* One line: the supervisor logs it, or report_error does alone. */
	report_error(code, w->error, exit_code != WORKER_EXIT_CRASH);
}

int
worker_exit_for(enum aws_status s)
{
	switch (s) {
	case AWS_DENIED:
	case AWS_NOT_FOUND:
	case AWS_FATAL:
		return WORKER_EXIT_PERMANENT;
	default:
		/* Outages and throttling outlasting the retry budget, expired
		 * credentials: a restart with backoff may succeed. */
		return WORKER_EXIT_CRASH;
	}
}

int
worker_scan_answer(struct worker *w, struct aws_call *c, const char *table,
    uint32_t segment, unsigned *malformed, struct ddb_page *pg, char **body,
    size_t *len)
{
	if (c->status != AWS_OK) {
		worker_fail(w, worker_exit_for(c->status), c->code,
		    "Scan of %s segment %u failed: %s", table, segment, c->msg);
		return -1;
	}
	*body = buf_steal(&c->xfer.resp, len);
	if (*body != NULL && ddb_parse_scan(*body, *len, pg) == 0) {
		*malformed = 0;
		return 0;
	}
	free(*body);
	*body = NULL;
	/* Passed the CRC check yet unreadable: retry, then give up. */
	if (++*malformed > WORKER_MALFORMED_RETRIES) {
		worker_fail(w, WORKER_EXIT_CRASH, "MalformedResponse",
		    "Scan of %s segment %u: malformed response %u times", table,
		    segment, *malformed);
		return -1;
	}
	log_warnx("Scan of %s segment %u: malformed response, retrying", table,
	    segment);
	return 1;
}
