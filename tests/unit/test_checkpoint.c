/* test_checkpoint.c: checkpoint codec, validation, identity match, files. */
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
#include <cJSON.h>

#include "atomicfile.h"
#include "buf.h"
#include "checkpoint.h"
#include "xmalloc.h"

/* Every DynamoDB attribute type, escapes, unicode, 38-digit numbers. */
static const char big_key[] =
    "{\"pk\":{\"S\":\"\\u00e9t\\u00e9 \\\"q\\\" \\\\ \\/ "
    "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc \xf0\x9f\x98\x80\"},"
    "\"sk\":{\"N\":\"12345678901234567890123456789012345678\"},"
    "\"b\":{\"B\":\"AAEC/w==\"},"
    "\"m\":{\"M\":{\"l\":{\"L\":[{\"BOOL\":true},{\"NULL\":true},"
    "{\"SS\":[\"a\",\"b\"]},{\"NS\":[\"1\",\"-1.5E+10\","
    "\"0.00000000000000000000000000000000000001\"]},"
    "{\"BS\":[\"AA==\",\"/w==\"]},"
    "{\"N\":\"-9.9999999999999999999999999999999999999E+125\"}]}}}}";

static void
full_checkpoint(struct checkpoint *ck)
{
	static const char small_key[] = "{\"pk\":{\"S\":\"x\"}}";
	struct ckpt_segment *sg;
	struct ckpt_shard *sh;

	checkpoint_init(ck);
	ck->pair = xstrdup("orders \xe2\x87\xa8 \"copy\" \\ 2");
	ck->src_table = xstrdup("orders");
	ck->src_region = xstrdup("us-west-2");
	ck->dst_table = xstrdup("orders-copy");
	ck->dst_region = xstrdup("eu-central-1");
	ck->total_segments = 16;
	ck->backfill_started_ms = 1764000000000;
	sg = checkpoint_add_segment(ck, 0);
	sg->items = 1234;
	assert_int_equal(checkpoint_set_last_key(sg, big_key, strlen(big_key)),
	    0);
	sg = checkpoint_add_segment(ck, 15);
	sg->done = 1;
	sg->items = UINT64_MAX;
	sg = checkpoint_add_segment(ck, 7);
	assert_int_equal(checkpoint_set_last_key(sg, small_key,
			     strlen(small_key)),
	    0);
	ck->stream_arn = xstrdup("arn:aws:dynamodb:us-west-2:111111111111:"
				 "table/orders/stream/2026-11-23T11:05:27.000");
	ck->stream_started_ms = INT64_MAX;
	ck->stream_items = UINT64_MAX - 1;
	ck->stream_lag_ms = 4500;
	ck->stream_lag_at_ms = 1764000000123;
	sh = checkpoint_add_shard(ck, "shardId-00000001700000000000-aaaa",
	    NULL);
	sh->seq = xstrdup("9999999999999999999999999999999999999999");
	sh->done = 1;
	sh->items = 10;
	(void)checkpoint_add_shard(ck, "shardId-00000001700000000001-bbbb",
	    "shardId-00000001700000000000-aaaa");
	sh = checkpoint_add_shard(ck, "shardId-00000001700000000002-cccc",
	    "gone-parent");
	sh->seq = xstrdup("1");
	/* The spool's (issue 13). */
	ck->stream_spool = 1;
	ck->stream_spool_segment = 42;
	sh->spooled = xstrdup("77");
	sh->spooled_all = 1;
}

#define SAME_STR(x, y) \
	do { \
		if ((x) == NULL || (y) == NULL) \
			assert_true((x) == NULL && (y) == NULL); \
		else \
			assert_string_equal((x), (y)); \
	} while (0)

static void
assert_same(const struct checkpoint *a, const struct checkpoint *b)
{
	size_t i;

	SAME_STR(a->pair, b->pair);
	SAME_STR(a->src_table, b->src_table);
	SAME_STR(a->src_region, b->src_region);
	SAME_STR(a->dst_table, b->dst_table);
	SAME_STR(a->dst_region, b->dst_region);
	assert_int_equal(a->total_segments, b->total_segments);
	assert_int_equal(a->backfill_started_ms, b->backfill_started_ms);
	assert_int_equal(a->backfill_completed_ms, b->backfill_completed_ms);
	assert_int_equal(a->nsegments, b->nsegments);
	for (i = 0; i < a->nsegments; i++) {
		assert_int_equal(a->segments[i].segment,
		    b->segments[i].segment);
		assert_int_equal(a->segments[i].done, b->segments[i].done);
		assert_int_equal(a->segments[i].items, b->segments[i].items);
		SAME_STR(a->segments[i].last_key, b->segments[i].last_key);
	}
	SAME_STR(a->stream_arn, b->stream_arn);
	assert_int_equal(a->stream_started_ms, b->stream_started_ms);
	assert_int_equal(a->stream_items, b->stream_items);
	assert_int_equal(a->stream_lag_ms, b->stream_lag_ms);
	assert_int_equal(a->stream_lag_at_ms, b->stream_lag_at_ms);
	assert_int_equal(a->nshards, b->nshards);
	for (i = 0; i < a->nshards; i++) {
		SAME_STR(a->shards[i].shard_id, b->shards[i].shard_id);
		SAME_STR(a->shards[i].parent_id, b->shards[i].parent_id);
		SAME_STR(a->shards[i].seq, b->shards[i].seq);
		assert_int_equal(a->shards[i].done, b->shards[i].done);
		assert_int_equal(a->shards[i].items, b->shards[i].items);
		SAME_STR(a->shards[i].spooled, b->shards[i].spooled);
		assert_int_equal(a->shards[i].spooled_all,
		    b->shards[i].spooled_all);
	}
	assert_int_equal(a->stream_spool, b->stream_spool);
	assert_int_equal(a->stream_spool_segment, b->stream_spool_segment);
}

