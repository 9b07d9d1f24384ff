/* lineage.h: shard lineage over the checkpoint's shard set (pure). */
#ifndef LINEAGE_H
#define LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"

struct lineage_shard {
	const char *id;
	const char *parent; /* NULL if none */
	const char *start;  /* StartingSequenceNumber; NULL if not told */
	int open;	    /* no EndingSequenceNumber yet */
};

/*
 * Whether a shard may be read now: not done, and its parent is either not
 * known (trimmed long ago, or never seen) or fully applied. A child is
 * read only after its parent so changes to one item stay in order.
 */
int lineage_ready(struct checkpoint *, const struct ckpt_shard *);
/*
 * The same for reading into the spool (issue 13): not read to its end
 * yet, and its parent is unknown, applied, or read to its end. The spool
 * keeps file order, so a child's records follow all of its parent's.
 */
int lineage_ready_read(struct checkpoint *, const struct ckpt_shard *);

/*
 * Merge a complete DescribeStream listing (all pages) into the checkpoint.
 * New shards are added (returned in *added). Shards that are done and no
 * longer listed are dropped (*pruned): their records have aged out and no
 * child can wait on them. A shard that is neither done nor listed any more,
 * nor read to its end (read_all), lost records before they were applied: the first one is returned in
 * *lost (the caller reports a gap). Returns 0, or -1 if the listing is
 * inconsistent (a shard listed twice).
 */
int lineage_merge(struct checkpoint *, const struct lineage_shard *, size_t n,
    size_t *added, size_t *pruned, const char **lost);

/*
 * Whether a complete listing can be trusted before it is merged: 0, or
 * LINEAGE_DUPLICATE (a shard listed twice), LINEAGE_PARENT_CHANGED (a
 * known shard, not finished, listed with no parent or with a parent that
 * is neither listed nor known, instead of the one it had; a change to a
 * known parent is adopted by lineage_merge()) or
 * LINEAGE_UNKNOWN_PARENT (a shard whose parent is neither listed nor
 * known, and cannot have aged out: the shard is open, or it is new since
 * the last listing while first is 0), with the shard's id in *bad (valid
 * while the listing is). Reading such a child could put it before a parent
 * that is still to come.
 */
#define LINEAGE_DUPLICATE      (-1)
#define LINEAGE_UNKNOWN_PARENT (-2)
#define LINEAGE_PARENT_CHANGED (-3)
int lineage_check(const struct checkpoint *, const struct lineage_shard *,
    size_t n, int first, const char **bad);

/*
 * The trimmed-start rule. A shard with nothing checkpointed is first asked
 * AT its StartingSequenceNumber; TrimmedDataAccessException means records
 * were trimmed before anyone read them. Those records are older than the
 * oldest one still retained (oldest_ms: its ApproximateCreationDateTime,
 * INT64_MAX if none is) and older than the trim horizon (server_now_ms -
 * retention_ms). They are a gap only if they may be newer than the
 * handoff (what the backfill's scan, or the stream's first start, already
 * covers): 1 if so, 0 if they are all older. All times epoch ms on the
 * server's clock.
 */
int lineage_trim_gap(int64_t oldest_ms, int64_t server_now_ms,
    int64_t retention_ms, int64_t handoff_ms);

/*
 * ApproximateCreationDateTime is rounded down to the second: a record
 * stamped created_s was made before handoff_ms (and is in the scan) only if
 * its whole second is: created_s * 1000 + 1000 <= handoff_ms. Its latest
 * possible time, for the trimmed-start rule: lineage_created_max_ms().
 */
int lineage_before_handoff(double created_s, int64_t handoff_ms);
int64_t lineage_created_max_ms(double created_s);

/* Counts for progress: shards done and known. */
void lineage_counts(const struct checkpoint *, unsigned *done, unsigned *total);

#endif
