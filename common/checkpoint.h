/* checkpoint.h: the per-pair checkpoint file (docs/checkpoint-format.md). */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hmap.h"

#define CHECKPOINT_FORMAT   "ddb-sync-checkpoint"
#define CHECKPOINT_VERSION  1
#define CHECKPOINT_MAX_SIZE (64u * 1024 * 1024)
#define CHECKPOINT_MODE	    0600

/* Limits checked by checkpoint_validate() and checkpoint_decode(). */
#define CHECKPOINT_NAME_MAX	1024	/* identity strings, ids, ARN */
#define CHECKPOINT_KEY_MAX	65536	/* bytes of one last_key, compact */
#define CHECKPOINT_SEQ_MAX	40	/* digits of a sequence number */
#define CHECKPOINT_SEGMENTS_MAX 1000000 /* DynamoDB's TotalSegments max */
#define CHECKPOINT_SHARDS_MAX	1000000

struct ckpt_segment {
	uint32_t segment;
	int done;
	uint64_t items; /* items written and acknowledged */
	/* The completeness tally over the same pages: items the Scan
	 * returned, and of those the expired ones skipped (TTL); a
	 * finished segment has scanned == items + expired. */
	uint64_t scanned;
	uint64_t expired;
	/* LastEvaluatedKey (compact JSON object) of the last fully written
	 * page; NULL = start of segment. */
	char *last_key;
	/* Not in the file: what the worker last told the supervisor. */
	uint64_t reported_items;
	int reported_done;
};

struct ckpt_shard {
	char *shard_id;
	char *parent_id; /* NULL if none */
	char *seq;	 /* last applied sequence number; NULL = none */
	int done;	 /* fully read and applied */
	uint64_t items;
	/* Not in the file: what the worker last told the supervisor. */
	uint64_t reported_items;
	int reported_done;
	/* Not in the file: read to its end, in memory until applied (a
	 * shard that leaves the stream then has lost nothing). */
	int read_all;
	/* Optional, with the spool (issue 13): the last sequence number
	 * durable in the spool (NULL: none past seq), and whether the shard
	 * is read to its end with every record durable there. Never ahead
	 * of what the spool holds: set only after its commit. */
	char *spooled;
	int spooled_all;
};

struct checkpoint {
	/* Identity: must match the plan pair, or the file is refused. */
	char *pair;
	char *src_table;
	char *src_region;
	char *dst_table;
	char *dst_region;

	/* Backfill. */
	int64_t backfill_started_ms;   /* wall clock, epoch ms; 0 = never */
	int64_t backfill_completed_ms; /* 0 = not complete */
	uint32_t total_segments;       /* 0 = not chosen yet */
	struct ckpt_segment *segments; /* the segments this host scans */
	size_t nsegments;
	size_t segments_cap;

	/* Stream. */
	char *stream_arn; /* NULL = stream not started */
	int64_t stream_started_ms;
	struct ckpt_shard *shards;
	size_t nshards;
	size_t shards_cap;
	uint64_t stream_items;
	/* The stream's lag when last measured (0: caught up), and when (wall
	 * clock, epoch ms; 0: never, and the file has neither). ddb-sync
	 * verify waits it out before rechecking a difference. */
	int64_t stream_lag_ms;
	int64_t stream_lag_at_ms;
	/* The stream is read through the spool (pairs/<name>/spool/): set
	 * when the stream starts, kept for its life whatever the plan says
	 * later, so that spooled records are never left behind. */
	int stream_spool;
	/* With the spool: the oldest segment it must still have (every
	 * older one is applied and may be gone); 0 = none deleted yet. */
	uint64_t stream_spool_segment;

	/* Not in the file: shard id -> index + 1 into shards, rebuilt by
	 * checkpoint_shard() when it no longer covers them all. */
	struct hmap shard_idx;
};

void checkpoint_init(struct checkpoint *);
/* Free everything and re-initialise; the struct can be reused. */
void checkpoint_clear(struct checkpoint *);

/*
 * Whether a checkpoint can be written and read back: the rules of
 * docs/checkpoint-format.md. 0, or -1 with the offending field in err.
 */
int checkpoint_validate(const struct checkpoint *, char *err, size_t errlen);

/*
 * Pure codec. encode appends the file's text to out: 0, or -1 with errno
 * EINVAL (checkpoint_validate() says why) or EFBIG (out's maximum).
 * decode fills an initialised checkpoint (cleared first; left cleared on
 * failure): 0, or -1 with a message naming the field.
 */
int checkpoint_encode(const struct checkpoint *, struct buf *out);
int checkpoint_decode(const char *text, size_t len, struct checkpoint *,
    char *err, size_t errlen);

/*
 * Whether a checkpoint belongs to this plan pair. total_segments 0 means
 * the plan leaves the count automatic (the checkpoint's is then used);
 * the count is not compared either once the backfill is complete.
 * 0, or -1 with what differs and what the operator can do.
 */
int checkpoint_match(const struct checkpoint *, const char *pair,
    const char *src_table, const char *src_region, const char *dst_table,
    const char *dst_region, uint32_t total_segments, char *err, size_t errlen);

/*
 * File I/O. load: 0 = loaded, 1 = no file (fresh start), -1 = error (corrupt,
 * truncated, unreadable, too large, wrong version): err says which, and the
 * file is left alone. save: validate, then atomic replacement, mode 0600;
 * 0 or -1 with err.
 */
int checkpoint_load(const char *path, struct checkpoint *, char *err,
    size_t errlen);
int checkpoint_save(const char *path, const struct checkpoint *, char *err,
    size_t errlen);

/* Lookup helpers; NULL if absent. */
struct ckpt_segment *checkpoint_segment(struct checkpoint *, uint32_t seg);
struct ckpt_shard *checkpoint_shard(struct checkpoint *, const char *id);
/*
 * Add (or return the existing) entry. Pointers from these and the lookups
 * are valid until the next add.
 */
struct ckpt_segment *checkpoint_add_segment(struct checkpoint *, uint32_t seg);
struct ckpt_shard *checkpoint_add_shard(struct checkpoint *, const char *id,
    const char *parent_id);
/*
 * Drop the shards for which drop(shard, arg) is true, keeping the others'
 * order; returns how many went. Lookups stay constant time throughout.
 */
size_t checkpoint_drop_shards(struct checkpoint *,
    int (*drop)(const struct ckpt_shard *, void *), void *arg);

/*
 * Set a segment's last_key from LastEvaluatedKey JSON (whitespace removed,
 * otherwise kept byte for byte); NULL = start of segment. 0, or -1 with
 * errno EINVAL (not a non-empty JSON object in UTF-8) or EFBIG (longer
 * than CHECKPOINT_KEY_MAX); the old key is kept on failure.
 */
int checkpoint_set_last_key(struct ckpt_segment *, const char *json,
    size_t len);

/* A stream sequence number: 1 to CHECKPOINT_SEQ_MAX decimal digits. */
int checkpoint_seq_valid(const char *);
/*
 * Compare two valid sequence numbers numerically, without converting them
 * (they exceed 64 bits): <0, 0 or >0. Leading zeros do not count.
 */
int checkpoint_seq_cmp(const char *a, const char *b);

#endif
