/* spool.h: a pair's durable spool of stream records (issue 13). */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ddb.h"

/*
 * While the backfill runs, the stream is read into the spool: append-only
 * segment files under <pair dir>/spool/, each record framed with its
 * length and a CRC-32 (zlib's, the IEEE polynomial, as x-amz-crc32), its
 * shard, sequence number and ApproximateCreationDateTime, and the record's
 * JSON object byte for byte as GetRecords returned it. The format is the
 * contract in docs/checkpoint-format.md ("The spool").
 *
 * Order. Records are read back in the order they were appended (file
 * order, across segments). The reader appends a shard's records in shard
 * order and a child shard's records only after its parent's last one, so
 * that file order keeps every key's changes in order: the applier may then
 * collapse records of several shards together (ddb_collapse) as long as it
 * takes them in file order.
 *
 * The ordering contract (reader side):
 *   1. spool_append()/spool_append_records() buffer records (and write
 *      them out, unsynced, past SPOOL_WBUF_BYTES);
 *   2. spool_commit() writes the rest, fdatasync()s, then calls back once
 *      per shard with the last sequence number now durable;
 *   3. only then may that position go into the checkpoint's per-shard
 *      read position; the checkpoint is written as usual (atomicfile).
 * So the checkpoint never points past a record that is not durable. The
 * converse is allowed: a crash between 2 and 3 leaves records in the spool
 * past the checkpoint. At restart the read position of a shard is
 * therefore spool_last_seq(shard) when the spool holds records of it, else
 * the checkpoint's applied position: never the checkpoint's read position
 * alone, which may name records a cut tail lost (docs/architecture.md,
 * "Spool"). A record appended twice (seq not above the shard's last) is
 * not stored again (spool_append returns 0).
 *
 * The ordering contract (applier side):
 *   1. spool_read() hands out a batch of durable records in file order,
 *      skipping those at or below a shard's released position;
 *   2. the applier writes them (through writer.c), then moves each shard's
 *      applied position in the checkpoint and writes the checkpoint;
 *   3. only after that rename: spool_release(shard, seq) for each shard,
 *      then spool_gc(), which deletes the oldest segments whose records
 *      are all released (and fsyncs the directory, so a deleted segment
 *      cannot come back after a power loss to be applied again).
 * After a restart the applier calls spool_release() with every shard's
 * checkpointed applied position before its first spool_read().
 *
 * Failure. A failed write or fdatasync makes the spool failed for good
 * (after a failed fdatasync the kernel may have dropped the dirty pages,
 * so retrying could report lost data as durable): every later call
 * returns -1 and spool_error() says why; the pair stops and a restart
 * recovers from what is on disk.
 *
 * Recovery (spool_open). Every segment is read and every frame checked.
 * In the last segment, a frame cut short or failing its CRC after the
 * last commit mark that vouches for it is a torn tail: the file is
 * truncated there, logged, and counted in struct spool_recovery; the
 * reader reads those records again from the stream. A bad frame that a
 * later commit mark (or a later segment) proves was committed is
 * corruption: spool_open fails naming the file and the offset. Nothing is
 * ever skipped silently.
 */

#define SPOOL_DIR	    "spool"
#define SPOOL_SEGMENT_BYTES (64u * 1024 * 1024) /* rotation target */
#define SPOOL_RECORD_MAX    (4u * 1024 * 1024)	/* one record's JSON */
#define SPOOL_SHARD_MAX	    255			/* bytes of a shard id */
#define SPOOL_SEQ_MAX	    64		       /* digits of a sequence number */
#define SPOOL_WBUF_BYTES    (4u * 1024 * 1024) /* written out beyond */

