/* ttl.h: DynamoDB TTL the way users mean it: expired items, TTL deletes. */
#ifndef TTL_H
#define TTL_H

#include <stddef.h>
#include <stdint.h>

#include "ddb.h"
#include "jscan.h"
#include "proto.h"
#include "retry.h"

struct worker;

/*
 * Whether an item (a JSON object span, as Scan returns it) is expired:
 * its top-level attribute attr is a Number of epoch seconds before now_s.
 * Any other type, a missing attribute or a value that is not a number
 * means "never expires", as for DynamoDB's own TTL (docs/plan-format.md,
 * TTL).
 */
int ttl_item_expired(const struct jspan *item, const char *attr, int64_t now_s);

/*
 * Drop the expired items of items[0, n) (a Scan page), keeping the order
 * of the others, which move to the front. Returns how many are kept.
 */
size_t ttl_drop_expired(struct jspan *items, size_t n, const char *attr,
    int64_t now_s);

/*
 * Move the REMOVE records the TTL service made (rec->ttl) among
 * recs[from, n) to the front of that range, keeping the order of the
 * others, which follow. Returns how many were moved.
 */
size_t ttl_partition_deletes(struct ddb_record *recs, size_t from, size_t n);

/*
 * "Now" in epoch seconds for deciding what has expired. The host's clock
 * for now; the server's (its Date header) once the worker tracks it, since
 * the host's may be minutes off.
 */
int64_t ttl_now(const struct worker *);

/*
 * Preflight: fetch the source's TTL setting (once, kept in the worker) and
 * decide ttl.skip_expired: w->ttl_attr is then the attribute whose expired
 * items the backfill skips, or NULL. 0, or -1 after worker_fail().
 */
int ttl_preflight(struct worker *);
/* Log what TTL kept out of the copy in a phase, if anything. */
void ttl_log_skipped(const struct worker *, enum proto_phase);

/*
 * The source's DescribeTimeToLive into w->src_ttl, asked once per run.
 * AWS_OK, or the failure with "Code: message" in why.
 */
enum aws_status ttl_source(struct worker *, char *why, size_t len);

#endif