static char *
encode(const struct checkpoint *ck, size_t *len)
{
	struct buf b;
	char *s;

	buf_init(&b, CHECKPOINT_MAX_SIZE);
	assert_int_equal(checkpoint_encode(ck, &b), 0);
	s = buf_steal(&b, len);
	assert_non_null(s);
	return s;
}

static void
test_checkpoint_roundtrip(void **state)
{
	struct checkpoint a, b;
	char err[512], *t1, *t2;
	size_t n1, n2;

	full_checkpoint(&a);
	t1 = encode(&a, &n1);
	checkpoint_init(&b);
	err[0] = '\0';
	if (checkpoint_decode(t1, n1, &b, err, sizeof(err)) != 0)
		fail_msg("decode: %s\n%s", err, t1);
	assert_same(&a, &b);
	/* The key is kept byte for byte, escapes and all. */
	assert_string_equal(b.segments[0].last_key, big_key);
	/* Canonical: encoding again gives the same text. */
	t2 = encode(&b, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	free(t1);
	free(t2);
	checkpoint_clear(&a);
	checkpoint_clear(&b);

	/* An empty checkpoint (nothing started) round-trips too. */
	checkpoint_init(&a);
	a.pair = xstrdup("p");
	a.src_table = xstrdup("s");
	a.src_region = xstrdup("r");
	a.dst_table = xstrdup("d");
	a.dst_region = xstrdup("r");
	t1 = encode(&a, &n1);
	assert_int_equal(checkpoint_decode(t1, n1, &b, err, sizeof(err)), 0);
	assert_same(&a, &b);
	assert_null(b.stream_arn);
	free(t1);
	checkpoint_clear(&a);
	checkpoint_clear(&b);
}

static cJSON *
get(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	assert_non_null(v);
	return v;
}

/* An independent parser sees the documented structure. */
static void
test_checkpoint_encode_structure(void **state)
{
	struct checkpoint a;
	cJSON *root, *segs, *key, *sh;
	char *t;
	size_t n;

	full_checkpoint(&a);
	t = encode(&a, &n);
	assert_int_equal(t[n - 1], '\n');
	root = cJSON_ParseWithLength(t, n);
	assert_non_null(root);
	assert_string_equal(get(root, "format")->valuestring,
	    "ddb-sync-checkpoint");
	assert_int_equal(get(root, "version")->valueint, 1);
	assert_string_equal(get(get(root, "identity"), "source_region")
				->valuestring,
	    "us-west-2");
	assert_int_equal(get(get(root, "identity"), "total_segments")->valueint,
	    16);
	segs = get(get(root, "backfill"), "segments");
	assert_int_equal(cJSON_GetArraySize(segs), 3);
	key = get(cJSON_GetArrayItem(segs, 0), "last_key");
	/* An object, not a string holding JSON. */
	assert_true(cJSON_IsObject(key));
	assert_string_equal(get(get(key, "sk"), "N")->valuestring,
	    "12345678901234567890123456789012345678");
	assert_string_equal(get(get(key, "b"), "B")->valuestring, "AAEC/w==");
	assert_string_equal(get(get(key, "pk"), "S")->valuestring,
	    "\xc3\xa9t\xc3\xa9 \"q\" \\ / "
	    "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc \xf0\x9f\x98\x80");
	assert_true(cJSON_IsNull(get(cJSON_GetArrayItem(segs, 1), "last_key")));
	sh = cJSON_GetArrayItem(get(get(root, "stream"), "shards"), 0);
	assert_non_null(sh);
	assert_true(cJSON_IsString(get(sh, "seq")));
	assert_true(cJSON_IsNull(get(sh, "parent_id")));
	/* Exact 64-bit counters in the text. */
	assert_non_null(strstr(t, "\"items\": 18446744073709551615, "));
	assert_non_null(strstr(t, "\"started_ms\": 9223372036854775807,"));
	cJSON_Delete(root);
	free(t);
	checkpoint_clear(&a);
}

static void
test_checkpoint_set_last_key(void **state)
{
	static const char spaced[] = " {\n \"pk\" : { \"S\" : \"a b\\t\" } ,"
				     "\"n\":{\"N\":\"1\"}}\n";
	static const char compact[] =
	    "{\"pk\":{\"S\":\"a b\\t\"},\"n\":{\"N\":\"1\"}}";
	static char big[CHECKPOINT_KEY_MAX + 64];
	struct ckpt_segment sg;
	size_t n;

	memset(&sg, 0, sizeof(sg));
	assert_int_equal(checkpoint_set_last_key(&sg, spaced, strlen(spaced)),
	    0);
	assert_string_equal(sg.last_key, compact);

#define REJECT(s, e) \
	do { \
		errno = 0; \
		assert_int_equal(checkpoint_set_last_key(&sg, (s), strlen(s)), \
		    -1); \
		assert_int_equal(errno, (e)); \
		assert_string_equal(sg.last_key, compact); \
	} while (0)
	REJECT("[1]", EINVAL);
	REJECT("{}", EINVAL);
	REJECT(" { } ", EINVAL);
	REJECT("{\"a\":1} x", EINVAL);
	REJECT("{\"a\":1", EINVAL);
	REJECT("{\"a\":\"\xff\"}", EINVAL);
	REJECT("\"s\"", EINVAL);
	REJECT("", EINVAL);
	/* Too long once compacted. */
	memcpy(big, "{\"k\":\"", 6);
	n = sizeof(big) - 3;
	memset(big + 6, 'k', n - 6);
	memcpy(big + n, "\"}", 3);
	REJECT(big, EFBIG);
#undef REJECT
	/* A NUL within the given length. */
	assert_int_equal(checkpoint_set_last_key(&sg, "{\"a\":1}\0", 8), -1);
	assert_int_equal(checkpoint_set_last_key(&sg, NULL, 0), 0);
	assert_null(sg.last_key);
}

static void
test_checkpoint_decode_every_prefix_fails(void **state)
{
	struct checkpoint a, b;
	char err[512], *t;
	size_t n, i;

	full_checkpoint(&a);
	t = encode(&a, &n);
	checkpoint_init(&b);
	/* Every cut short of the closing brace is refused, cleanly. */
	for (i = 0; i < n - 1; i++) {
		err[0] = '\0';
		if (checkpoint_decode(t, i, &b, err, sizeof(err)) != -1)
			fail_msg("prefix of %zu bytes accepted", i);
		assert_true(err[0] != '\0');
		assert_null(b.pair);
		assert_int_equal(b.nsegments, 0);
		assert_int_equal(b.nshards, 0);
	}
	/* Only the final newline missing: still a whole document. */
	assert_int_equal(checkpoint_decode(t, n - 1, &b, err, sizeof(err)), 0);
	assert_same(&a, &b);
	free(t);
	checkpoint_clear(&a);
	checkpoint_clear(&b);
}

/* A small valid file for the rejection cases to mutate. */
static const char base_doc[] =
    "{\"format\":\"ddb-sync-checkpoint\",\"version\":1,"
    "\"identity\":{\"pair\":\"p\",\"source_table\":\"s\","
    "\"source_region\":\"r1\",\"destination_table\":\"d\","
    "\"destination_region\":\"r2\",\"total_segments\":4},"
    "\"backfill\":{\"started_ms\":5,\"completed_ms\":0,\"segments\":["
    "{\"segment\":0,\"done\":false,\"items\":1,"
    "\"last_key\":{\"k\":{\"S\":\"a\"}}},"
    "{\"segment\":3,\"done\":true,\"items\":2,\"last_key\":null}]},"
    "\"stream\":{\"arn\":\"arn:x\",\"started_ms\":0,\"items\":0,\"shards\":["
    "{\"shard_id\":\"s1\",\"parent_id\":null,\"seq\":\"12\",\"done\":false,"
    "\"items\":0},"
    "{\"shard_id\":\"s2\",\"parent_id\":\"s1\",\"seq\":null,\"done\":false,"
    "\"items\":0}]}}";

/* base_doc with the first occurrence of from replaced by to. */
static char *
mutate(const char *from, const char *to)
{
	const char *p = strstr(base_doc, from);
	char *out;

	if (p == NULL)
		fail_msg("\"%s\" not in the base document", from);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(p - base_doc), base_doc,
			to, p + strlen(from)) != -1);
	return out;
}

