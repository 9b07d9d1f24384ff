/* test_verify.c: the verify checkpoint's codec and the sample rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "verify.h"
#include "xmalloc.h"

static void
fill(struct verify_ckpt *c)
{
	memset(c, 0, sizeof(*c));
	c->pair = xstrdup("p");
	c->src_table = xstrdup("src \"quoted\"");
	c->src_region = xstrdup("r1");
	c->dst_table = xstrdup("dst");
	c->dst_region = xstrdup("r2");
	c->report = xstrdup("/var/lib/r.jsonl");
	c->report_bytes = 12345;
	c->sample_ppm = 250000;
	c->seed = UINT64_MAX - 1;
	c->repair = 1;
	c->started_ms = 1795432527000;
	for (int p = 0; p < 2; p++) {
		c->total[p] = 3 + (uint32_t)p;
		c->nsegs[p] = 2;
		c->segs[p] = xcalloc(2, sizeof(struct verify_seg));
		c->segs[p][1].segment = 2;
		c->segs[p][1].done = 1;
		c->segs[p][0].last_key = xstrdup("{\"pk\":{\"S\":\"a\"}}");
		c->segs[p][0].n.scanned = 100 + (uint64_t)p;
		c->segs[p][0].n.missing = 7;
		c->segs[p][0].n.deleted = UINT64_MAX;
	}
}

static void
test_verify_ckpt_roundtrip(void **state)
{
	struct verify_ckpt a, b;
	struct buf t;
	char err[256], why[256];

	fill(&a);
	buf_init(&t, 0);
	assert_int_equal(verify_ckpt_encode(&a, &t), 0);
	memset(&b, 0, sizeof(b));
	if (verify_ckpt_decode(t.data, t.len, &b, err, sizeof(err)) != 0)
		fail_msg("decode: %s\n%s", err, t.data);
	assert_string_equal(b.src_table, "src \"quoted\"");
	assert_int_equal(b.report_bytes, 12345);
	assert_int_equal(b.sample_ppm, 250000);
	assert_true(b.seed == UINT64_MAX - 1);
	assert_true(b.repair);
	assert_false(b.delete_extra);
	assert_int_equal(b.total[1], 4);
	assert_int_equal(b.nsegs[1], 2);
	assert_string_equal(b.segs[1][0].last_key, "{\"pk\":{\"S\":\"a\"}}");
	assert_null(b.segs[1][1].last_key);
	assert_true(b.segs[1][1].done);
	assert_int_equal(b.segs[1][0].n.scanned, 101);
	assert_true(b.segs[0][0].n.deleted == UINT64_MAX);
	assert_int_equal(verify_ckpt_same(&a, &b, why, sizeof(why)), 1);
	free(b.report);
	b.report = xstrdup("/elsewhere");
	assert_int_equal(verify_ckpt_same(&a, &b, why, sizeof(why)), 0);
	assert_string_equal(why, "the report path differs");
	b.sample_ppm = 1;
	free(b.report);
	b.report = xstrdup(a.report);
	assert_int_equal(verify_ckpt_same(&a, &b, why, sizeof(why)), 0);
	assert_string_equal(why, "the sample rate differs");

	/* Every cut-off prefix is refused, and leaves nothing behind. */
	for (size_t n = 0; n + 2 < t.len; n++) {
		struct verify_ckpt c;

		memset(&c, 0, sizeof(c));
		if (verify_ckpt_decode(t.data, n, &c, err, sizeof(err)) != -1)
			fail_msg("prefix of %zu bytes accepted", n);
		verify_ckpt_clear(&c);
	}
	buf_free(&t);
	verify_ckpt_clear(&a);
	verify_ckpt_clear(&b);
}

static void
test_verify_ckpt_rejects(void **state)
{
	struct verify_ckpt c;
	char err[256];
	static const char *const bad[] = {
		"",
		"[]",
		"{\"format\":\"ddb-sync-checkpoint\",\"version\":1}",
		"{\"format\":\"ddb-sync-verify-checkpoint\",\"version\":2}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(verify_ckpt_decode(bad[i], strlen(bad[i]), &c,
				     err, sizeof(err)),
		    -1);
		verify_ckpt_clear(&c);
	}
}

static void
test_verify_sampled(void **state)
{
	char key[32];
	unsigned n = 0, again = 0;

	assert_int_equal(verify_sampled("x", 1, 0, VERIFY_SAMPLE_ALL), 1);
	for (int i = 0; i < 20000; i++) {
		int len = snprintf(key, sizeof(key), "{\"pk\":{\"N\":\"%d\"}}",
		    i);
		int s = verify_sampled(key, (size_t)len, 42, 100000);

		n += s;
		/* The same key and seed answer the same: a resumed verify
		 * samples what the first run did. */
		again += s == verify_sampled(key, (size_t)len, 42, 100000);
	}
	assert_int_equal(again, 20000);
	/* 10 % of 20000, within five standard deviations (about 42). */
	assert_in_range(n, 2000 - 212, 2000 + 212);
}

/* The margin, plus a running copy's stream lag (grown since it was
 * measured, when it was not caught up), never an old copy's lag. */
static void
test_verify_recheck_wait(void **state)
{
	const int64_t now = 1764000000000;

	(void)state;
	/* No copy, or never measured. */
	assert_int_equal(verify_recheck_wait(30000, 0, 0, now), 30000);
	assert_int_equal(verify_recheck_wait(30000, 9000, 0, now), 30000);
	/* Caught up 10 s ago: the margin. */
	assert_int_equal(verify_recheck_wait(30000, 0, now - 10000, now),
	    30000);
	/* 20 s behind, measured 3 s ago: 23 s more. */
	assert_int_equal(verify_recheck_wait(5000, 20000, now - 3000, now),
	    28000);
	/* A lag measured over two minutes ago: that copy is not running. */
	assert_int_equal(verify_recheck_wait(5000, 20000,
			     now - VERIFY_LAG_FRESH_MS - 1, now),
	    5000);
	/* Hours behind: at most the cap. */
	assert_int_equal(verify_recheck_wait(5000, 5 * 3600 * 1000, now - 1000,
			     now),
	    5000 + VERIFY_LAG_WAIT_MAX_MS);
	/* A clock that went back: the lag as measured. */
	assert_int_equal(verify_recheck_wait(5000, 20000, now + 3000, now),
	    25000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_ckpt_roundtrip),
		cmocka_unit_test(test_verify_ckpt_rejects),
		cmocka_unit_test(test_verify_sampled),
		cmocka_unit_test(test_verify_recheck_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