/* Default size bound: a share of the free space, floor, ceiling. */
#define SPOOL_DEFAULT_SHARE_PCT 25
#define SPOOL_DEFAULT_FLOOR	(1ULL << 30)   /* 1 GiB */
#define SPOOL_DEFAULT_CEILING	(256ULL << 30) /* 256 GiB */
/* spool_max_bytes accepted from a plan, flag or test. */
#define SPOOL_MAX_BYTES_MIN (64ULL << 10) /* 64 KiB */

/* Group commit by default: whichever comes first. */
#define SPOOL_COMMIT_RECORDS 4000
#define SPOOL_COMMIT_BYTES   (8u * 1024 * 1024)
#define SPOOL_COMMIT_MS	     100

struct spool;

/* What spool_open found. */
struct spool_recovery {
	unsigned segments;	/* segment files kept */
	uint64_t records;	/* records in them */
	uint64_t bytes;		/* their size */
	uint64_t cut_bytes;	/* torn tail cut off (0: none) */
	uint64_t cut_offset;	/* where, in cut_file */
	char cut_file[64];	/* segment name, "" if none */
	char cut_why[96];	/* "frame cut short", "bad CRC", ... */
	unsigned removed_empty; /* segments without a record removed */
};

/* One record of a batch: spans into the batch's buffer. */
struct spool_rec {
	const char *shard; /* interned: valid while open */
	const char *seq;   /* digits, not NUL-terminated */
	size_t seqlen;
	int64_t created_ms; /* ApproximateCreationDateTime */
	const char *json;   /* the record object */
	size_t len;
};

/* What spool_read fills; reused from batch to batch (spool_batch_free). */
struct spool_batch {
	char *buf;
	size_t len;
	size_t cap;
	struct spool_rec *recs;
	size_t n;
	size_t rcap;
};

/* Counters, for the status and the bench. */
struct spool_stats {
	uint64_t bytes; /* segment files, written and buffered */
	uint64_t max_bytes;
	unsigned segments;
	uint64_t appended;   /* records, this run */
	uint64_t duplicates; /* appended again: not stored */
	uint64_t commits;
	uint64_t read;	   /* records handed out */
	uint64_t skipped;  /* released already: not handed out */
	uint64_t deleted;  /* segments deleted */
	int64_t oldest_ms; /* oldest record kept, 0 if none */
};

/*
 * Open (creating it 0700 if missing) the spool directory dir and recover
 * it (see above). max_bytes: the bound spool_full() compares with (0:
 * spool_default_max_bytes(dir)). Returns NULL with err set (naming the
 * file and offset for corruption) on failure.
 */
struct spool *spool_open(const char *dir, uint64_t max_bytes,
    struct spool_recovery *, char *err, size_t errlen);
/* Close without committing what is buffered; NULL is a no-op. */
void spool_close(struct spool *);
const char *spool_error(const struct spool *);

/* Tests and the bench: a smaller rotation target (>= 4096). */
void spool_set_segment_bytes(struct spool *, uint64_t);
/* Group commit thresholds for spool_commit_due (0 leaves one as is). */
void spool_set_commit(struct spool *, uint64_t records, uint64_t bytes,
    int64_t ms);

/*
 * Buffer one record: shard id, sequence number (digits, 1 to
 * SPOOL_SEQ_MAX), creation time, and the record object's bytes. Returns 1,
 * 0 if seq is not above the shard's last appended one (already spooled:
 * not stored, counted), or -1 with errno (EINVAL bad shard or seq, EFBIG
 * record over SPOOL_RECORD_MAX, EIO failed spool).
 */
int spool_append(struct spool *, const char *shard, const char *seq,
    size_t seqlen, int64_t created_ms, const char *json, size_t len);
/* A page of ddb_parse_records: each record's raw bytes, its seq (without
 * the quotes) and created. Returns how many were stored, or -1. */
long spool_append_records(struct spool *, const char *shard,
    const struct ddb_record *, size_t n);

/* Whether spool_commit is due (records, bytes or time since the first
 * record not committed; now_ms from mono_ms()). */
