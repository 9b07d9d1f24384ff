/* verify.h: compare a pair's tables, report and repair what differs. */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct worker;

#define VERIFY_SAMPLE_ALL   1000000u /* parts per million */
#define VERIFY_REPORT_NAME  "verify-report.jsonl"
#define VERIFY_CKPT_NAME    "verify.ckpt"
#define VERIFY_CKPT_FORMAT  "ddb-sync-verify-checkpoint"
#define VERIFY_CKPT_VERSION 1
#define VERIFY_GET_MAX	    100 /* keys per BatchGetItem */

/* What ddb-sync verify asks of a worker (its --verify-* flags). */
struct verify_opts {
	int on;		     /* --verify */
	uint32_t sample_ppm; /* VERIFY_SAMPLE_ALL: every item */
	int repair;	     /* put missing and different items */
	int delete_extra;    /* delete extra items */
	char *report;	     /* NULL: <pair dir>/VERIFY_REPORT_NAME */
	/* Recheck differences after this long; -1: the stream's latency
	 * plus a margin when the pair has a stream, else no recheck. */
	int64_t recheck_ms;
};

enum verify_pass {
	VERIFY_SOURCE = 0, /* scan the source, look up the destination */
	VERIFY_DEST,	   /* scan the destination, look up the source */
};

/* Counters of one segment of one pass; the checkpoint keeps them. */
struct verify_counts {
	uint64_t scanned; /* items the Scan returned */
	uint64_t checked; /* of those, looked up (the sample) */
	uint64_t missing; /* in the source, not the destination */
	uint64_t extra;	  /* in the destination, not the source */
	uint64_t different;
	uint64_t rechecked; /* differences looked at again */
	uint64_t repaired;  /* items put */
	uint64_t deleted;   /* extra items deleted */
};

struct verify_seg {
	uint32_t segment;
	int done;
	char *last_key; /* compact JSON; NULL: start of segment */
	struct verify_counts n;
};

/* The verify checkpoint (docs/checkpoint-format.md, "Verify"). */
struct verify_ckpt {
	char *pair;
	char *src_table, *src_region, *dst_table, *dst_region;
	char *report;	       /* the report file's path */
	uint64_t report_bytes; /* its length covered by the counts */
	uint32_t sample_ppm;
	uint64_t seed; /* of the sample */
	int repair, delete_extra;
	int64_t started_ms;
	uint32_t total[2]; /* TotalSegments of each pass */
	struct verify_seg *segs[2];
	size_t nsegs[2];
};

void verify_ckpt_clear(struct verify_ckpt *);
/* Pure codec: encode appends; decode fills a zeroed checkpoint (cleared
 * on failure). 0, or -1 (decode: with err). */
int verify_ckpt_encode(const struct verify_ckpt *, struct buf *);
int verify_ckpt_decode(const char *text, size_t len, struct verify_ckpt *,
    char *err, size_t errlen);
/* Whether a checkpoint is for this verify (same tables, sample, report
 * and repairs): 1 yes, 0 no (why says what differs). */
int verify_ckpt_same(const struct verify_ckpt *, const struct verify_ckpt *,
    char *why, size_t whylen);

/* Whether an item's key is in a sample of ppm parts per million (pure:
 * the same key and seed always answer the same, so a resumed verify
 * samples as the first run did). */
int verify_sampled(const char *key, size_t len, uint64_t seed, uint32_t ppm);

/*
 * How long to wait before reading a difference again: margin_ms, plus the
 * copy's stream lag as its checkpoint last said (lag_ms measured at
 * lag_at_ms, wall clock; 0: never), grown by the time since when it was
 * not caught up, at most VERIFY_LAG_WAIT_MAX_MS. A lag measured over
 * VERIFY_LAG_FRESH_MS ago is of a copy that is not running: not counted.
 */
#define VERIFY_LAG_FRESH_MS    (2 * 60 * 1000)
#define VERIFY_LAG_WAIT_MAX_MS (15 * 60 * 1000)
int64_t verify_recheck_wait(int64_t margin_ms, int64_t lag_ms,
    int64_t lag_at_ms, int64_t now_ms);

/*
 * Check what verify needs before anything is scanned (the report can be
 * written): 0, or -1 after worker_fail (exit 2).
 */
int verify_preflight(struct worker *, struct verify_opts *);
/* 0 equal, 1 stopped (resumable), -1 failed; w->verify_differs set when
 * anything differs. */
int verify_run(struct worker *, struct verify_opts *);

#endif
