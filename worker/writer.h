/* writer.h: the one BatchWriteItem engine behind every producer of writes. */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "ddb.h"
#include "retry.h"

/*
 * Producers (the backfill, the stream; later the spool applier and verify's
 * repairs) hand the engine units of writes and take acknowledgements; the
 * engine owns everything between: packing requests, the slots in flight,
 * UnprocessedItems, malformed answers, failure and draining on stop.
 *
 *   producer --writer_submit(lane, unit)--> lane FIFO
 *   writer_pump: while writer_may_send(): next lane round robin, pack a
 *     request (25 writes at most, WRITER_BODY_MAX bytes at most), send it
 *   answer: note (WCU, unprocessed, the answer hook), resend what is
 *     unprocessed until none is left, then ack(parts) once per request
 *
 * Units and spans: a unit is a producer's array of item spans (puts) or
 * of ddb_ops (puts and deletes); the engine copies each span once,
 * verbatim, into a request body and never re-serialises anything. The
 * spans must stay valid until the producer is told they are written. Units
 * of one lane may share a request, so their keys must differ (the service
 * refuses a key named twice in one request): the backfill's pages do; a
 * stream shard submits its next unit only once the last is written.
 *
 * Lanes share the slots round robin, one request per lane in turn, so a
 * busy stream shard cannot starve the others.
 *
 * Failure: a non-retryable answer (or malformed answers beyond
 * WRITER_MALFORMED_RETRIES in a row, or a write that can never fit in a
 * request) calls worker_fail() with a message naming the table (and the
 * key, for a write too large), aborts every request in flight and sends
 * nothing more; writer_failed() then says so. Units left unacknowledged
 * were not written as far as the producer knows: its checkpoint must not
 * move past them.
 *
 * The capacity governor (governor.h, shares.h) is built in: the write
 * bucket is consulted in writer_may_send() (writer.c), the one place that
 * decides whether a request may go now, which arms a timer calling
 * writer_pump() when tokens are due; a request takes its estimate when it
 * goes and every answer settles it (answer_note); the AIMD controller
 * moves the slot limit on every answer: the slots are allocated as the
 * limit grows, and a lower limit takes effect as requests in flight
 * finish.
 *
 * What comes next plugs in here:
 * - The spool applier (issue 13): a lane per shard, as the stream today,
 *   units made of records read from disk, the same acknowledgements.
 * - Verify's repairs (issue 17): a lane of ops (puts of source items,
 *   deletes of keys the source lacks).
 */

#define WRITER_BATCH_MAX 25 /* writes per BatchWriteItem */
/*
 * Bytes per request body. The service's limit is "16 MB"; it is read as
 * the smaller, decimal value, which leaves 777,216 bytes (4.6 %) of margin
 * below 16 MiB for whichever the service means. Bodies are measured
 * exactly (spans are the items' JSON as sent, escapes included), so no
 * other margin is needed.
 */
#define WRITER_BODY_MAX 16000000u
/* Unreadable answers to one request in a row before the pair stops. */
#define WRITER_MALFORMED_RETRIES 3

struct worker;
struct writer;
struct writer_lane;

struct writer_unit {
	/* The producer's, set before writer_submit(): n puts of items[], or
	 * n writes of ops[] (the other NULL); n > 0. */
	const struct jspan *items;
	const struct ddb_op *ops;
	size_t n;

	/* The engine's. */
	size_t sent;		  /* writes handed to requests */
	struct writer_unit *next; /* lane FIFO */
};

/* Writes [off, off + n) of a unit, all written. */
struct writer_part {
	struct writer_unit *unit;
	size_t off;
	size_t n;
};

/*
 * Once per request, when every write in it is written: parts say which
 * writes of which units (a request covers up to WRITER_BATCH_MAX parts).
 * The request's slot is free again when this is called; it may submit
 * units and call writer_pump().
 */
typedef void (
    *writer_ack_fn)(const struct writer_part *, unsigned nparts, void *arg);

/* What one answer to a BatchWriteItem said, for the answer hook. */
struct writer_answer {
	enum aws_status status; /* of the call, after its retries */
	unsigned attempts;	/* HTTP attempts of the call */
	unsigned throttled;	/* of them, throttled and retried */
	unsigned writes;	/* writes the request carried */
	long unprocessed;	/* left unprocessed; -1 unreadable */
	unsigned rounds;	/* resends without progress (backoff) */
	double wcu;		/* consumed capacity it reported */
	unsigned inflight;	/* in flight, this one included */
};
typedef void (*writer_answer_fn)(const struct writer_answer *, void *arg);

/*
 * An engine for the worker's destination (w->dst, w->pair->output.table,
 * its key names for messages, consumed_capacity). The bound on requests in
 * flight is the pair's max_inflight, else DDB_SYNC_MAX_INFLIGHT, else
 * WORKER_DEFAULT_INFLIGHT; under it the governor's controller sets the
 * limit (GOV_START at first), unless DDB_SYNC_ADAPTIVE_INFLIGHT=0 fixes it
 * at the bound. Requests also wait for the write bucket (w->lim.wb). The
 * stop timeout is DDB_SYNC_STOP_TIMEOUT_MS (10 s). Progress: w->prog.wcu
 * and w->unprocessed are kept here.
 */
struct writer *writer_new(struct worker *);
/* Abandon whatever is in flight (no acks) and free; NULL is a no-op. */
void writer_free(struct writer *);

/* A producer's lane (freed by writer_free). */
struct writer_lane *writer_lane_new(struct writer *, writer_ack_fn, void *arg);
/*
 * A fleet's fence on a lane (none by default): asked for the unit at the
 * lane's head before a request is packed, and for a request's unit before
 * every attempt, resends and retries included. AWS_FENCE_SEND: go;
 * AWS_FENCE_HOLD: not now (the lease's deadline passed; the unit will be
 * lost or renewed); AWS_FENCE_DROP: its lease is lost: its writes are not
 * sent and are acknowledged as if written, which the producer knows to
 * ignore (a stale generation moves no checkpoint). A lane's units must
 * all be of one lease tenure: one lane per segment or shard.
 */
typedef int (*writer_fence_fn)(const struct writer_unit *, void *arg);
void writer_lane_fence(struct writer_lane *, writer_fence_fn, void *arg);
/* Queue a unit at the end of its lane; writer_pump() sends it. */
void writer_submit(struct writer_lane *, struct writer_unit *);
/* Fill the free slots with requests from the lanes. */
void writer_pump(struct writer *);

/* Requests in flight (waiting to resend included), and the limit. */
unsigned writer_inflight(const struct writer *);
unsigned writer_limit(const struct writer *);
/* Share of the slots in use, 0-100 (the status table's buffer glyph). */
unsigned writer_busy_pct(const struct writer *);
/* A fixed limit (the controller stops). */
void writer_set_limit(struct writer *, unsigned);
/* Tests: a smaller body limit than WRITER_BODY_MAX. */
void writer_set_body_max(struct writer *, size_t);
void writer_set_answer_hook(struct writer *, writer_answer_fn, void *arg);

/*
 * Stop: no new requests; those in flight finish (their unprocessed items
 * included) until the stop timeout. writer_drained(): nothing is in
 * flight, or the timeout has passed (writer_free then abandons the rest).
 */
void writer_stop(struct writer *);
int writer_drained(const struct writer *);
int writer_failed(const struct writer *);

#endif