int spool_commit_due(const struct spool *, int64_t now_ms);
/*
 * Write what is buffered and fdatasync; then cb(shard, seq, arg) for each
 * shard whose durable position moved (seq NUL-terminated, valid during
 * the call). 0, or -1 (the spool is failed). Nothing buffered: 0 at once.
 */
typedef void (*spool_durable_fn)(const char *shard, const char *seq, void *arg);
int spool_commit(struct spool *, spool_durable_fn, void *arg);

/* The last sequence number appended / durable for a shard, or NULL. */
const char *spool_last_seq(const struct spool *, const char *shard);
const char *spool_durable_seq(const struct spool *, const char *shard);
/* Creation time (ms) of the shard's last appended record, 0 if none. */
int64_t spool_last_created_ms(const struct spool *, const char *shard);

/*
 * Up to max_recs records (max_bytes of frames; at least one record
 * whatever its size) that are durable, in file order, from where the last
 * call stopped, skipping released ones. Returns how many (0: none durable
 * now), or -1 (corruption found since open, or I/O: spool_error()).
 */
int spool_read(struct spool *, size_t max_recs, size_t max_bytes,
    struct spool_batch *);
/* The batch's records parsed in place (ddb_parse_record): recs[i] for
 * batch->recs[i], spans into the batch. 0, or -1 with *bad the index. */
int spool_batch_parse(const struct spool_batch *, struct ddb_record *,
    size_t *bad);
void spool_batch_free(struct spool_batch *);

/*
 * Everything of shard up to seq is applied and checkpointed. 0, or -1
 * (EINVAL: bad seq). Lower than an earlier release: no change.
 */
int spool_release(struct spool *, const char *shard, const char *seq);
/*
 * After a restart: every record of a shard for which known(shard, arg) is
 * 0 is released. The stream passes "is in the checkpoint": a shard leaves
 * the checkpoint only once it is done (applied), and enters it (saved)
 * before its first record is spooled.
 */
void spool_release_unknown(struct spool *,
    int (*known)(const char *shard, void *), void *arg);
/* Delete the oldest segments all of whose records are released (the last
 * one too when nothing is buffered for it: the next record starts a new
 * one). Returns how many, or -1. */
int spool_gc(struct spool *);

/*
 * Deleting segments is told to the checkpoint first, so that a segment
 * removed by hand is caught: spool_gc_first() is the number of the oldest
 * segment spool_gc() would keep (the next new one if it would delete them
 * all); the stream saves it in the checkpoint, then calls spool_gc().
 * After spool_open, spool_set_first(first) with the checkpoint's number
 * deletes the segments below it (applied: a crash came between the save
 * and the deletion), numbers a new segment at least first, and fails
 * (err says which are missing) when the oldest segment left is above it.
 * first 0: nothing is checked.
 */
uint64_t spool_gc_first(const struct spool *);
int spool_set_first(struct spool *, uint64_t first, char *err, size_t errlen);

/* Back-pressure: the spool holds max_bytes or more. */
int spool_full(const struct spool *);
void spool_stats(const struct spool *, struct spool_stats *);

/* Pure rules, unit-tested. */
/* Compare two sequence numbers (decimal digits, any length). */
int spool_seq_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* The default bound for free bytes of free space (see the defines). */
uint64_t spool_default_for_free(uint64_t free_bytes);
/* The same for the file system holding dir (statvfs); the floor if it
 * cannot be asked. */
uint64_t spool_default_max_bytes(const char *dir);
/*
 * How long reading may still pause before the oldest record the stream
 * alone holds ages out: retention - age - margin, 0 if already past.
 * age_ms: that record's age (when the spool is full, the age of the last
 * spooled record of the shard furthest behind; the oldest unapplied
 * record's age is a safe over-estimate).
 */
int64_t spool_wait_left_ms(int64_t age_ms, int64_t retention_ms,
    int64_t margin_ms);

#endif
