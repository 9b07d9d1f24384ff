/* lineage.h: shard lineage over the checkpoint's shard set (pure). */
#ifndef LINEAGE_H
#define LINEAGE_H

#include <stddef.h>

#include "checkpoint.h"

struct lineage_shard {
	const char *id;
	const char *parent;	/* NULL if none */
};

/*
 * Whether a shard may be read now: not done, and its parent is either not
 * known (trimmed long ago, or never seen) or fully applied. A child is
 * read only after its parent so changes to one item stay in order.
 */
int	lineage_ready(struct checkpoint *, const struct ckpt_shard *);

/*
 * Merge a complete DescribeStream listing (all pages) into the checkpoint.
 * New shards are added (returned in *added). Shards that are done and no
 * longer listed are dropped (*pruned): their records have aged out and no
 * child can wait on them. A shard that is neither done nor listed any more
 * lost records before they were applied: the first one is returned in
 * *lost (the caller reports a gap). Returns 0, or -1 if the listing is
 * inconsistent (a shard listed twice).
 */
int	lineage_merge(struct checkpoint *, const struct lineage_shard *,
	    size_t n, size_t *added, size_t *pruned, const char **lost);

/* Counts for progress: shards done and known. */
void	lineage_counts(const struct checkpoint *, unsigned *done,
	    unsigned *total);

#endif