static void
test_checkpoint_decode_rejects(void **state)
{
	static const struct {
		const char *from;
		const char *to;
		const char *why;
	} cases[] = {
		{ "\"ddb-sync-checkpoint\"", "\"other\"",
		    "not a ddb-sync checkpoint (no \"format\": "
		    "\"ddb-sync-checkpoint\")" },
		{ "\"format\":\"ddb-sync-checkpoint\",", "",
		    "not a ddb-sync checkpoint" },
		{ "\"version\":1", "\"version\":2",
		    "written by a newer ddb-sync (checkpoint version 2; this "
		    "ddb-sync reads version 1)" },
		{ "\"version\":1", "\"version\":0",
		    "written by an older ddb-sync (checkpoint version 0" },
		{ "\"version\":1", "\"version\":\"1\"",
		    "checkpoint.version: expected an integer" },
		{ "\"version\":1,", "", "missing field \"version\"" },
		{ "\"version\":1", "\"version\":1,\"version\":1",
		    "duplicate field \"version\"" },
		{ "\"version\":1", "\"version\":1,\"format\":\"x\"",
		    "duplicate field \"format\"" },
		{ "\"total_segments\":4", "\"total_segments\":\"4\"",
		    "identity.total_segments: expected an integer" },
		{ "\"total_segments\":4", "\"total_segments\":1000001",
		    "identity.total_segments: 1000001 is out of range" },
		{ "\"pair\":\"p\"", "\"pair\":5",
		    "identity.pair: expected a string" },
		{ "\"pair\":\"p\"", "\"pair\":\"\"", "identity.pair is empty" },
		{ "\"pair\":\"p\"", "\"pair\":\"a\xff\"",
		    "identity.pair is not valid UTF-8" },
		{ "\"pair\":\"p\"", "\"pair\":\"a\\u0000\"", "\\u0000" },
		{ "\"pair\":\"p\"", "\"pair\":\"a\\u0001\"",
		    "identity.pair contains a control character" },
		{ "\"pair\":\"p\"", "\"pair\":\"\\ud800\"",
		    "unpaired surrogate" },
		{ "\"source_region\":\"r1\",", "",
		    "identity: missing field \"source_region\"" },
		{ "\"identity\":{", "\"identity\":[],\"x\":{",
		    "identity: expected an object" },
		{ "\"segments\":[", "\"segments\":{\"a\":0},\"x\":[",
		    "backfill.segments: expected an array" },
		{ "\"segment\":3", "\"segment\":4",
		    "backfill.segments[1].segment 4 is not below "
		    "identity.total_segments (4)" },
		{ "\"segment\":3", "\"segment\":0",
		    "backfill.segments[1]: segment 0 is listed twice (also "
		    "backfill.segments[0])" },
		{ "\"done\":false", "\"done\":\"no\"",
		    "backfill.segments[0].done: expected true or false" },
		{ "\"items\":1", "\"items\":-1",
		    "backfill.segments[0].items: must not be negative" },
		{ "\"items\":1", "\"items\":1.5",
		    "backfill.segments[0].items: expected an integer" },
		{ "\"items\":1", "\"items\":18446744073709551616",
		    "backfill.segments[0].items: 18446744073709551616 is out "
		    "of range" },
		{ "\"items\":1", "\"items\":01",
		    "backfill.segments[0].items: expected an integer" },
		{ "\"last_key\":{\"k\":{\"S\":\"a\"}}", "\"last_key\":\"k\"",
		    "backfill.segments[0].last_key: expected an object or "
		    "null" },
		{ "\"last_key\":{\"k\":{\"S\":\"a\"}}", "\"last_key\":{}",
		    "backfill.segments[0].last_key is an empty object" },
		{ "\"last_key\":{\"k\":{\"S\":\"a\"}}",
		    "\"last_key\":{\"k\":{\"S\":\"\xc0\xaf\"}}",
		    "backfill.segments[0].last_key: not valid UTF-8" },
		{ "\"segment\":0,", "",
		    "backfill.segments[0]: missing field \"segment\"" },
		{ "\"started_ms\":5", "\"started_ms\":-5",
		    "backfill.started_ms: must not be negative" },
		{ "\"completed_ms\":0", "\"completed_ms\":9",
		    "backfill.completed_ms is set but backfill.segments[0] "
		    "(segment 0) is not done" },
		{ "\"seq\":\"12\"", "\"seq\":\"12a\"",
		    "stream.shards[0].seq is not a sequence number (1 to 40 "
		    "decimal digits)" },
		{ "\"seq\":\"12\"",
		    "\"seq\":\"12345678901234567890123456789012345678901\"",
		    "stream.shards[0].seq is not a sequence number" },
		{ "\"seq\":\"12\"", "\"seq\":\"\"",
		    "stream.shards[0].seq is empty" },
		{ "\"seq\":\"12\"", "\"seq\":12",
		    "stream.shards[0].seq: expected a string or null" },
		{ "\"shard_id\":\"s2\",\"parent_id\":\"s1\"",
		    "\"shard_id\":\"s1\",\"parent_id\":null",
		    "stream.shards[1]: shard \"s1\" is listed twice (also "
		    "stream.shards[0])" },
		{ "\"parent_id\":\"s1\"", "\"parent_id\":\"s2\"",
		    "stream.shards[1]: a shard cannot be its own parent" },
		{ "\"shard_id\":\"s1\"", "\"shard_id\":null",
		    "stream.shards[0].shard_id: expected a string" },
		{ "\"arn\":\"arn:x\"", "\"arn\":null",
		    "stream.shards are listed but stream.arn is null" },
		{ "\"stream\":{", "\"stream\":{\"items\":1,",
		    "stream: duplicate field \"items\"" },
		{ "\"stream\":{", "\"stream\":{\"lag_ms\":1,",
		    "stream: lag_ms and lag_at_ms go together" },
		{ "\"stream\":{", "\"stream\":{\"lag_ms\":1,\"lag_at_ms\":0,",
		    "stream.lag_at_ms is 0" },
		{ "\"stream\":{", "\"stream\":{\"lag_ms\":-1,\"lag_at_ms\":5,",
		    "stream.lag_ms: must not be negative" },
		{ "\"stream\":{",
		    "\"stream\":{\"lag_ms\":1,\"lag_at_ms\":5,"
		    "\"lag_ms\":2,",
		    "stream: duplicate field \"lag_ms\"" },
		{ "\"done\":false,\"items\":0}]}}",
		    "\"done\":false,\"items\":0,\"spooled\":\"5\"}]}}",
		    "stream.shards[1]: spooled without stream.spool" },
		{ "\"done\":false,\"items\":0}]}}",
		    "\"done\":false,\"items\":0,\"spooled_all\":true}]}}",
		    "stream.shards[1]: spooled without stream.spool" },
		{ "\"stream\":{", "\"stream\":{\"spool_segment\":3,",
		    "stream.spool_segment without stream.spool" },
		{ "\"stream\":{", "\"stream\":{\"spool\":1,",
		    "stream.spool: expected true or false" },
		{ "\"stream\":{", "\"stream\":{\"spool\":true,\"spool\":true,",
		    "stream: duplicate field \"spool\"" },
		{ "\"done\":false,\"items\":0}]}}",
		    "\"done\":false,\"items\":0,\"spooled\":\"x\"}]}}",
		    "stream.shards[1].spooled is not a sequence number" },
		{ "\"done\":false,\"items\":0}]}}",
		    "\"done\":false,\"items\":0,\"spooled\":1,"
		    "\"spooled\":2}]}}",
		    "stream.shards[1]: duplicate field \"spooled\"" },
		{ "\"identity\":{", "\"identity\":{},\"identity\":{",
		    "checkpoint: duplicate field \"identity\"" },
		{ "\"stream\":{\"arn\"", "\"streams\":{\"arn\"",
		    "checkpoint: missing field \"stream\"" },
		{ "{\"format\"", "[{\"format\"",
		    "not valid JSON (truncated or corrupt)" },
		{ "\"items\":0}]}}", "\"items\":0}]}} {}",
		    "data after the JSON object" },
		{ "\"pair\":\"p\"", "\"pair\":\"p\t\"",
		    "not valid JSON (truncated or corrupt)" },
	};
	struct checkpoint ck;
	char err[512], *doc;
	size_t i;

	checkpoint_init(&ck);
	/* Control: the base document decodes. */
	assert_int_equal(checkpoint_decode(base_doc, strlen(base_doc), &ck, err,
			     sizeof(err)),
	    0);
	assert_int_equal(ck.nshards, 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doc = mutate(cases[i].from, cases[i].to);
		err[0] = '\0';
		if (checkpoint_decode(doc, strlen(doc), &ck, err,
			sizeof(err)) != -1)
			fail_msg("accepted: %s", doc);
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    cases[i].why);
		assert_null(ck.pair);
		free(doc);
	}

	/* Whole-file problems. */
	assert_int_equal(checkpoint_decode("", 0, &ck, err, sizeof(err)), -1);
	assert_string_equal(err, "the file is empty");
	assert_int_equal(checkpoint_decode("[]", 2, &ck, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a JSON object"));
	doc = xstrdup(base_doc);
	doc[30] = '\0';
	assert_int_equal(checkpoint_decode(doc, strlen(base_doc), &ck, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not valid JSON"));
	free(doc);
}

static void
test_checkpoint_decode_ignores_unknown_fields(void **state)
{
	struct checkpoint ck;
	char err[512], *doc;

	checkpoint_init(&ck);
	/* A duplicated known field is refused... */
	doc = mutate("\"version\":1,",
	    "\"version\":1,\"note\":{\"x\":[1,"
	    "{\"y\":null}]},\"identity\":0,");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "duplicate field \"identity\""));
	free(doc);
	/* ... unknown ones, even duplicated, are not. */
	doc = mutate("\"version\":1,",
	    "\"version\":1,\"note\":{\"x\":[1,"
	    "{\"y\":null}]},\"note\":2,");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    0);
	assert_string_equal(ck.src_region, "r1");
	free(doc);
	doc = mutate("\"items\":1,", "\"items\":1,\"written_by\":\"x\",");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    0);
	assert_int_equal(ck.segments[0].items, 1);
	free(doc);
	/* Whitespace inside a kept key is squeezed out. */
	doc = mutate("{\"k\":{\"S\":\"a\"}}", "{ \"k\" :\n{\"S\" : \"a b\"} }");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    0);
	assert_string_equal(ck.segments[0].last_key, "{\"k\":{\"S\":\"a b\"}}");
	free(doc);
	checkpoint_clear(&ck);
}

