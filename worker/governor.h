/* governor.h: capacity limits and adaptive concurrency, pure logic. */
#ifndef GOVERNOR_H
#define GOVERNOR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Two pieces, both fed with a clock the caller passes (tests use a fake
 * one), neither doing any I/O:
 *
 * - A token bucket per side (reads: the Scan; writes: BatchWriteItem),
 *   refilled at the pair's share of the table's limit, in capacity units
 *   per second. A request may go while the bucket holds tokens; it takes
 *   an estimate of its cost when it goes, and its answer settles the
 *   difference with what it really cost (ConsumedCapacity, or the
 *   estimate again when the pair does not ask for it). The bucket may go
 *   into debt by one request's cost, which later requests wait out: the
 *   average rate is the refill rate, whatever the requests' sizes. It
 *   holds at most GOV_BURST_MS worth of tokens, so an idle spell does not
 *   turn into a burst above the limit.
 *
 * - An AIMD controller of the writes in flight (the writer's slot limit):
 *   once per window (GOV_WINDOW_MS) it compares the writes acknowledged
 *   with the window before. While nothing is throttled and the slots were
 *   all in use, it grows: doubling at first (slow start: the right size
 *   on a 100 ms endpoint is ten times that on a 10 ms one, and additive
 *   steps alone would take minutes to get there), then by one per round
 *   trip (a round: as many answers as the limit; TCP's congestion
 *   avoidance), so a 10 ms endpoint sees it grow faster than a 1 s one
 *   and a noisy machine that ended slow start early recovers in seconds.
 *   Throughput
 *   that falls by more than GOV_FALL after a step undoes the step (a
 *   quarter: a shared machine's windows differ by 10-20% on their own). A
 *   throttled answer or a server error shrinks it at once by GOV_DECREASE,
 *   at most once per window (the answers of one flight all say the same
 *   thing). It does not grow while the token bucket, not the number in
 *   flight, sets the pace.
 *
 * Estimates, when the service does not report consumed capacity
 * (consumed_capacity: false): a write costs 1 WCU per KB of the item,
 * rounded up per item (a delete 1); a Scan page 0.5 RCU per 4 KB of the
 * page's items, rounded up (eventually consistent reads). The size used is
 * the item's JSON as received, which is larger than DynamoDB's own
 * measure (type tags, quotes, base64): the estimate errs on the safe side.
 */

#define GOV_BURST_MS  1000 /* most tokens a bucket holds: 1 s worth */
#define GOV_WINDOW_MS 1000 /* the controller's measuring window */
#define GOV_DECREASE  0.7  /* factor on throttling or a 5xx */
#define GOV_FALL      0.25 /* a fall this large undoes the last step */
#define GOV_START     8	   /* writes in flight to start with */

struct gov_bucket {
	double rate; /* units per second; 0: no limit */
	double tokens;
	int64_t last_ms; /* last refill */
	int held;	 /* closed until a rate is known */
};

/* An open bucket without a limit (held: closed until gov_bucket_set). */
void gov_bucket_init(struct gov_bucket *, int held, int64_t now_ms);
/* A new rate (0: no limit); tokens kept, within the new burst. */
void gov_bucket_set(struct gov_bucket *, double rate, int64_t now_ms);
/* Whether a request may go now. */
int gov_bucket_open(struct gov_bucket *, int64_t now_ms);
/* Milliseconds until it opens (0 if it is open; -1 while held). */
int64_t gov_bucket_wait_ms(struct gov_bucket *, int64_t now_ms);
/* Take units (a request's estimate, or what an answer cost beyond it);
 * negative units give some back. */
void gov_bucket_take(struct gov_bucket *, double units, int64_t now_ms);

/* The estimates above. */
double gov_wcu_estimate(size_t item_bytes, int del);
double gov_rcu_estimate(size_t page_item_bytes);

struct gov_aimd {
	unsigned limit;
	unsigned max;
	int slow_start;
	unsigned last_step; /* the last increase, undone on a fall */
	int64_t win_start_ms;
	double win_units;     /* acknowledged in this window */
	unsigned win_answers; /* answers in this window */
	unsigned win_peak;    /* most in flight seen in this window */
	int win_gated;	      /* the bucket held a request */
	int64_t cut_ms;	      /* last decrease */
	double prev_rate;     /* units/s of the window before; <0 none */
	uint64_t decreases;   /* for the log and tests */
};

void gov_aimd_init(struct gov_aimd *, unsigned start, unsigned max,
    int64_t now_ms);
/*
 * An answer: units acknowledged by it (writes), the requests in flight
 * (this one included), whether it met throttling (a throttled attempt or
 * unprocessed items) or a server error. Returns the limit, perhaps new.
 */
unsigned gov_aimd_answer(struct gov_aimd *, double units, unsigned inflight,
    int throttled, int server_error, int64_t now_ms);
/* The bucket, not the slots, held a request back in this window. */
void gov_aimd_gated(struct gov_aimd *);

/*
 * A limit as the plan and ctl give it: absolute units per second, or a
 * percentage of the table's capacity, resolved against DescribeTable:
 * the provisioned capacity, or on an on-demand table its OnDemandThroughput
 * maximum (0: none). Returns units per second, or -1 when a percentage has
 * nothing to be a percentage of.
 */
double gov_resolve(double units, double pct, int64_t provisioned,
    int64_t ondemand_max);

#endif
