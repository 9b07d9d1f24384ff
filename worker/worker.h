/* worker.h: what one worker process (one pair) shares between its phases. */
#ifndef WORKER_H
#define WORKER_H

#include <signal.h>
#include <stdint.h>

#include "aws.h"
#include "checkpoint.h"
#include "ddb.h"
#include "exitcode.h"
#include "member.h"
#include "http.h"
#include "shares.h"
#include "plan.h"
#include "proto.h"

/* Tunables with their defaults; environment knobs let tests shrink them. */
/*
 * The bound on BatchWriteItem requests in flight; the governor's controller
 * (governor.h) finds the number under it. Why 256: a table's default quota
 * is 40,000 WCU/s; at 25 writes of 1 KB per request and a 100 ms round
 * trip, 0.9 of that needs 0.9 * 40000 / 25 * 0.1 = 144 requests in flight,
 * and small items or a slower endpoint need more. A slot costs a request
 * body (bounded by the buffer of scanned items) and a connection.
 */
#define WORKER_DEFAULT_INFLIGHT 256
#define WORKER_BUFFER_BYTES	(32u * 1024 * 1024) /* scanned, unwritten */
#define WORKER_PAGES_PER_SEG	2 /* pages a segment may hold */

struct worker {
	struct plan_pair *pair;
	char *state_dir;
	char *pair_dir;
	char *ckpt_path;
	int lock_fd;
	int supervised;
	int check_config;
	int64_t preflight_ms; /* preflight calls give up */

	struct http *http;
	struct creds_provider *base_creds;
	struct creds_provider *src_creds; /* base or assumed role */
	struct creds_provider *dst_creds;
	struct aws_stats stats;
	struct aws_client src;	   /* source DynamoDB */
	struct aws_client dst;	   /* destination DynamoDB */
	struct aws_client streams; /* source Streams */

	/* The capacity governor's shares and buckets (shares.c). */
	struct worker_limits lim;

	struct ddb_table src_tab;
	struct ddb_table dst_tab;

	/* TTL (ttl.c): the source's setting, asked once, and the attribute
	 * whose expired items the backfill skips (NULL: none are). */
	struct ddb_ttl src_ttl;
	int src_ttl_known;
	char *ttl_attr;

	struct checkpoint ckpt;
	int ckpt_dirty;
	int64_t ckpt_saved_ms;
	int64_t ckpt_interval_ms;

	/* Progress counters, reported about once a second. */
	struct proto_progress prog;
	int64_t prog_sent_ms;
	int64_t prog_interval_ms;

	/* BatchWriteItem answers that left items unprocessed: the
	 * destination is throttling even though the call succeeded. */
	uint64_t unprocessed;
	/* Sustained throttling: samples of the throttle count. */
	uint64_t thr_sample[60];
	unsigned thr_next;
	int64_t thr_warned_ms;

	/* The stream (stream.c): from the backfill's start when it reads
	 * into the spool, else from the stream phase's. */
	struct stream *stream;

	/* ddb-sync verify (verify.c): the report, opened by the preflight,
	 * and whether anything differed. */
	int verify_report_fd;
	int verify_differs;

	/* A fleet (member.c): the coordination table's flags, and the
	 * member once open; NULL: one host, the state directory. */
	struct member_conf mconf;
	struct member *member;

	int exit_code; /* set on failure */
	char error[1024];
};

extern volatile sig_atomic_t worker_stop; /* SIGTERM/SIGINT seen */

/* Save the checkpoint if dirty and due (or force). 0 or -1 (fatal). */
int worker_ckpt_flush(struct worker *, int force);
/* Send progress if its interval has passed (or force). */
void worker_progress(struct worker *, int force);
/* Record a fatal error: message for log + supervisor, exit code. */
void worker_fail(struct worker *, int exit_code, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Exit code for a failed AWS call: permanent unless it may heal. */
int worker_exit_for(enum aws_status);
/*
 * A Scan's answer for one segment (the backfill's and verify's): 0 with
 * the page parsed into pg and its body (owned by the caller) in *body; 1
 * when it was unreadable and the Scan should be sent again (said; at most
 * WORKER_MALFORMED_RETRIES times in a row, counted in *malformed); -1
 * when the Scan failed (worker_fail was called).
 */
#define WORKER_MALFORMED_RETRIES 3
int worker_scan_answer(struct worker *, struct aws_call *, const char *table,
    uint32_t segment, unsigned *malformed, struct ddb_page *pg, char **body,
    size_t *len);

/* Phases: 0 complete, 1 stopped, -1 failed (worker_fail was called). */
int backfill_run(struct worker *);
int stream_run(struct worker *);
/*
 * The spool (issue 13). Whether this pair's stream goes through it: as
 * its checkpoint says once started, else the plan's spool with a backfill
 * still to run. stream_spool_start: at the backfill's start, begin
 * reading into the spool (a no-op without it); 0, or -1 (failed).
 * stream_spool_tick: once per turn of the backfill's loop; -1 when the
 * stream failed (worker_fail was called). stream_free: NULL-safe.
 */
int stream_wants_spool(const struct worker *);
int stream_spool_start(struct worker *);
int stream_spool_tick(struct worker *);
void stream_free(struct worker *);

/* Warn once (clock_skew) if the host's clock is a minute or more away
 * from the server's (stream.c). */
void stream_clock_check(struct worker *);

/* Pure rules, unit-tested. */
/* The backfill's completeness tally over a checkpoint's segments: 0 when
 * scanned == written + expired, else -1. */
int backfill_tally(const struct checkpoint *, uint64_t *scanned,
    uint64_t *written, uint64_t *expired);
uint32_t backfill_auto_segments(int64_t item_count, int64_t size_bytes,
    uint32_t page_size);
uint32_t backfill_auto_page_size(int64_t item_count, int64_t size_bytes);
void backfill_shuffle(size_t *order, size_t n, const char *seed);

#endif
