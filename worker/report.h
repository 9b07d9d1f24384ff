/* report.h: the worker's side of the protocol (fd 3) and its log sink. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct checkpoint;
struct plan_pair;

/*
 * The channel never blocks the worker for long. Lines wait in a bounded
 * queue and go out as fd 3 (non-blocking) takes them: on every send and
 * on report_flush(), which the worker's loop calls at least every 250 ms.
 * A progress line not yet sent is replaced by a newer one (it is a full
 * snapshot); every other message is kept, in order. When those fill the
 * queue, the worker waits for room (poll, no busy loop) up to
 * REPORT_STALL_MS, or REPORT_STOP_WAIT_MS once a stop was asked; then it
 * gives the channel up, as if the supervisor had gone: nothing more is
 * sent and the worker stops (PROTOCOL.md, "Flow control").
 */
#define REPORT_QUEUE_MAX    (256 * 1024)
#define REPORT_STALL_MS	    60000 /* DDB_SYNC_REPORT_STALL_MS */
#define REPORT_STOP_WAIT_MS 2000
/* checkpoint messages: at most one round a second, this many per round */
#define REPORT_CKPT_ROUND_MS  1000
#define REPORT_CKPT_PER_ROUND 64

/*
 * fd: the channel (PROTO_FD) or -1 when running alone (stderr logging).
 * With a channel, the hello goes out at once; resume is what the worker
 * resumes from (report_resume_text), "" for a fresh start.
 */
void report_init(int fd, const char *pair, const char *resume);
int report_active(void);
/* 0, or -1 if the supervisor is gone (EPIPE) or stopped reading. */
int report_send(const struct proto_msg *);
/* Send what fd 3 takes now, without blocking. */
void report_flush(void);
/* At exit: wait (bounded) until everything queued is sent. */
void report_drain(void);
void report_phase(enum proto_phase, enum proto_phase_state, uint64_t items,
    uint64_t duration_ms, const char *detail);
/* The state is read from the checkpoint, not reached now. */
void report_phase_from_checkpoint(enum proto_phase, enum proto_phase_state,
    uint64_t items, uint64_t duration_ms);
void report_error(const char *code, const char *msg, int fatal);
/* A condition the operator should see (code: "retention_risk", ...);
 * logged as a warning when running alone. */
void report_warning(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_checkpoint(const char *kind, const char *id, uint64_t items,
    int done);
/*
 * After a durable checkpoint save: a checkpoint message for each entry
 * changed since it was last reported (throttled, see above; force skips
 * the interval, for the last save).
 */
void report_checkpoints(struct checkpoint *, int force);
void report_done(const char *status);

/*
 * "backfill: 9/16 segments done, 120433 items", "stream: 4 shards, 2 done,
 * 400 changes applied (backfill complete, 14301 items)": what a checkpoint
 * holds, for hello.resume; "" if it holds no progress. Pure.
 */
void report_resume_text(const struct checkpoint *, char *buf, size_t len);
/*
 * The hello's resume text for a pair: its checkpoint file summarised if it
 * loads and belongs to the pair, else "" (the run then refuses it, or starts
 * afresh).
 */
void report_resume_for(const struct plan_pair *, const char *ckpt_path,
    char *buf, size_t len);

/* The queue (pure but for flush's write), exposed for unit tests. */
struct report_queue {
	char *data;
	size_t len;  /* bytes queued, sent ones included */
	size_t sent; /* leading bytes already written */
	size_t max;
	size_t prog_off; /* the progress line waiting, if prog_len */
	size_t prog_len;
	uint64_t replaced; /* progress lines replaced before sending */
	uint64_t dropped;  /* progress lines that found no room */
};

void report_queue_init(struct report_queue *, size_t max);
void report_queue_free(struct report_queue *);
/*
 * Queue one encoded line. progress: it replaces a progress line not yet
 * started, and is dropped (0) if there is no room even so. Otherwise 0,
 * or -1 with ENOBUFS when it does not fit now (nothing queued).
 */
int report_queue_push(struct report_queue *, const char *line, size_t n,
    int progress);
/* Write to fd what it takes: 1 all sent, 0 some left, -1 with errno. */
int report_queue_flush(struct report_queue *, int fd);
size_t report_queue_pending(const struct report_queue *);

#endif