/* The completeness tally: kept, and optional for older files. */
static void
test_checkpoint_tally(void **state)
{
	struct checkpoint ck, back;
	struct buf b;
	char err[512], *doc;

	checkpoint_init(&ck);
	checkpoint_init(&back);
	/* A file without the tally: written items count as scanned. */
	assert_int_equal(checkpoint_decode(base_doc, strlen(base_doc), &ck, err,
			     sizeof(err)),
	    0);
	assert_int_equal(ck.segments[0].scanned, 1);
	assert_int_equal(ck.segments[0].expired, 0);
	assert_int_equal(ck.segments[1].scanned, 2);
	doc = mutate("\"items\":1,",
	    "\"items\":1,\"scanned\":9,"
	    "\"expired\":8,");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    0);
	assert_int_equal(ck.segments[0].scanned, 9);
	assert_int_equal(ck.segments[0].expired, 8);
	free(doc);
	buf_init(&b, 0);
	assert_int_equal(checkpoint_encode(&ck, &b), 0);
	assert_non_null(strstr(b.data, "\"scanned\": 9, \"expired\": 8"));
	assert_int_equal(checkpoint_decode(b.data, b.len, &back, err,
			     sizeof(err)),
	    0);
	assert_int_equal(back.segments[0].scanned, 9);
	assert_int_equal(back.segments[0].expired, 8);
	buf_free(&b);
	doc = mutate("\"items\":1,", "\"items\":1,\"scanned\":-1,");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    -1);
	free(doc);
	doc = mutate("\"items\":1,",
	    "\"items\":1,\"scanned\":1,"
	    "\"scanned\":1,");
	assert_int_equal(checkpoint_decode(doc, strlen(doc), &ck, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "duplicate field \"scanned\""));
	free(doc);
	checkpoint_clear(&ck);
	checkpoint_clear(&back);
}

