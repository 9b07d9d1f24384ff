/*
 * fuzz_checkpoint.c: checkpoint files. One that decodes is valid, encodes,
 * and decodes again to an equal checkpoint; encoding is then a fixed
 * point. The same bytes as a LastEvaluatedKey: one accepted by
 * checkpoint_set_last_key() survives a save and a load byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_equal(const struct checkpoint *a, const struct checkpoint *b)
{
	size_t i;

	FUZZ_CHECK(streq(a->pair, b->pair));
	FUZZ_CHECK(streq(a->src_table, b->src_table));
	FUZZ_CHECK(streq(a->src_region, b->src_region));
	FUZZ_CHECK(streq(a->dst_table, b->dst_table));
	FUZZ_CHECK(streq(a->dst_region, b->dst_region));
	FUZZ_CHECK(a->backfill_started_ms == b->backfill_started_ms);
	FUZZ_CHECK(a->backfill_completed_ms == b->backfill_completed_ms);
	FUZZ_CHECK(a->total_segments == b->total_segments);
	FUZZ_CHECK(a->nsegments == b->nsegments);
	for (i = 0; i < a->nsegments; i++) {
		const struct ckpt_segment *x = &a->segments[i];
		const struct ckpt_segment *y = &b->segments[i];

		FUZZ_CHECK(x->segment == y->segment);
		FUZZ_CHECK(x->done == y->done);
		FUZZ_CHECK(x->items == y->items);
		FUZZ_CHECK(streq(x->last_key, y->last_key));
	}
	FUZZ_CHECK(streq(a->stream_arn, b->stream_arn));
	FUZZ_CHECK(a->stream_started_ms == b->stream_started_ms);
	FUZZ_CHECK(a->stream_items == b->stream_items);
	FUZZ_CHECK(a->nshards == b->nshards);
	for (i = 0; i < a->nshards; i++) {
		const struct ckpt_shard *x = &a->shards[i];
		const struct ckpt_shard *y = &b->shards[i];

		FUZZ_CHECK(streq(x->shard_id, y->shard_id));
		FUZZ_CHECK(streq(x->parent_id, y->parent_id));
		FUZZ_CHECK(streq(x->seq, y->seq));
		FUZZ_CHECK(x->done == y->done);
		FUZZ_CHECK(x->items == y->items);
	}
}

static void
check_cleared(const struct checkpoint *ck)
{
	FUZZ_CHECK(ck->pair == NULL && ck->src_table == NULL &&
	    ck->src_region == NULL && ck->dst_table == NULL &&
	    ck->dst_region == NULL && ck->stream_arn == NULL);
	FUZZ_CHECK(ck->segments == NULL && ck->nsegments == 0);
	FUZZ_CHECK(ck->shards == NULL && ck->nshards == 0);
}

static void
fuzz_file(const uint8_t *data, size_t size)
{
	struct checkpoint a, b;
	struct buf out, out2;
	char err[512];
	size_t i;

	checkpoint_init(&a);
	checkpoint_init(&b);
	buf_init(&out, CHECKPOINT_MAX_SIZE);
	buf_init(&out2, CHECKPOINT_MAX_SIZE);
	err[0] = '\0';
	if (checkpoint_decode((const char *)data, size, &a, err, sizeof(err)) ==
	    -1) {
		FUZZ_CHECK(err[0] != '\0');
		check_cleared(&a);
		return;
	}
	FUZZ_CHECK(checkpoint_validate(&a, err, sizeof(err)) == 0);
	for (i = 0; i < a.nsegments; i++)
		FUZZ_CHECK(checkpoint_segment(&a, a.segments[i].segment) ==
		    &a.segments[i]);
	for (i = 0; i < a.nshards; i++)
		FUZZ_CHECK(
		    checkpoint_shard(&a, a.shards[i].shard_id) == &a.shards[i]);
	/* A checkpoint matches the identity it records. */
	FUZZ_CHECK(
	    checkpoint_match(&a, a.pair, a.src_table, a.src_region, a.dst_table,
		a.dst_region, a.total_segments, err, sizeof(err)) == 0);

	if (checkpoint_encode(&a, &out) == -1) {
		fprintf(stderr, "encode failed: errno %d\n", errno);
		FUZZ_CHECK(!"a decoded checkpoint does not encode");
	}
	FUZZ_CHECK(out.len > 0 && strlen(out.data) == out.len);
	if (checkpoint_decode(out.data, out.len, &b, err, sizeof(err)) == -1) {
		fprintf(stderr, "re-decode failed: %s\n%s", err, out.data);
		FUZZ_CHECK(!"an encoded checkpoint does not decode");
	}
	check_equal(&a, &b);
	FUZZ_CHECK(checkpoint_encode(&b, &out2) == 0);
	FUZZ_CHECK(
	    out.len == out2.len && memcmp(out.data, out2.data, out.len) == 0);
	buf_free(&out);
	buf_free(&out2);
	checkpoint_clear(&a);
	checkpoint_clear(&b);
}

static void
fuzz_last_key(const uint8_t *data, size_t size)
{
	struct checkpoint a, b;
	struct ckpt_segment *sg;
	struct buf out;
	char err[512];

	checkpoint_init(&a);
	checkpoint_init(&b);
	a.pair = strdup("p");
	a.src_table = strdup("src");
	a.src_region = strdup("us-east-1");
	a.dst_table = strdup("dst");
	a.dst_region = strdup("us-east-1");
	a.total_segments = 1;
	a.backfill_started_ms = 1;
	sg = checkpoint_add_segment(&a, 0);
	FUZZ_CHECK(sg != NULL && a.nsegments == 1);
	if (checkpoint_set_last_key(sg, (const char *)data, size) == -1) {
		FUZZ_CHECK(errno == EINVAL || errno == EFBIG);
		FUZZ_CHECK(sg->last_key == NULL);
		goto out;
	}
	FUZZ_CHECK(sg->last_key != NULL && sg->last_key[0] == '{');
	FUZZ_CHECK(strlen(sg->last_key) <= CHECKPOINT_KEY_MAX);
	FUZZ_CHECK(strlen(sg->last_key) <= size);
	if (checkpoint_validate(&a, err, sizeof(err)) == -1) {
		fprintf(stderr, "accepted last_key is invalid: %s\n", err);
		FUZZ_CHECK(!"set_last_key accepted an invalid key");
	}
	buf_init(&out, CHECKPOINT_MAX_SIZE);
	FUZZ_CHECK(checkpoint_encode(&a, &out) == 0);
	FUZZ_CHECK(
	    checkpoint_decode(out.data, out.len, &b, err, sizeof(err)) == 0);
	check_equal(&a, &b);
	/* Compaction is idempotent: the stored key is accepted as is. */
	{
		char *k = strdup(b.segments[0].last_key);

		FUZZ_CHECK(k != NULL);
		FUZZ_CHECK(
		    checkpoint_set_last_key(&b.segments[0], k, strlen(k)) == 0);
		FUZZ_CHECK(strcmp(k, b.segments[0].last_key) == 0);
		free(k);
	}
	buf_free(&out);
out:
	checkpoint_clear(&a);
	checkpoint_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file(data, size);
	fuzz_last_key(data, size);
	return 0;
}
