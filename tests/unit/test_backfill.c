/* test_backfill.c: the documented rules for page size and segment count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "worker.h"

static void
test_backfill_auto_page_size(void **state)
{
	/* About 1 MB of items per page, between 100 and 1000 items. */
	assert_int_equal(backfill_auto_page_size(0, 0), 1000);
	assert_int_equal(backfill_auto_page_size(1000, 1000 * 100), 1000);
	assert_int_equal(backfill_auto_page_size(1000, 1000 * 2048), 512);
	assert_int_equal(backfill_auto_page_size(10, 10 * 400000), 100);
	assert_int_equal(backfill_auto_page_size(INT64_MAX, 1), 1000);
}

static void
test_backfill_auto_segments(void **state)
{
	const int64_t gib = 1LL << 30;

	/* Small tables: no more segments than pages, at least 1. */
	assert_int_equal(backfill_auto_segments(0, 0, 1000), 1);
	assert_int_equal(backfill_auto_segments(500, 500000, 1000), 1);
	assert_int_equal(backfill_auto_segments(2500, 2500000, 1000), 3);
	/* Medium: at least 4 for parallelism. */
	assert_int_equal(backfill_auto_segments(100000, 100 * 1000000, 1000),
	    4);
	/* One per 2 GiB beyond that, up to 1000. */
	assert_int_equal(backfill_auto_segments(30000000, 30 * gib, 1000), 15);
	assert_int_equal(backfill_auto_segments(INT64_MAX / 2, 5000 * gib,
			     1000),
	    1000);
	/* Absurd estimates do not overflow (fuzzing found this). */
	assert_int_equal(backfill_auto_segments(INT64_MAX, INT64_MAX, 1000),
	    1000);
	assert_int_equal(backfill_auto_segments(INT64_MAX, -5, 0), 4);
}

static void
test_backfill_tally(void **state)
{
	struct checkpoint ck;
	struct ckpt_segment *a, *b;
	uint64_t s, w, e;

	checkpoint_init(&ck);
	assert_int_equal(backfill_tally(&ck, &s, &w, &e), 0);
	a = checkpoint_add_segment(&ck, 0);
	a->scanned = 10;
	a->items = 7;
	a->expired = 3;
	b = checkpoint_add_segment(&ck, 1);
	b->scanned = 5;
	b->items = 5;
	assert_int_equal(backfill_tally(&ck, &s, &w, &e), 0);
	assert_int_equal(s, 15);
	assert_int_equal(w, 12);
	assert_int_equal(e, 3);
	/* An item scanned but neither written nor skipped: lost. */
	ck.segments[1].items = 4;
	assert_int_equal(backfill_tally(&ck, &s, &w, &e), -1);
	/* Written twice over is no better. */
	ck.segments[1].items = 6;
	assert_int_equal(backfill_tally(&ck, &s, &w, &e), -1);
	checkpoint_clear(&ck);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backfill_auto_page_size),
		cmocka_unit_test(test_backfill_auto_segments),
		cmocka_unit_test(test_backfill_tally),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
