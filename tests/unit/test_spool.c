/* test_spool.c: the durable spool: framing, commit, recovery, release. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan.h"
#include "spool.h"

struct t {
	char *root;    /* temp dir */
	char dir[512]; /* root/spool */
};

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct t *t = calloc(1, sizeof(*t));

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (t == NULL ||
	    asprintf(&t->root, "%s/ddb-sync-spool.XXXXXX", tmp) == -1)
		return -1;
	if (mkdtemp(t->root) == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/spool", t->root);
	*state = t;
	return 0;
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
teardown(void **state)
{
	struct t *t = *state;

	(void)nftw(t->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(t->root);
	free(t);
	return 0;
}

/* A GetRecords record object for key k, sequence number seq. */
static size_t
rec_json(char *buf, size_t len, const char *k, unsigned long long seq)
{
	int n = snprintf(buf, len,
	    "{\"eventID\":\"e%llu\",\"eventName\":"
	    "\"MODIFY\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
	    "1700000000,\"Keys\":{\"pk\":{\"S\":\"%s\"}},\"NewImage\":{\"pk\":"
	    "{\"S\":\"%s\"},\"v\":{\"N\":\"%llu\"}},\"SequenceNumber\":"
	    "\"%llu\",\"SizeBytes\":20,\"StreamViewType\":"
	    "\"NEW_AND_OLD_IMAGES\"}}",
	    seq, k, k, seq, seq);

	assert_true(n > 0 && (size_t)n < len);
	return (size_t)n;
}

static int
append(struct spool *sp, const char *shard, unsigned long long seq)
{
	char json[512], s[32], k[32];
	size_t n;

	snprintf(s, sizeof(s), "%llu", seq);
	snprintf(k, sizeof(k), "k%llu", seq % 7);
	n = rec_json(json, sizeof(json), k, seq);
	return spool_append(sp, shard, s, strlen(s),
	    1700000000000LL + (long long)seq, json, n);
}

static struct spool *
sopen(struct t *t, uint64_t max, struct spool_recovery *rec)
{
	char err[512];
	struct spool *sp = spool_open(t->dir, max, rec, err, sizeof(err));

	if (sp == NULL)
		print_error("spool_open: %s\n", err);
	assert_non_null(sp);
	return sp;
}

struct seen {
	char shard[8][64];
	char seq[8][65];
	int n;
};

static void
durable_cb(const char *shard, const char *seq, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->shard[s->n], sizeof(s->shard[0]), "%s", shard);
	snprintf(s->seq[s->n], sizeof(s->seq[0]), "%s", seq);
	s->n++;
}

/* Read everything durable; the sequence numbers into seqs. */
static size_t
read_all(struct spool *sp, unsigned long long *seqs, size_t max,
    const char **shards)
{
	struct spool_batch b;
	size_t n = 0;
	int r;

	memset(&b, 0, sizeof(b));
	while ((r = spool_read(sp, 3, 700, &b)) > 0) {
		for (int i = 0; i < r; i++) {
			char s[70];

			assert_true(n < max);
			assert_true(b.recs[i].seqlen < sizeof(s));
			memcpy(s, b.recs[i].seq, b.recs[i].seqlen);
			s[b.recs[i].seqlen] = '\0';
			seqs[n] = strtoull(s, NULL, 10);
			if (shards != NULL)
				shards[n] = b.recs[i].shard;
			n++;
		}
	}
	assert_int_equal(r, 0);
	spool_batch_free(&b);
	return n;
}

static void
seg_path(struct t *t, unsigned no, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%016x.seg", t->dir, no);
}

static off_t
fsize(const char *p)
{
	struct stat st;

	if (stat(p, &st) == -1)
		return -1;
	return st.st_size;
}

static void
test_spool_round_trip(void **state)
{
	struct t *t = *state;
	struct spool *sp = sopen(t, 0, NULL);
	struct spool_batch b;
	struct ddb_record recs[4];
	char json[512];
	size_t n, bad;

	assert_int_equal(append(sp, "shardId-A", 100), 1);
	assert_int_equal(append(sp, "shardId-A", 101), 1);
	assert_int_equal(append(sp, "shardId-A", 1000), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(spool_read(sp, 10, 1 << 20, &b), 3);
	/* Byte for byte what was appended. */
	n = rec_json(json, sizeof(json), "k2", 100);
	assert_int_equal(b.recs[0].len, n);
	assert_memory_equal(b.recs[0].json, json, n);
	assert_string_equal(b.recs[0].shard, "shardId-A");
	assert_int_equal(b.recs[0].created_ms, 1700000000100LL);
	assert_int_equal(b.recs[2].seqlen, 4);
	assert_memory_equal(b.recs[2].seq, "1000", 4);
	/* Parsed in place: spans point into the batch, not into copies. */
	assert_int_equal(spool_batch_parse(&b, recs, &bad), 0);
	assert_int_equal(recs[1].event, DDB_EV_MODIFY);
	assert_ptr_equal(recs[1].raw.p, b.recs[1].json);
	assert_true(recs[1].keys.p > b.buf && recs[1].keys.p < b.buf + b.len);
	assert_int_equal(recs[2].seq.len, 6); /* "1000", quoted */
	assert_int_equal(spool_read(sp, 10, 1 << 20, &b), 0);
	spool_batch_free(&b);
	spool_close(sp);
}

static void
test_spool_interleaved_shards(void **state)
{
	struct t *t = *state;
	struct spool *sp = sopen(t, 0, NULL);
	unsigned long long seqs[64];
	const char *shards[64];
	size_t n;

	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(append(sp, "A", 100 + i), 1);
		if (i % 2 == 0)
			assert_int_equal(append(sp, "B", 50 + i), 1);
		if (i % 3 == 0)
			assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	n = read_all(sp, seqs, 64, shards);
	assert_int_equal(n, 15);
	/* File order is append order. */
	assert_int_equal(seqs[0], 100);
	assert_string_equal(shards[0], "A");
	assert_int_equal(seqs[1], 50);
	assert_string_equal(shards[1], "B");
	assert_int_equal(seqs[2], 101);
	assert_int_equal(seqs[14], 109);
	spool_close(sp);
}

static void
test_spool_commit_positions(void **state)
{
	struct t *t = *state;
	struct spool *sp = sopen(t, 0, NULL);
	struct spool_batch b;
	struct seen s;

	memset(&b, 0, sizeof(b));
	memset(&s, 0, sizeof(s));
	assert_int_equal(append(sp, "A", 7), 1);
	assert_int_equal(append(sp, "B", 3), 1);
	assert_int_equal(append(sp, "A", 9), 1);
	/* Appended, not durable: nothing to read, no position yet. */
	assert_string_equal(spool_last_seq(sp, "A"), "9");
	assert_null(spool_durable_seq(sp, "A"));
	assert_int_equal(spool_read(sp, 10, 1 << 20, &b), 0);
	assert_true(spool_commit_due(sp, INT64_MAX));
	assert_int_equal(spool_commit(sp, durable_cb, &s), 0);
	assert_false(spool_commit_due(sp, INT64_MAX));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.shard[0], "A");
	assert_string_equal(s.seq[0], "9");
	assert_string_equal(s.shard[1], "B");
	assert_string_equal(s.seq[1], "3");
	assert_string_equal(spool_durable_seq(sp, "A"), "9");
	/* Only shards that moved are reported. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(append(sp, "B", 4), 1);
	assert_int_equal(spool_commit(sp, durable_cb, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.shard[0], "B");
	assert_string_equal(s.seq[0], "4");
	/* Nothing buffered: a commit is free and reports nothing. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(spool_commit(sp, durable_cb, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(spool_read(sp, 10, 1 << 20, &b), 4);
	/* Group commit thresholds. */
	spool_set_commit(sp, 2, 0, 0);
	assert_int_equal(append(sp, "A", 10), 1);
	assert_false(spool_commit_due(sp, 0));
	assert_int_equal(append(sp, "A", 11), 1);
	assert_true(spool_commit_due(sp, 0));
	spool_batch_free(&b);
	spool_close(sp);
}

static void
test_spool_bad_input(void **state)
{
	struct t *t = *state;
	struct spool *sp = sopen(t, 0, NULL);
	struct spool_stats st;
	char *big;

	assert_int_equal(append(sp, "A", 5), 1);
	/* Appended again (a re-read): not stored. */
	assert_int_equal(append(sp, "A", 5), 0);
	assert_int_equal(append(sp, "A", 4), 0);
	assert_int_equal(spool_append(sp, "A", "6x", 2, 0, "{}", 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spool_append(sp, "", "6", 1, 0, "{}", 2), -1);
	assert_int_equal(spool_append(sp, "A B", "6", 1, 0, "{}", 2), -1);
	assert_int_equal(spool_append(sp, "A", "6", 1, 0, "[]", 2), -1);
	big = malloc(SPOOL_RECORD_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', SPOOL_RECORD_MAX + 1);
	big[0] = '{';
	assert_int_equal(spool_append(sp, "A", "6", 1, 0, big,
			     SPOOL_RECORD_MAX + 1),
	    -1);
	assert_int_equal(errno, EFBIG);
	free(big);
	spool_stats(sp, &st);
	assert_int_equal(st.appended, 1);
	assert_int_equal(st.duplicates, 2);
	spool_close(sp);
}

/* Two commits: 101..103, then 104 (preceded by a commit mark). */
static off_t
two_commits(struct t *t, char *path, size_t len)
{
	struct spool *sp = sopen(t, 0, NULL);
	off_t first;

	for (unsigned i = 101; i <= 103; i++)
		assert_int_equal(append(sp, "A", i), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	seg_path(t, 1, path, len);
	first = fsize(path);
	assert_int_equal(append(sp, "B", 104), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_close(sp);
	return first;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void
test_spool_torn_tail_every_offset(void **state)
{
	struct t *t = *state;
	struct spool_recovery rec;
	unsigned long long seqs[8];
	char path[600], *orig;
	size_t len;
	off_t first = two_commits(t, path, sizeof(path));

	orig = slurp(path, &len);
	/* Every cut from the end of the first commit to one byte short of
	 * the end: the commit mark and the last frame, torn anywhere. */
	for (size_t cut = (size_t)first; cut < len; cut++) {
		struct spool *sp;
		/* A whole commit mark stays (it vouches for what was
		 * durable before it); a torn one goes with the record. */
		size_t keep = cut >= (size_t)first + 20 ? (size_t)first + 20 :
							  (size_t)first;

		spit(path, orig, cut);
		sp = sopen(t, 0, &rec);
		assert_int_equal(rec.cut_bytes, cut - keep);
		if (cut > keep) {
			assert_int_equal(rec.cut_offset, keep);
			assert_string_equal(rec.cut_file,
			    "0000000000000001.seg");
		}
		assert_int_equal(fsize(path), keep);
		assert_int_equal(read_all(sp, seqs, 8, NULL), 3);
		assert_int_equal(seqs[2], 103);
		assert_null(spool_last_seq(sp, "B")); /* read again */
		assert_string_equal(spool_last_seq(sp, "A"), "103");
		spool_close(sp);
	}
	/* The recovered spool goes on: 104 appended again, read after. */
	{
		struct spool *sp = sopen(t, 0, &rec);

		assert_int_equal(rec.cut_bytes, 0);
		assert_int_equal(append(sp, "B", 104), 1);
		assert_int_equal(spool_commit(sp, NULL, NULL), 0);
		spool_close(sp);
		sp = sopen(t, 0, &rec);
		assert_int_equal(read_all(sp, seqs, 8, NULL), 4);
		assert_int_equal(seqs[3], 104);
		spool_close(sp);
	}
	free(orig);
}

static void
test_spool_bad_crc_tail(void **state)
{
	struct t *t = *state;
	struct spool_recovery rec;
	unsigned long long seqs[8];
	char path[600], *orig;
	size_t len;
	off_t first = two_commits(t, path, sizeof(path));
	struct spool *sp;

	orig = slurp(path, &len);
	orig[len - 5] ^= 0x20; /* inside the last record's JSON */
	spit(path, orig, len);
	sp = sopen(t, 0, &rec);
	assert_string_equal(rec.cut_why, "bad CRC");
	/* The commit mark before it is valid and kept. */
	assert_int_equal(rec.cut_offset, first + 20);
	assert_int_equal(rec.cut_bytes, len - (size_t)first - 20);
	assert_int_equal(read_all(sp, seqs, 8, NULL), 3);
	spool_close(sp);
	free(orig);
}

static void
test_spool_corrupt_middle(void **state)
{
	struct t *t = *state;
	char path[600], err[512], *orig;
	struct spool *sp;
	size_t len;

	sp = sopen(t, 0, NULL);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(append(sp, "A", i), 1);
		assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	spool_close(sp);
	seg_path(t, 1, path, sizeof(path));
	orig = slurp(path, &len);
	/* The first record (committed: later commit marks vouch for it). */
	orig[32 + 40] ^= 0x01;
	spit(path, orig, len);
	assert_null(spool_open(t->dir, 0, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "0000000000000001.seg"));
	assert_non_null(strstr(err, "offset 32 "));
	assert_non_null(strstr(err, "bad CRC"));
	/* Nothing was cut. */
	assert_int_equal(fsize(path), (off_t)len);
	/* A length field gone wrong: the same. */
	orig[32 + 40] ^= 0x01;
	orig[33] ^= 0x40;
	spit(path, orig, len);
	assert_null(spool_open(t->dir, 0, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "offset 32 "));
	free(orig);
}

static void
test_spool_corrupt_older_segment(void **state)
{
	struct t *t = *state;
	char path[600], err[512], *orig;
	struct spool *sp;
	size_t len;

	sp = sopen(t, 0, NULL);
	spool_set_segment_bytes(sp, 4096);
	for (unsigned i = 1; i <= 40; i++) {
		assert_int_equal(append(sp, "A", i), 1);
		assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	spool_close(sp);
	seg_path(t, 2, path, sizeof(path));
	assert_true(fsize(path) > 0);
	/* The tail of a segment that is not the last is committed. */
	seg_path(t, 1, path, sizeof(path));
	orig = slurp(path, &len);
	orig[len - 3] ^= 0x01;
	spit(path, orig, len);
	assert_null(spool_open(t->dir, 0, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "0000000000000001.seg"));
	assert_non_null(strstr(err, "not at the tail"));
	/* A hole in the numbering is refused too. */
	orig[len - 3] ^= 0x01;
	spit(path, orig, len);
	free(orig);
	seg_path(t, 3, path, sizeof(path));
	assert_true(fsize(path) > 0);
	seg_path(t, 2, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_null(spool_open(t->dir, 0, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "0000000000000002 is missing"));
}

static void
test_spool_torn_new_segment(void **state)
{
	struct t *t = *state;
	struct spool_recovery rec;
	unsigned long long seqs[64];
	char path[600];
	struct spool *sp;
	int fd;

	sp = sopen(t, 0, NULL);
	for (unsigned i = 1; i <= 3; i++)
		assert_int_equal(append(sp, "A", i), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_close(sp);
	/* A second segment whose first commit tore inside its header. */
	seg_path(t, 2, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "DDBSPO", 6), 6);
	close(fd);
	sp = sopen(t, 0, &rec);
	assert_int_equal(rec.removed_empty, 1);
	assert_int_equal(rec.cut_bytes, 6);
	assert_int_equal(fsize(path), -1);
	assert_int_equal(read_all(sp, seqs, 64, NULL), 3);
	spool_close(sp);
}

static void
test_spool_release_gc(void **state)
{
	struct t *t = *state;
	unsigned long long seqs[400];
	struct spool_stats st;
	char path[600];
	struct spool *sp;
	unsigned segs, i;
	size_t n;

	sp = sopen(t, 0, NULL);
	spool_set_segment_bytes(sp, 4096);
	/* A in every segment; B only in the first few. */
	for (i = 1; i <= 100; i++) {
		assert_int_equal(append(sp, "A", 1000 + i), 1);
		if (i <= 20)
			assert_int_equal(append(sp, "B", i), 1);
		if (i % 5 == 0)
			assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	spool_stats(sp, &st);
	segs = st.segments;
	assert_true(segs >= 4);
	/* Nothing released: nothing deleted. */
	assert_int_equal(spool_gc(sp), 0);
	/* A released entirely, B not at all: the first segments hold B. */
	assert_int_equal(spool_release(sp, "A", "1100"), 0);
	assert_int_equal(spool_gc(sp), 0);
	seg_path(t, 1, path, sizeof(path));
	assert_true(fsize(path) > 0);
	/* B released: every segment goes, the last too (nothing is
	 * buffered for it). */
	assert_int_equal(spool_release(sp, "B", "20"), 0);
	/* A lower release changes nothing. */
	assert_int_equal(spool_release(sp, "B", "3"), 0);
	assert_int_equal(spool_gc(sp), (int)segs);
	assert_int_equal(fsize(path), -1);
	seg_path(t, segs, path, sizeof(path));
	assert_int_equal(fsize(path), -1);
	spool_stats(sp, &st);
	assert_int_equal(st.segments, 0);
	assert_int_equal(st.deleted, segs);
	assert_int_equal(st.bytes, 0);
	/* Released records are not handed out. */
	assert_int_equal(read_all(sp, seqs, 400, NULL), 0);
	/* The next record starts the next segment, never an old name. */
	assert_int_equal(append(sp, "A", 1101), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	seg_path(t, segs + 1, path, sizeof(path));
	assert_true(fsize(path) > 0);
	/* Buffered, not committed: the last segment stays. */
	assert_int_equal(spool_release(sp, "A", "1101"), 0);
	assert_int_equal(append(sp, "A", 1102), 1);
	assert_int_equal(spool_gc(sp), 0);
	assert_true(fsize(path) > 0);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	assert_int_equal(spool_release(sp, "A", "1102"), 0);
	assert_int_equal(spool_gc(sp), 1);
	spool_close(sp);

	/* Partly released, after a restart: only whole segments go, and
	 * the reader skips what is released. */
	sp = sopen(t, 0, NULL);
	for (i = 1; i <= 100; i++)
		assert_int_equal(append(sp, "C", i), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_set_segment_bytes(sp, 4096); /* the first is over it now */
	assert_int_equal(append(sp, "C", 101), 1); /* a new segment */
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.segments, 2);
	spool_close(sp);
	sp = sopen(t, 0, NULL);
	assert_int_equal(spool_release(sp, "A", "1100"), 0);
	assert_int_equal(spool_release(sp, "B", "20"), 0);
	assert_int_equal(spool_release(sp, "C", "50"), 0);
	/* Nothing can go: C 51..100 are not released. */
	assert_int_equal(spool_gc(sp), 0);
	n = read_all(sp, seqs, 400, NULL);
	assert_int_equal(n, 51);
	assert_int_equal(seqs[0], 51);
	assert_int_equal(seqs[50], 101);
	spool_stats(sp, &st);
	assert_true(st.skipped >= 50);
	assert_int_equal(spool_release(sp, "C", "100"), 0);
	assert_int_equal(spool_gc(sp), 1);
	spool_stats(sp, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(spool_release(sp, "C", "x"), -1);
	spool_close(sp);
}

/* The checkpoint's oldest needed segment: what spool_gc would keep,
 * the deletions a crash interrupted, and segments removed by hand. */
static void
test_spool_first_segment(void **state)
{
	struct t *t = *state;
	char path[600], err[512];
	struct spool *sp;
	unsigned i;

	sp = sopen(t, 0, NULL);
	assert_int_equal(spool_gc_first(sp), 1); /* nothing yet */
	spool_set_segment_bytes(sp, 4096);
	for (i = 1; i <= 200; i++) {
		assert_int_equal(append(sp, "A", i), 1);
		if (i % 10 == 0)
			assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	assert_true(spool_gc_first(sp) == 1);
	/* A part released: the segments wholly below go. */
	assert_int_equal(spool_release(sp, "A", "100"), 0);
	assert_true(spool_gc_first(sp) > 1);
	spool_close(sp);

	/* A crash between the checkpoint's save (first 3) and the deletion:
	 * segments 1 and 2 go at open, the next ones stay. */
	sp = sopen(t, 0, NULL);
	assert_int_equal(spool_set_first(sp, 3, err, sizeof(err)), 0);
	seg_path(t, 1, path, sizeof(path));
	assert_int_equal(fsize(path), -1);
	seg_path(t, 3, path, sizeof(path));
	assert_true(fsize(path) > 0);
	spool_close(sp);

	/* Segment 3 removed by hand: refused, naming it. */
	assert_int_equal(unlink(path), 0);
	sp = sopen(t, 0, NULL);
	assert_int_equal(spool_set_first(sp, 3, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0000000000000003.seg to "));
	assert_non_null(strstr(err, "are missing"));
	/* Without the checkpoint's number nothing is checked. */
	assert_int_equal(spool_set_first(sp, 0, err, sizeof(err)), 0);
	spool_close(sp);

	/* Everything applied and deleted, then a restart: new segments
	 * are numbered from the checkpoint's, never below. */
	(void)nftw(t->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	sp = sopen(t, 0, NULL);
	assert_int_equal(spool_set_first(sp, 57, err, sizeof(err)), 0);
	assert_int_equal(spool_gc_first(sp), 57);
	assert_int_equal(append(sp, "B", 1), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	seg_path(t, 57, path, sizeof(path));
	assert_true(fsize(path) > 0);
	assert_int_equal(spool_gc_first(sp), 57);
	assert_int_equal(spool_release(sp, "B", "1"), 0);
	assert_int_equal(spool_gc_first(sp), 58);
	assert_int_equal(spool_gc(sp), 1);
	assert_int_equal(spool_gc_first(sp), 58);
	spool_close(sp);
}

static void
test_spool_size_full(void **state)
{
	struct t *t = *state;
	struct spool_stats st;
	char path[600];
	struct spool *sp;
	uint64_t files = 0;
	unsigned i;

	sp = sopen(t, 64 * 1024, NULL);
	spool_set_segment_bytes(sp, 8192);
	assert_false(spool_full(sp));
	for (i = 1; !spool_full(sp); i++) {
		assert_true(i < 10000);
		assert_int_equal(append(sp, "A", i), 1);
		if (i % 10 == 0)
			assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.max_bytes, 64 * 1024);
	assert_true(st.bytes >= 64 * 1024);
	assert_int_equal(st.oldest_ms, 1700000000001LL);
	/* The count is the files' sizes. */
	for (unsigned no = 1; no <= st.segments; no++) {
		seg_path(t, no, path, sizeof(path));
		assert_true(fsize(path) > 0);
		files += (uint64_t)fsize(path);
	}
	assert_int_equal(st.bytes, files);
	/* Applying frees room: back-pressure ends. */
	assert_int_equal(spool_release(sp, "A", "200"), 0);
	assert_true(spool_gc(sp) > 0);
	assert_false(spool_full(sp));
	spool_stats(sp, &st);
	assert_true(st.oldest_ms > 1700000000001LL);
	spool_close(sp);
}

static void
test_spool_permissions(void **state)
{
	struct t *t = *state;
	char path[600], err[512];
	struct spool *sp;
	struct stat st;
	mode_t old = umask(0);

	sp = sopen(t, 0, NULL);
	assert_int_equal(append(sp, "A", 1), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_close(sp);
	umask(old);
	assert_int_equal(stat(t->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	seg_path(t, 1, path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A segment that is a symbolic link is not followed. */
	{
		char moved[620];

		snprintf(moved, sizeof(moved), "%s/../elsewhere", t->dir);
		assert_int_equal(rename(path, moved), 0);
		assert_int_equal(symlink(moved, path), 0);
		assert_null(spool_open(t->dir, 0, NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "0000000000000001.seg"));
		unlink(path);
		unlink(moved);
	}
	/* A spool directory writable by others is refused. */
	assert_int_equal(chmod(t->dir, 0777), 0);
	assert_null(spool_open(t->dir, 0, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "chmod 700"));
	assert_int_equal(chmod(t->dir, 0700), 0);
}

static void
test_spool_restart_continues(void **state)
{
	struct t *t = *state;
	unsigned long long seqs[64];
	struct spool_recovery rec;
	struct spool *sp;
	char path[600];
	off_t before;

	sp = sopen(t, 0, NULL);
	assert_int_equal(append(sp, "A", 1), 1);
	assert_int_equal(append(sp, "B", 1), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	/* Buffered, never committed: gone with the process. */
	assert_int_equal(append(sp, "A", 2), 1);
	spool_close(sp);
	seg_path(t, 1, path, sizeof(path));
	before = fsize(path);

	sp = sopen(t, 0, &rec);
	assert_int_equal(rec.records, 2);
	assert_int_equal(rec.segments, 1);
	assert_int_equal(rec.cut_bytes, 0);
	assert_string_equal(spool_last_seq(sp, "A"), "1");
	assert_string_equal(spool_durable_seq(sp, "B"), "1");
	assert_int_equal(spool_last_created_ms(sp, "A"), 1700000000001LL);
	assert_int_equal(append(sp, "B", 1), 0); /* a re-read */
	assert_int_equal(append(sp, "A", 2), 1);
	assert_int_equal(append(sp, "B", 2), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	/* Appended to the same segment. */
	assert_true(fsize(path) > before);
	spool_close(sp);
	sp = sopen(t, 0, &rec);
	assert_int_equal(rec.records, 4);
	assert_int_equal(read_all(sp, seqs, 64, NULL), 4);
	assert_int_equal(seqs[2], 2);
	spool_close(sp);
}

static void
test_spool_big_record_batch(void **state)
{
	struct t *t = *state;
	struct spool_batch b;
	struct spool *sp = sopen(t, 0, NULL);
	char *json;
	size_t n = 300000;

	json = malloc(n);
	assert_non_null(json);
	memset(json, ' ', n);
	json[0] = '{';
	json[n - 1] = '}';
	assert_int_equal(append(sp, "A", 1), 1);
	assert_int_equal(spool_append(sp, "A", "2", 1, 0, json, n), 1);
	assert_int_equal(append(sp, "A", 3), 1);
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	memset(&b, 0, sizeof(b));
	/* A byte budget smaller than a record still yields that record. */
	assert_int_equal(spool_read(sp, 10, 100, &b), 1);
	assert_int_equal(spool_read(sp, 10, 100, &b), 1);
	assert_int_equal(b.recs[0].len, n);
	assert_memory_equal(b.recs[0].json, json, n);
	assert_int_equal(spool_read(sp, 10, 1 << 20, &b), 1);
	assert_memory_equal(b.recs[0].seq, "3", 1);
	spool_batch_free(&b);
	spool_close(sp);
	free(json);
}

static void
test_spool_pure(void **state)
{
	assert_int_equal(spool_seq_cmp("9", 1, "10", 2), -1);
	assert_int_equal(spool_seq_cmp("0010", 4, "10", 2), 0);
	assert_int_equal(spool_seq_cmp("49039859", 8, "49039858", 8), 1);
	assert_int_equal(spool_seq_cmp("0", 1, "000", 3), 0);
	/* 25 % of free, floor 1 GiB (at most half), ceiling 256 GiB. */
	assert_int_equal(spool_default_for_free(100ULL << 30), 25ULL << 30);
	assert_int_equal(spool_default_for_free(3ULL << 30), 1ULL << 30);
	assert_int_equal(spool_default_for_free(1ULL << 30), 512ULL << 20);
	assert_int_equal(spool_default_for_free(10ULL << 40), 256ULL << 30);
	assert_int_equal(spool_default_for_free(0), SPOOL_MAX_BYTES_MIN);
	assert_true(spool_default_max_bytes("/") >= SPOOL_MAX_BYTES_MIN);
	/* 24 h retention, 5 min margin. */
	assert_int_equal(spool_wait_left_ms(20LL * 3600000, 24LL * 3600000,
			     300000),
	    4LL * 3600000 - 300000);
	assert_int_equal(spool_wait_left_ms(24LL * 3600000, 24LL * 3600000,
			     300000),
	    0);
	assert_int_equal(spool_wait_left_ms(-5, 1000, 0), 1000);
}

/* The settings: flags, YAML keys, the worker's argv (plan.c's table). */
static void
test_spool_plan_settings(void **state)
{
	static const char yml[] =
	    "plan:\n  - input: {table: a, region: "
	    "us-east-1}\n    spool: false\n    spool_max_bytes: 512M\n"
	    "  - input: {table: b, region: us-east-1}\n";
	static const char bad[] = "plan:\n  - input: {table: a, region: "
				  "us-east-1}\n    spool_max_bytes: 20 GB\n";
	struct plan_errors e;
	struct plan_pair p;
	struct plan *pl;
	char err[256], **argv;
	size_t argc, i;
	int seen = 0;

	plan_pair_init(&p);
	assert_int_equal(p.spool, 1);
	assert_int_equal(p.spool_max_bytes, 0);
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "20G", err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.spool_max_bytes, 20ULL << 30);
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "3MiB", err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.spool_max_bytes, 3ULL << 20);
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "65536", err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.spool_max_bytes, 65536);
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "1K", err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "2000T", err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes",
			     "99999999999999999999999", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "20GB", err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "is not a size"));
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", "-1", err,
			     sizeof(err)),
	    -1);
	assert_int_equal(plan_pair_set_flag(&p, "spool-max-bytes", NULL, err,
			     sizeof(err)),
	    -1);
	assert_int_equal(p.spool_max_bytes, 65536); /* unchanged */
	assert_int_equal(plan_pair_set_flag(&p, "no-spool", NULL, err,
			     sizeof(err)),
	    1);
	assert_int_equal(p.spool, 0);
	assert_int_equal(plan_pair_flag_needs_value("spool"), 0);
	assert_int_equal(plan_pair_flag_needs_value("spool-max-bytes"), 1);
	argv = plan_pair_to_argv(&p, &argc);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--spool=false") == 0)
			seen |= 1;
		if (strcmp(argv[i], "--spool-max-bytes=65536") == 0)
			seen |= 2;
	}
	assert_int_equal(seen, 3);
	plan_argv_free(argv);
	plan_pair_clear(&p);

	plan_errors_init(&e);
	pl = plan_load_buffer("t.yml", yml, sizeof(yml) - 1, &e);
	assert_non_null(pl);
	assert_int_equal(pl->pairs[0].spool, 0);
	assert_int_equal(pl->pairs[0].spool_max_bytes, 512ULL << 20);
	assert_int_equal(pl->pairs[1].spool, 1);
	assert_int_equal(pl->pairs[1].spool_max_bytes, 0);
	plan_free(pl);
	assert_null(plan_load_buffer("t.yml", bad, sizeof(bad) - 1, &e));
	assert_true(e.n > 0);
	assert_non_null(strstr(e.msgs[0], "spool_max_bytes"));
	assert_non_null(strstr(e.msgs[0], "is not a size"));
	plan_errors_clear(&e);
}

/*
 * Property: whatever is done to the last segment (a truncation, a flipped
 * bit), opening never crashes, and whatever is read back is a prefix of
 * what was appended, byte for byte; damage is either cut or refused.
 */
static void
test_spool_property_damage(void **state)
{
	struct t *t = *state;
	char path[600], err[512], *orig, *mut;
	unsigned long long seqs[64];
	struct spool *sp;
	size_t len;
	unsigned seed = 12345, cut = 0, refused = 0;

	sp = sopen(t, 0, NULL);
	for (unsigned i = 1; i <= 30; i++) {
		assert_int_equal(append(sp, i % 2 ? "A" : "B", i), 1);
		if (i % 4 == 0)
			assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	}
	assert_int_equal(spool_commit(sp, NULL, NULL), 0);
	spool_close(sp);
	seg_path(t, 1, path, sizeof(path));
	orig = slurp(path, &len);
	mut = malloc(len);
	assert_non_null(mut);
	for (int it = 0; it < 400; it++) {
		size_t mlen = len, n;
		struct spool_recovery rec;

		memcpy(mut, orig, len);
		seed = seed * 1103515245u + 12345u;
		if (it % 2 == 0)
			mlen = (seed >> 8) % len;
		else
			mut[(seed >> 8) % len] ^= (char)(1u
			    << ((seed >> 4) & 7));
		spit(path, mut, mlen);
		sp = spool_open(t->dir, 0, &rec, err, sizeof(err));
		if (sp == NULL) {
			refused++;
			continue;
		}
		if (rec.cut_bytes > 0)
			cut++;
		n = read_all(sp, seqs, 64, NULL);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(seqs[i], i + 1);
		spool_close(sp);
	}
	/* Both outcomes happened. */
	assert_true(cut > 0);
	assert_true(refused > 0);
	free(orig);
	free(mut);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spool_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_interleaved_shards,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_commit_positions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_bad_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_spool_torn_tail_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_bad_crc_tail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_corrupt_middle,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_spool_corrupt_older_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_torn_new_segment,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_first_segment, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_release_gc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_size_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_permissions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_restart_continues,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_big_record_batch,
		    setup, teardown),
		cmocka_unit_test(test_spool_pure),
		cmocka_unit_test(test_spool_plan_settings),
		cmocka_unit_test_setup_teardown(test_spool_property_damage,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
