/* test_lineage.c: shard lineage over synthetic shard trees, stream parsing
 * and the per-key collapse of a page of records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "checkpoint.h"
#include "ddb.h"
#include "lineage.h"
#include "xmalloc.h"

static int
ready(struct checkpoint *ck, const char *id)
{
	struct ckpt_shard *s = checkpoint_shard(ck, id);

	assert_non_null(s);
	return lineage_ready(ck, s);
}

static void
set_done(struct checkpoint *ck, const char *id)
{
	struct ckpt_shard *s = checkpoint_shard(ck, id);

	assert_non_null(s);
	s->done = 1;
}

/* A root that split in two, one child splitting again. */
static void
test_lineage_split_tree(void **state)
{
	struct lineage_shard l[] = {
		{ "shardId-root", NULL, NULL, 0 },
		{ "shardId-a", "shardId-root", NULL, 0 },
		{ "shardId-b", "shardId-root", NULL, 0 },
		{ "shardId-a1", "shardId-a", NULL, 0 },
		{ "shardId-a2", "shardId-a", NULL, 0 },
	};
	struct checkpoint ck;
	size_t added, pruned;
	const char *lost;

	checkpoint_init(&ck);
	assert_int_equal(lineage_merge(&ck, l, 5, &added, &pruned, &lost), 0);
	assert_int_equal(added, 5);
	assert_null(lost);
	assert_true(ready(&ck, "shardId-root"));
	assert_false(ready(&ck, "shardId-a"));
	assert_false(ready(&ck, "shardId-b"));
	assert_false(ready(&ck, "shardId-a1"));
	set_done(&ck, "shardId-root");
	/* Siblings are independent: both may be read in parallel. */
	assert_true(ready(&ck, "shardId-a"));
	assert_true(ready(&ck, "shardId-b"));
	assert_false(ready(&ck, "shardId-a1"));
	assert_false(ready(&ck, "shardId-root")); /* done */
	set_done(&ck, "shardId-a");
	assert_true(ready(&ck, "shardId-a1"));
	assert_true(ready(&ck, "shardId-a2"));
	checkpoint_clear(&ck);
}

/* With the spool a child is read once its parent is read to its end,
 * before the parent is applied; nothing read to its end is read again. */
