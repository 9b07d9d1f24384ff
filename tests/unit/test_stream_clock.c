/* test_stream_clock.c: the server's clock from Date headers, and the
 * string map shard bookkeeping runs on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "hmap.h"
#include "http.h"
#include "xmalloc.h"

static void
test_http_date(void **state)
{
	int64_t ms;

	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &ms),
	    0);
	assert_int_equal(ms, 784111777000LL);
	assert_int_equal(http_date_parse("Fri, 04 Dec 2026 11:26:28 GMT", &ms),
	    0);
	assert_int_equal(ms, 1796383588000LL);
	assert_int_equal(http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &ms),
	    0);
	assert_int_equal(ms, 0);
	/* Not IMF-fixdate: refused, never guessed. */
	assert_int_equal(http_date_parse("", &ms), -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &ms),
	    -1);
	assert_int_equal(http_date_parse("Sun, 06 Xyz 1994 08:49:37 GMT", &ms),
	    -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 25:49:37 GMT", &ms),
	    -1);
	assert_int_equal(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &ms),
	    -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT x",
			     &ms),
	    -1);
	assert_int_equal(http_date_parse("Sun, 06 ov 1994 08:49:37 GMT", &ms),
	    -1);
}

static void
test_hmap(void **state)
{
	enum {
		N = 20000
	};
	char(*k)[24] = xcalloc(N, sizeof(*k));
	struct hmap m;
	size_t i;

	hmap_init(&m);
	assert_null(hmap_get(&m, "x"));
	assert_null(hmap_del(&m, "x"));
	for (i = 0; i < N; i++) {
		snprintf(k[i], sizeof(k[i]), "shardId-%zu", i);
		hmap_put(&m, k[i], &k[i]);
	}
	assert_int_equal(m.n, N);
	hmap_put(&m, k[5], &k[6]); /* replaced, not added */
	assert_int_equal(m.n, N);
	assert_ptr_equal(hmap_get(&m, "shardId-5"), &k[6]);
	hmap_put(&m, k[5], &k[5]);
	/* Deleting every other key keeps the rest reachable (the probe
	 * chains are repaired). */
	for (i = 0; i < N; i += 2)
		assert_non_null(hmap_del(&m, k[i]));
	assert_int_equal(m.n, N / 2);
	for (i = 0; i < N; i++) {
		if (i % 2 == 0)
			assert_null(hmap_get(&m, k[i]));
		else
			assert_ptr_equal(hmap_get(&m, k[i]), &k[i]);
	}
	hmap_clear(&m);
	free(k);
}

static int
drop_odd(const struct ckpt_shard *s, void *arg)
{
	(void)arg;
	return (s->shard_id[strlen(s->shard_id) - 1] - '0') % 2 == 1;
}

/* Lookups by id stay right through adds, drops and a decode. */
static void
test_checkpoint_shard_index(void **state)
{
	struct checkpoint ck, back;
	struct buf out;
	char id[32], err[256];
	size_t i;

	checkpoint_init(&ck);
	ck.pair = xstrdup("p");
	ck.src_table = xstrdup("s");
	ck.src_region = xstrdup("r");
	ck.dst_table = xstrdup("d");
	ck.dst_region = xstrdup("r");
	ck.stream_arn = xstrdup("arn:aws:dynamodb:r:1:table/s/stream/x");
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "shardId-%zu", i);
		assert_non_null(checkpoint_add_shard(&ck, id, NULL));
	}
	assert_int_equal(checkpoint_drop_shards(&ck, drop_odd, NULL), 500);
	assert_int_equal(ck.nshards, 500);
	assert_null(checkpoint_shard(&ck, "shardId-7"));
	assert_string_equal(checkpoint_shard(&ck, "shardId-998")->shard_id,
	    "shardId-998");
	assert_non_null(checkpoint_add_shard(&ck, "shardId-7", NULL));
	assert_ptr_equal(checkpoint_shard(&ck, "shardId-7"),
	    &ck.shards[ck.nshards - 1]);
	buf_init(&out, CHECKPOINT_MAX_SIZE);
	assert_int_equal(checkpoint_encode(&ck, &out), 0);
	checkpoint_init(&back);
	assert_int_equal(checkpoint_decode(out.data, out.len, &back, err,
			     sizeof(err)),
	    0);
	assert_int_equal(back.nshards, 501);
	assert_non_null(checkpoint_shard(&back, "shardId-7"));
	assert_non_null(checkpoint_shard(&back, "shardId-0"));
	assert_null(checkpoint_shard(&back, "shardId-1"));
	buf_free(&out);
	checkpoint_clear(&back);
	checkpoint_clear(&ck);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_date),
		cmocka_unit_test(test_hmap),
		cmocka_unit_test(test_checkpoint_shard_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