static void
test_checkpoint_encode_refuses_invalid(void **state)
{
	struct checkpoint ck;
	struct ckpt_segment *sg;
	struct buf b;
	char err[512];

	full_checkpoint(&ck);
	buf_init(&b, 0);
	assert_int_equal(checkpoint_validate(&ck, err, sizeof(err)), 0);

	sg = checkpoint_add_segment(&ck, 16);
	errno = 0;
	assert_int_equal(checkpoint_encode(&ck, &b), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(checkpoint_validate(&ck, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "backfill.segments[3].segment 16 is not "
	    "below identity.total_segments (16)");
	sg->segment = 8;
	assert_int_equal(checkpoint_validate(&ck, err, sizeof(err)), 0);

	free(ck.shards[1].seq);
	ck.shards[1].seq = xstrdup("-1");
	assert_int_equal(checkpoint_validate(&ck, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "stream.shards[1].seq"));
	free(ck.shards[1].seq);
	ck.shards[1].seq = NULL;

	free(ck.dst_region);
	ck.dst_region = NULL;
	assert_int_equal(checkpoint_validate(&ck, err, sizeof(err)), -1);
	assert_string_equal(err, "identity.destination_region is missing");
	ck.dst_region = xstrdup("eu-west-1");

	ck.backfill_completed_ms = 1;
	assert_int_equal(checkpoint_validate(&ck, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not done"));
	ck.backfill_completed_ms = 0;

	/* The output's maximum. */
	b.max = 100;
	errno = 0;
	assert_int_equal(checkpoint_encode(&ck, &b), -1);
	assert_int_equal(errno, EFBIG);
	buf_free(&b);
	checkpoint_clear(&ck);
}

static void
test_checkpoint_match(void **state)
{
	struct checkpoint ck;
	char err[1024];

	full_checkpoint(&ck);
	assert_int_equal(checkpoint_match(&ck, ck.pair, "orders", "us-west-2",
			     "orders-copy", "eu-central-1", 16, err,
			     sizeof(err)),
	    0);
	/* Automatic segment count in the plan: the checkpoint's is used. */
	assert_int_equal(checkpoint_match(&ck, ck.pair, "orders", "us-west-2",
			     "orders-copy", "eu-central-1", 0, err,
			     sizeof(err)),
	    0);

	assert_int_equal(checkpoint_match(&ck, ck.pair, "orders2", "us-west-2",
			     "orders-copy", "eu-west-1", 16, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err,
	    "the source table is \"orders\" in the "
	    "checkpoint but \"orders2\" in the plan; the destination region "
	    "is \"eu-central-1\" in the checkpoint but \"eu-west-1\" in the "
	    "plan"));
	assert_non_null(strstr(err, "use another state directory"));
	assert_non_null(strstr(err,
	    "remove this pair's checkpoint "
	    "deliberately"));

	assert_int_equal(checkpoint_match(&ck, "other", "orders", "us-west-2",
			     "orders-copy", "eu-central-1", 16, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "the pair name is"));

	assert_int_equal(checkpoint_match(&ck, ck.pair, "orders", "us-west-2",
			     "orders-copy", "eu-central-1", 32, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err,
	    "total_segments is 16 in the checkpoint "
	    "but 32 in the plan"));
	assert_non_null(strstr(err, "set total_segments: 16"));
	assert_null(strstr(err, "another state directory"));

	/* Once the backfill is complete the count no longer matters. */
	ck.backfill_completed_ms = ck.backfill_started_ms + 1;
	assert_int_equal(checkpoint_match(&ck, ck.pair, "orders", "us-west-2",
			     "orders-copy", "eu-central-1", 32, err,
			     sizeof(err)),
	    0);
	checkpoint_clear(&ck);
}

static void
test_checkpoint_seq(void **state)
{
	/* Ascending. */
	static const char *const seqs[] = {
		"0",
		"1",
		"9",
		"10",
		"99",
		"100",
		"4960000000000000000000000000000000000",
		"49600000000000000000000000000000000000",
		"49600000000000000000000000000000000001",
		"49600000000000000000000000000000000010",
		"9999999999999999999999999999999999999999",
	};
	size_t i, j, n = sizeof(seqs) / sizeof(seqs[0]);

	for (i = 0; i < n; i++) {
		assert_true(checkpoint_seq_valid(seqs[i]));
		assert_int_equal(checkpoint_seq_cmp(seqs[i], seqs[i]), 0);
		for (j = i + 1; j < n; j++) {
			assert_int_equal(checkpoint_seq_cmp(seqs[i], seqs[j]),
			    -1);
			assert_int_equal(checkpoint_seq_cmp(seqs[j], seqs[i]),
			    1);
		}
	}
	assert_int_equal(checkpoint_seq_cmp("007", "7"), 0);
	assert_int_equal(checkpoint_seq_cmp("0", "000"), 0);
	assert_int_equal(checkpoint_seq_cmp("0010", "9"), 1);
	assert_false(checkpoint_seq_valid(""));
	assert_false(checkpoint_seq_valid(NULL));
	assert_false(checkpoint_seq_valid("-1"));
	assert_false(checkpoint_seq_valid("1 "));
	assert_false(checkpoint_seq_valid("1e5"));
	assert_false(
	    checkpoint_seq_valid("12345678901234567890123456789012345678901"));
}

static void
test_checkpoint_add_and_lookup(void **state)
{
	struct checkpoint ck;
	struct ckpt_segment *sg;
	struct ckpt_shard *sh;
	uint32_t i;
	char id[32];

	checkpoint_init(&ck);
	for (i = 0; i < 100; i++) {
		sg = checkpoint_add_segment(&ck, 99 - i);
		sg->items = i;
	}
	assert_int_equal(ck.nsegments, 100);
	assert_int_equal(checkpoint_segment(&ck, 0)->items, 99);
	assert_ptr_equal(checkpoint_add_segment(&ck, 5),
	    checkpoint_segment(&ck, 5));
	assert_int_equal(ck.nsegments, 100);
	assert_null(checkpoint_segment(&ck, 100));
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "shard-%u", i);
		sh = checkpoint_add_shard(&ck, id, i ? "shard-0" : NULL);
		sh->items = i;
	}
	assert_int_equal(ck.nshards, 40);
	sh = checkpoint_shard(&ck, "shard-39");
	assert_non_null(sh);
	assert_int_equal(sh->items, 39);
	assert_string_equal(sh->parent_id, "shard-0");
	assert_null(checkpoint_shard(&ck, "shard-0")->parent_id);
	assert_ptr_equal(checkpoint_add_shard(&ck, "shard-3", NULL),
	    checkpoint_shard(&ck, "shard-3"));
	assert_int_equal(ck.nshards, 40);
	assert_null(checkpoint_shard(&ck, "shard-40"));
	checkpoint_clear(&ck);
	assert_int_equal(ck.nsegments, 0);
	assert_null(ck.segments);
	checkpoint_clear(&ck); /* twice is fine */
}

/* ------------------------------------------------------------------ files */

static int
tmpdir_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char *d;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (asprintf(&d, "%s/ddb-sync-test.XXXXXX", t) == -1)
		return -1;
	if (mkdtemp(d) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
tmpdir_teardown(void **state)
{
	char *d = *state;

	(void)nftw(d, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

static char *
path_in(void **state, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", (char *)*state, name) != -1);
	return p;
}

static void
test_checkpoint_save_and_load(void **state)
{
	char *p = path_in(state, "checkpoint.json");
	struct checkpoint a, b;
	struct stat st;
	char err[1024], *data, *t;
	size_t len, n;
	mode_t old;

	full_checkpoint(&a);
	checkpoint_init(&b);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), 1);
	old = umask(0);
	assert_int_equal(checkpoint_save(p, &a, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The file holds exactly the encoding. */
	t = encode(&a, &n);
	assert_int_equal(atomicfile_read(p, CHECKPOINT_MAX_SIZE, &data, &len),
	    0);
	assert_int_equal(len, n);
	assert_memory_equal(data, t, n);
	free(data);
	free(t);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), 0);
	assert_same(&a, &b);

	/* Saving again replaces it. */
	a.stream_items = 3;
	assert_int_equal(checkpoint_save(p, &a, err, sizeof(err)), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), 0);
	assert_int_equal(b.stream_items, 3);

	/* An invalid checkpoint is not written; the old file stays. */
	a.total_segments = 2;
	assert_int_equal(checkpoint_save(p, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not written"));
	assert_non_null(strstr(err, "identity.total_segments"));
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), 0);
	assert_int_equal(b.total_segments, 16);

	/* A directory that does not exist. */
	free(p);
	p = path_in(state, "none/checkpoint.json");
	a.total_segments = 16;
	errno = 0;
	assert_int_equal(checkpoint_save(p, &a, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot write checkpoint"));
	assert_non_null(strstr(err, "No such file or directory"));
	free(p);
	checkpoint_clear(&a);
	checkpoint_clear(&b);
}

static void
test_checkpoint_load_refuses_bad_files(void **state)
{
	char *p = path_in(state, "checkpoint.json");
	struct checkpoint a, b;
	char err[1024], *t, *data;
	size_t n, len;
	int fd;

	full_checkpoint(&a);
	checkpoint_init(&b);
	t = encode(&a, &n);

	/* Truncated (a non-atomic writer's crash): refused, untouched. */
	assert_int_equal(atomicfile_write(p, t, n / 2, 0600), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err,
	    "is unusable: not valid JSON (truncated "
	    "or corrupt)"));
	assert_non_null(strstr(err, "left as it is"));
	assert_null(b.pair);
	assert_int_equal(atomicfile_read(p, CHECKPOINT_MAX_SIZE, &data, &len),
	    0);
	assert_int_equal(len, n / 2);
	assert_memory_equal(data, t, len);
	free(data);

	/* Garbage. */
	assert_int_equal(atomicfile_write(p, "\0\0\0\0", 4, 0600), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unusable"));

	/* Empty. */
	assert_int_equal(atomicfile_write(p, "", 0, 0600), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the file is empty"));

	/* Too large: refused before it is read. */
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CHECKPOINT_MAX_SIZE + 1), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));

	/* Unreadable: a directory in its place. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read checkpoint"));
	assert_non_null(strstr(err, "Is a directory"));
	assert_int_equal(rmdir(p), 0);

	/* A foreign version. */
	free(t);
	t = mutate("\"version\":1", "\"version\":7");
	assert_int_equal(atomicfile_write(p, t, strlen(t), 0600), 0);
	assert_int_equal(checkpoint_load(p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err,
	    "written by a newer ddb-sync (checkpoint "
	    "version 7"));

	free(t);
	free(p);
	checkpoint_clear(&a);
	checkpoint_clear(&b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint_roundtrip),
		cmocka_unit_test(test_checkpoint_encode_structure),
		cmocka_unit_test(test_checkpoint_set_last_key),
		cmocka_unit_test(test_checkpoint_decode_every_prefix_fails),
		cmocka_unit_test(test_checkpoint_decode_rejects),
		cmocka_unit_test(test_checkpoint_decode_ignores_unknown_fields),
		cmocka_unit_test(test_checkpoint_encode_refuses_invalid),
		cmocka_unit_test(test_checkpoint_tally),
		cmocka_unit_test(test_checkpoint_match),
		cmocka_unit_test(test_checkpoint_seq),
		cmocka_unit_test(test_checkpoint_add_and_lookup),
		T(test_checkpoint_save_and_load),
		T(test_checkpoint_load_refuses_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
