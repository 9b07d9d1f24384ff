/* checkpoint.h: the per-pair checkpoint file (docs/checkpoint-format.md). */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CHECKPOINT_VERSION	1
#define CHECKPOINT_MAX_SIZE	(64u * 1024 * 1024)

struct ckpt_segment {
	uint32_t segment;
	int	 done;
	uint64_t items;		/* items written and acknowledged */
	/* LastEvaluatedKey (compact JSON) of the last fully written page;
	 * NULL = start of segment. */
	char	*last_key;
};

struct ckpt_shard {
	char	*shard_id;
	char	*parent_id;	/* NULL if none */
	char	*seq;		/* last applied sequence number; NULL = none */
	int	 done;		/* fully read and applied */
	uint64_t items;
};

struct checkpoint {
	/* Identity: must match the plan pair, or the file is refused. */
	char	*pair;
	char	*src_table;
	char	*src_region;
	char	*dst_table;
	char	*dst_region;

	/* Backfill. */
	int64_t	 backfill_started_ms;	/* wall clock, epoch ms; 0 = never */
	int64_t	 backfill_completed_ms;	/* 0 = not complete */
	uint32_t total_segments;
	struct ckpt_segment *segments;	/* the segments this host scans */
	size_t	 nsegments;

	/* Stream. */
	char	*stream_arn;
	int64_t	 stream_started_ms;
	struct ckpt_shard *shards;
	size_t	 nshards;
	uint64_t stream_items;
};

void	checkpoint_init(struct checkpoint *);
void	checkpoint_clear(struct checkpoint *);

/* Pure codec. */
int	checkpoint_encode(const struct checkpoint *, struct buf *out);
int	checkpoint_decode(const char *text, size_t len, struct checkpoint *,
	    char *err, size_t errlen);

/*
 * File I/O. load: 0 = loaded, 1 = no file (fresh start), -1 = error (corrupt,
 * unreadable, wrong version): err says which, and the file is left alone.
 * save: atomic replacement, mode 0600; 0 or -1 with err.
 */
int	checkpoint_load(const char *path, struct checkpoint *, char *err,
	    size_t errlen);
int	checkpoint_save(const char *path, const struct checkpoint *,
	    char *err, size_t errlen);

/* Lookup helpers; NULL if absent. */
struct ckpt_segment *checkpoint_segment(struct checkpoint *, uint32_t seg);
struct ckpt_shard *checkpoint_shard(struct checkpoint *, const char *id);
/* Add (or return the existing) shard entry. */
struct ckpt_shard *checkpoint_add_shard(struct checkpoint *, const char *id,
	    const char *parent_id);

#endif