static void
test_lineage_ready_read(void **state)
{
	struct lineage_shard l[] = {
		{ "shardId-root", NULL, NULL, 0 },
		{ "shardId-a", "shardId-root", NULL, 0 },
		{ "shardId-a1", "shardId-a", NULL, 0 },
		{ "shardId-x", "shardId-gone", NULL, 0 },
	};
	struct checkpoint ck;
	size_t added, pruned;
	const char *lost;

	checkpoint_init(&ck);
	assert_int_equal(lineage_merge(&ck, l, 4, &added, &pruned, &lost), 0);
	assert_true(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-root")));
	assert_false(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-a")));
	/* A parent that aged out long ago: readable. */
	assert_true(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-x")));
	checkpoint_shard(&ck, "shardId-root")->read_all = 1;
	assert_false(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-root")));
	assert_true(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-a")));
	/* Not for applying directly: the parent is not applied yet. */
	assert_false(ready(&ck, "shardId-a"));
	assert_false(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-a1")));
	set_done(&ck, "shardId-a");
	assert_true(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-a1")));
	assert_false(
	    lineage_ready_read(&ck, checkpoint_shard(&ck, "shardId-a")));
	checkpoint_clear(&ck);
}

/* A child whose parent aged out of the stream long ago is readable. */
static void
test_lineage_unknown_parent(void **state)
{
	struct lineage_shard l[] = { { "shardId-c", "shardId-gone", NULL, 0 } };
	struct checkpoint ck;
	size_t added, pruned;
	const char *lost;

	checkpoint_init(&ck);
	assert_int_equal(lineage_merge(&ck, l, 1, &added, &pruned, &lost), 0);
	assert_true(ready(&ck, "shardId-c"));
	checkpoint_clear(&ck);
}

/* Closed, applied parents that leave the listing are dropped; a shard that
 * leaves it unapplied is a loss. */
static void
test_lineage_prune_and_lost(void **state)
{
	struct lineage_shard first[] = {
		{ "shardId-p", NULL, NULL, 0 },
		{ "shardId-q", NULL, NULL, 0 },
		{ "shardId-p1", "shardId-p", NULL, 0 },
	};
	struct lineage_shard later[] = {
		{ "shardId-q", NULL, NULL, 0 },
		{ "shardId-p1", "shardId-p", NULL, 0 },
		{ "shardId-p2", "shardId-p1", NULL, 0 },
	};
	struct lineage_shard worse[] = {
		{ "shardId-p2", "shardId-p1", NULL, 0 },
	};
	struct checkpoint ck;
	size_t added, pruned;
	const char *lost;
	unsigned done, total;

	checkpoint_init(&ck);
	assert_int_equal(lineage_merge(&ck, first, 3, &added, &pruned, &lost),
	    0);
	set_done(&ck, "shardId-p");
	assert_int_equal(lineage_merge(&ck, later, 3, &added, &pruned, &lost),
	    0);
	assert_null(lost);
	assert_int_equal(added, 1);
	assert_int_equal(pruned, 1);
	assert_null(checkpoint_shard(&ck, "shardId-p"));
	/* Its child stays readable once the parent is forgotten. */
	assert_true(ready(&ck, "shardId-p1"));
	lineage_counts(&ck, &done, &total);
	assert_int_equal(done, 0);
	assert_int_equal(total, 3);
	/* q and p1 vanish unapplied: records were lost. */
	assert_int_equal(lineage_merge(&ck, worse, 1, &added, &pruned, &lost),
	    0);
	assert_non_null(lost);
	assert_true(
	    strcmp(lost, "shardId-q") == 0 || strcmp(lost, "shardId-p1") == 0);
	checkpoint_clear(&ck);
}

static void
test_lineage_many_shards(void **state)
{
	struct lineage_shard *l = xcalloc(600, sizeof(*l));
	char(*ids)[32] = xcalloc(600, 32);
	struct checkpoint ck;
	size_t added, pruned, n;
	const char *lost;
	unsigned done, total;

	/* 100 roots, each the head of a chain of 6 generations. */
	for (size_t i = 0; i < 600; i++) {
		snprintf(ids[i], 32, "shardId-%03zu-%zu", i % 100, i / 100);
		l[i].id = ids[i];
		l[i].parent = i >= 100 ? ids[i - 100] : NULL;
	}
	checkpoint_init(&ck);
	assert_int_equal(lineage_merge(&ck, l, 600, &added, &pruned, &lost), 0);
	assert_int_equal(added, 600);
	for (int gen = 0; gen < 6; gen++) {
		char rd[600];

		n = 0;
		for (size_t i = 0; i < 600; i++)
			if ((rd[i] = (char)lineage_ready(&ck, &ck.shards[i])))
				n++;
		/* Exactly one generation is readable at a time. */
		assert_int_equal(n, 100);
		for (size_t i = 0; i < 600; i++)
			if (rd[i])
				ck.shards[i].done = 1;
	}
	lineage_counts(&ck, &done, &total);
	assert_int_equal(done, 600);
	assert_int_equal(total, 600);
	/* A listing with a duplicate is refused. */
	l[1].id = l[0].id;
	assert_int_equal(lineage_merge(&ck, l, 2, &added, &pruned, &lost), -1);
	checkpoint_clear(&ck);
	free(ids);
	free(l);
}

/* DescribeStream pages: the listing is the union, the cursor is returned. */
static void
test_lineage_describe_pages(void **state)
{
	const char *p1 =
	    "{\"StreamDescription\":{\"StreamArn\":\"arn:x\","
	    "\"StreamStatus\":\"ENABLED\",\"Shards\":[{\"ShardId\":"
	    "\"shardId-1\",\"SequenceNumberRange\":{\"StartingSequenceNumber\":"
	    "\"100\",\"EndingSequenceNumber\":\"200\"}},{\"ShardId\":"
	    "\"shardId-2\",\"ParentShardId\":\"shardId-1\","
	    "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"300\"}}],"
	    "\"LastEvaluatedShardId\":\"shardId-2\"}}";
	const char *p2 = "{\"StreamDescription\":{\"Shards\":[{\"ShardId\":"
			 "\"shardId-3\",\"ParentShardId\":\"shardId-1\"}]}}";
	struct ddb_shard_page pg;
	char id[64];

	memset(&pg, 0, sizeof(pg));
	assert_int_equal(ddb_parse_describe_stream(p1, strlen(p1), &pg), 0);
	assert_int_equal(pg.n, 2);
	assert_string_equal(pg.status, "ENABLED");
	assert_true(pg.last_shard_id.len > 0);
	assert_int_equal(jscan_string(&pg.last_shard_id, id, sizeof(id)), 9);
	assert_string_equal(id, "shardId-2");
	assert_int_equal(pg.shards[0].parent.len, 0);
	assert_true(pg.shards[0].end_seq.len > 0);
	assert_int_equal(pg.shards[1].end_seq.len, 0); /* open */
	assert_int_equal(ddb_parse_describe_stream(p2, strlen(p2), &pg), 0);
	assert_int_equal(pg.n, 1);
	assert_int_equal(pg.last_shard_id.len, 0); /* last page */
	assert_int_equal(ddb_parse_describe_stream("{}", 2, &pg), -1);
	assert_int_equal(
	    ddb_parse_describe_stream("{\"StreamDescription\":"
				      "{\"Shards\":[{\"NoId\":1}]}}",
		46, &pg),
	    -1);
	ddb_shard_page_free(&pg);
}

static const char records[] =
    "{\"Records\":["
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
    "1700000000,\"Keys\":{\"pk\":{\"S\":\"a\"}},\"NewImage\":{\"pk\":{\"S\":"
    "\"a\"},\"v\":{\"N\":\"1\"}},\"SequenceNumber\":\"100\"}},"
    "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
    "1700000001,\"Keys\":{\"pk\":{\"S\":\"a\"}},\"NewImage\":{\"pk\":{\"S\":"
    "\"a\"},\"v\":{\"N\":\"2\"}},\"OldImage\":{},\"SequenceNumber\":"
    "\"101\"}},"
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\"b\"}},"
    "\"NewImage\":{\"pk\":{\"S\":\"b\"}},\"SequenceNumber\":\"102\"}},"
    "{\"eventName\":\"REMOVE\",\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\"b\"}},"
    "\"OldImage\":{\"pk\":{\"S\":\"b\"}},\"SequenceNumber\":\"103\"}},"
    "{\"eventName\":\"REMOVE\",\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\"c\"}},"
    "\"SequenceNumber\":\"104\"}},"
    "{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\"c\"}},"
    "\"NewImage\":{\"pk\":{\"S\":\"c\"},\"w\":{\"S\":\"x\"}},"
    "\"SequenceNumber\":\"105\"}}"
    "],\"NextShardIterator\":\"arn:x|1|AAAA\"}";

static void
test_lineage_records_and_collapse(void **state)
{
	struct ddb_records rs;
	struct ddb_op ops[6];
	long n;

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(ddb_parse_records(records, strlen(records), &rs), 0);
	assert_int_equal(rs.n, 6);
	assert_int_equal(rs.recs[3].event, DDB_EV_REMOVE);
	assert_true(rs.recs[1].created == 1700000001.0);
	assert_true(rs.next_iter.len > 0);
	/* Last change per key, in order: a=put v2, b=delete, c=put. */
	n = ddb_collapse(rs.recs, 0, rs.n, "pk", "", ops);
	assert_int_equal(n, 3);
	assert_false(ops[0].del);
	assert_non_null(strstr(ops[0].span.p, "\"v\":{\"N\":\"2\"}"));
	assert_true(ops[1].del);
	assert_int_equal(strncmp(ops[1].span.p, "{\"pk\":{\"S\":\"b\"}}",
			     ops[1].span.len),
	    0);
	assert_false(ops[2].del);
	assert_int_equal(strncmp(ops[2].span.p, "{\"pk\":{\"S\":\"c\"},\"w\"",
			     19),
	    0);
	/* From the middle: records before the handoff are not applied. */
	n = ddb_collapse(rs.recs, 4, rs.n, "pk", NULL, ops);
	assert_int_equal(n, 1);
	/* A record without the key attribute is an error, not a skip. */
	assert_int_equal(ddb_collapse(rs.recs, 0, rs.n, "id", NULL, ops), -1);
	ddb_records_free(&rs);
}

static void
test_lineage_records_reject(void **state)
{
	const char *bad[] = {
		"{\"Records\":[{\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":"
		"{\"pk\":{\"S\":\"a\"}},\"SequenceNumber\":\"1\"}}]}",
		"{\"Records\":[{\"eventName\":\"UPSERT\",\"dynamodb\":{\"Keys\":"
		"{},\"SequenceNumber\":\"1\"}}]}",
		"{\"Records\":[{\"eventName\":\"REMOVE\",\"dynamodb\":{\"Keys\":"
		"{}}}]}",
		"{\"NextShardIterator\":\"x\"}",
	};
	struct ddb_records rs;

	memset(&rs, 0, sizeof(rs));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ddb_parse_records(bad[i], strlen(bad[i]), &rs) != -1)
			fail_msg("accepted record set %zu", i);
	/* No NextShardIterator (or null): the shard is finished. */
	{
		const char *fin = "{\"Records\":[],\"NextShardIterator\":null}";

		assert_int_equal(ddb_parse_records(fin, strlen(fin), &rs), 0);
	}
	assert_int_equal(rs.next_iter.len, 0);
	for (size_t n = 0; n < strlen(records); n++)
		if (ddb_parse_records(records, n, &rs) != -1)
			fail_msg("accepted records truncated at %zu", n);
	ddb_records_free(&rs);
}

/* The fault proxy's "badjson": a body cut anywhere and closed by "}}]". */
static int
accepts_cut(const char *body, int (*parse)(const char *, size_t))
{
	char buf[4096];
	size_t len = strlen(body);

	assert_true(len + 4 <= sizeof(buf));
	for (size_t n = 0; n < len; n++) {
		memcpy(buf, body, n);
		memcpy(buf + n, "}}]", 3);
		if (parse(buf, n + 3) == 0)
			return (int)n;
	}
	return -1;
}

static int
parse_records_len(const char *b, size_t len)
{
	struct ddb_records rs;
	int r;

	memset(&rs, 0, sizeof(rs));
	r = ddb_parse_records(b, len, &rs);
	ddb_records_free(&rs);
	return r;
}

static int
parse_iter_len(const char *b, size_t len)
{
	struct jspan it;

	return ddb_parse_shard_iterator(b, len, &it);
}

static int
parse_describe_len(const char *b, size_t len)
{
	struct ddb_shard_page pg;
	int r;

	memset(&pg, 0, sizeof(pg));
	r = ddb_parse_describe_stream(b, len, &pg);
	ddb_shard_page_free(&pg);
	return r;
}

static void
test_lineage_shard_iterator(void **state)
{
	const char *desc = "{\"StreamDescription\":{\"Shards\":[{\"ShardId\":"
			   "\"shardId-3\",\"ParentShardId\":\"shardId-1\"}],"
			   "\"StreamStatus\":\"ENABLED\"}}";
	const char *ok = "{\"ShardIterator\":\"arn:x|1|AAAA\"}";
	const char *null = "{\"ShardIterator\":null}";
	const char *bad[] = {
		"",
		"{",
		"{\"ShardIterator\":5}",
		"{\"ShardIterator\":\"x\"",
		"[\"ShardIterator\"]",
		"{\"ShardIterator\":{}}",
	};
	struct jspan it;

	assert_int_equal(ddb_parse_shard_iterator(ok, strlen(ok), &it), 0);
	assert_int_equal(it.len, strlen("arn:x|1|AAAA") + 2);
	/* Null or absent: a closed shard with nothing more to read. */
	assert_int_equal(ddb_parse_shard_iterator(null, strlen(null), &it), 0);
	assert_int_equal(it.len, 0);
	assert_int_equal(ddb_parse_shard_iterator("{}", 2, &it), 0);
	assert_int_equal(it.len, 0);
	/* Unreadable is never "no iterator": that would end the shard. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ddb_parse_shard_iterator(bad[i], strlen(bad[i]), &it) != -1)
			fail_msg("accepted shard iterator answer %zu", i);
	for (size_t n = 0; n < strlen(ok); n++)
		if (ddb_parse_shard_iterator(ok, n, &it) != -1)
			fail_msg("accepted an answer truncated at %zu", n);
	assert_int_equal(accepts_cut(ok, parse_iter_len), -1);
	assert_int_equal(accepts_cut(records, parse_records_len), -1);
	assert_int_equal(parse_describe_len(desc, strlen(desc)), 0);
	assert_int_equal(accepts_cut(desc, parse_describe_len), -1);
	{
		const char *num = "{\"Records\":[],\"NextShardIterator\":5}";

		assert_int_equal(parse_records_len(num, strlen(num)), -1);
	}
}

/*
 * The trimmed-start rule: lost records are older than both the oldest one
 * retained and the trim horizon; a gap only if that may be after the
 * handoff.
 */
static void
test_lineage_trim_gap(void **state)
{
	const int64_t H = 3600 * 1000, day = 24 * H;
	int64_t start = 1800000000000LL; /* backfill start, server */

	/* First read after a 20-hour backfill: whatever was trimmed is
	 * older than now - 24 h, hours before the handoff. */
	assert_false(lineage_trim_gap(start + 19 * H, start + 20 * H, day,
	    start - 5 * 60 * 1000));
	/* Nothing retained at all: the horizon alone decides. */
	assert_false(lineage_trim_gap(INT64_MAX, start + 20 * H, day, start));
	/* The stream fell a day behind: records after the handoff lost. */
	assert_true(
	    lineage_trim_gap(start + 25 * H, start + 50 * H, day, start));
	assert_true(lineage_trim_gap(INT64_MAX, start + 25 * H, day, start));
	/* The oldest retained record predates the handoff: all lost ones
	 * do too, however late it is. */
	assert_false(
	    lineage_trim_gap(start - 1000, start + 50 * H, day, start));
	/* Short retention (tests): 30 s, a child waiting 2 min. */
	assert_true(
	    lineage_trim_gap(start + 100000, start + 120000, 30000, start));
	assert_false(
	    lineage_trim_gap(start + 100000, start + 20000, 30000, start));
	/* Exactly at the handoff is not after it. */
	assert_false(lineage_trim_gap(start, start + day, day, start));
}

/* What makes a listing untrustworthy before it is merged. */
static void
test_lineage_check(void **state)
{
	struct lineage_shard ok[] = {
		{ "shardId-old", "shardId-aged-out", "1", 0 },
		{ "shardId-new", "shardId-old", "5", 1 },
	};
	struct lineage_shard dup[] = {
		{ "shardId-a", NULL, "1", 0 },
		{ "shardId-a", NULL, "1", 0 },
	};
	struct lineage_shard openorphan[] = {
		{ "shardId-x", "shardId-never", "9", 1 },
	};
	struct lineage_shard later[] = {
		{ "shardId-old", "shardId-aged-out", "1", 0 },
		{ "shardId-new", "shardId-old", "5", 0 },
		{ "shardId-born", "shardId-never", "7", 0 },
	};
	struct checkpoint ck;
	const char *bad;
	size_t added, pruned;
	const char *lost;

	checkpoint_init(&ck);
	/* A closed shard whose parent aged out is normal; so is its open
	 * child whose parent is listed. */
	assert_int_equal(lineage_check(&ck, ok, 2, 1, &bad), 0);
	assert_int_equal(lineage_check(&ck, dup, 2, 1, &bad),
	    LINEAGE_DUPLICATE);
	assert_string_equal(bad, "shardId-a");
	/* An open shard cannot have lost its parent to age. */
	assert_int_equal(lineage_check(&ck, openorphan, 1, 1, &bad),
	    LINEAGE_UNKNOWN_PARENT);
	assert_string_equal(bad, "shardId-x");
	assert_int_equal(lineage_merge(&ck, ok, 2, &added, &pruned, &lost), 0);
	/* Born since the last listing, of a parent nobody has seen. */
	assert_int_equal(lineage_check(&ck, later, 3, 0, &bad),
	    LINEAGE_UNKNOWN_PARENT);
	assert_string_equal(bad, "shardId-born");
	/* On a first listing (a restart) it is taken as aged out. */
	assert_int_equal(lineage_check(&ck, later, 3, 1, &bad), 0);
	/* A known shard with another parent. */
	later[1].parent = "shardId-other";
	assert_int_equal(lineage_check(&ck, later, 3, 1, &bad),
	    LINEAGE_PARENT_CHANGED);
	assert_string_equal(bad, "shardId-new");
	later[1].parent = NULL;
	assert_int_equal(lineage_check(&ck, later, 3, 1, &bad),
	    LINEAGE_PARENT_CHANGED);
	/* Another parent that is known: adopted (the child waits on it). */
	{
		struct lineage_shard moved[] = {
			{ "shardId-old", "shardId-aged-out", "1", 0 },
			{ "shardId-new", "shardId-born2", "5", 1 },
			{ "shardId-born2", NULL, "4", 0 },
		};

		assert_int_equal(lineage_check(&ck, moved, 3, 0, &bad), 0);
		assert_int_equal(lineage_merge(&ck, moved, 3, &added, &pruned,
				     &lost),
		    0);
		assert_string_equal(checkpoint_shard(&ck, "shardId-new")
					->parent_id,
		    "shardId-born2");
		/* Finished: its parent no longer matters. */
		checkpoint_shard(&ck, "shardId-new")->done = 1;
		moved[1].parent = "shardId-nowhere";
		assert_int_equal(lineage_check(&ck, moved, 3, 0, &bad), 0);
	}
	checkpoint_clear(&ck);
}

/* A shard read to its end and still being applied may leave the
 * listing: nothing of it is lost. Once done, it is pruned. */
static void
test_lineage_read_all_not_lost(void **state)
{
	struct lineage_shard first[] = {
		{ "shardId-p", NULL, "1", 0 },
		{ "shardId-c", "shardId-p", "5", 1 },
	};
	struct lineage_shard later[] = { { "shardId-c", "shardId-p", "5", 1 } };
	struct checkpoint ck;
	size_t added, pruned;
	const char *lost;

	checkpoint_init(&ck);
	assert_int_equal(lineage_merge(&ck, first, 2, &added, &pruned, &lost),
	    0);
	checkpoint_shard(&ck, "shardId-p")->read_all = 1;
	assert_int_equal(lineage_merge(&ck, later, 1, &added, &pruned, &lost),
	    0);
	assert_null(lost);
	assert_int_equal(pruned, 0);
	assert_false(ready(&ck, "shardId-c"));
	set_done(&ck, "shardId-p");
	assert_int_equal(lineage_merge(&ck, later, 1, &added, &pruned, &lost),
	    0);
	assert_int_equal(pruned, 1);
	assert_null(checkpoint_shard(&ck, "shardId-p"));
	assert_true(ready(&ck, "shardId-c"));
	checkpoint_clear(&ck);
}

/* Many shards: merging and pruning stay linear (a quadratic pass over
 * 50,000 shards would take minutes, not milliseconds). */
static void
test_lineage_big_listing(void **state)
{
	enum {
		N = 50000
	};
	struct lineage_shard *l = xcalloc(N, sizeof(*l));
	char(*ids)[32] = xcalloc(N, sizeof(*ids));
	struct checkpoint ck;
	size_t added, pruned, i;
	const char *lost, *bad;

	for (i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "shardId-%08zu", i);
		l[i].id = ids[i];
		l[i].parent = i > 0 ? ids[i - 1] : NULL;
		l[i].start = "1";
	}
	checkpoint_init(&ck);
	assert_int_equal(lineage_check(&ck, l, N, 1, &bad), 0);
	assert_int_equal(lineage_merge(&ck, l, N, &added, &pruned, &lost), 0);
	assert_int_equal(added, N);
	for (i = 0; i < N - 10; i++)
		ck.shards[i].done = 1;
	/* The first N - 10 age out of the listing. */
	assert_int_equal(lineage_merge(&ck, l + N - 10, 10, &added, &pruned,
			     &lost),
	    0);
	assert_null(lost);
	assert_int_equal(pruned, N - 10);
	assert_int_equal(ck.nshards, 10);
	assert_non_null(checkpoint_shard(&ck, ids[N - 1]));
	assert_null(checkpoint_shard(&ck, ids[0]));
	assert_true(ready(&ck, ids[N - 10]));
	assert_false(ready(&ck, ids[N - 9]));
	checkpoint_clear(&ck);
	free(l);
	free(ids);
}

/* ApproximateCreationDateTime is rounded down to the second: a record in
 * the handoff's own second may be after it, and is applied (found by
 * stream_sim_trim under load, with no handoff margin). */
static void
test_lineage_before_handoff(void **state)
{
	const int64_t h = 1800000000500LL; /* handoff at .500 */

	(void)state;
	assert_true(lineage_before_handoff(1799999999.0, h));
	assert_true(lineage_before_handoff(1799999998.0, h));
	/* Stamped in the handoff's second: may be at .900, after it. */
	assert_false(lineage_before_handoff(1800000000.0, h));
	assert_false(lineage_before_handoff(1800000001.0, h));
	/* A handoff on a whole second: the second before is all before. */
	assert_true(lineage_before_handoff(1799999999.0, 1800000000000LL));
	assert_false(lineage_before_handoff(1800000000.0, 1800000000000LL));
	/* No handoff (no backfill): nothing is before it. */
	assert_false(lineage_before_handoff(1.0, 0));
	assert_int_equal(lineage_created_max_ms(1800000000.0), 1800000001000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lineage_split_tree),
		cmocka_unit_test(test_lineage_ready_read),
		cmocka_unit_test(test_lineage_unknown_parent),
		cmocka_unit_test(test_lineage_prune_and_lost),
		cmocka_unit_test(test_lineage_many_shards),
		cmocka_unit_test(test_lineage_describe_pages),
		cmocka_unit_test(test_lineage_records_and_collapse),
		cmocka_unit_test(test_lineage_records_reject),
		cmocka_unit_test(test_lineage_shard_iterator),
		cmocka_unit_test(test_lineage_trim_gap),
		cmocka_unit_test(test_lineage_before_handoff),
		cmocka_unit_test(test_lineage_check),
		cmocka_unit_test(test_lineage_read_all_not_lost),
		cmocka_unit_test(test_lineage_big_listing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
