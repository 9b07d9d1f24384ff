/* test_ttl.c: expired items and the TTL service's deletes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ttl.h"

#define NOW 1700000000

static int
expired(const char *item)
{
	struct jspan s = { item, strlen(item) };

	return ttl_item_expired(&s, "exp", NOW);
}

static void
test_ttl_item_expired(void **state)
{
	(void)state;
	/* A Number of epoch seconds in the past: expired. */
	assert_true(expired("{\"pk\":{\"S\":\"a\"},"
			    "\"exp\":{\"N\":\"1699999999\"}}"));
	assert_true(expired("{\"exp\":{\"N\":\"1\"}}"));
	assert_true(expired("{\"exp\":{\"N\":\"-5\"}}"));
	assert_true(expired("{\"exp\":{\"N\":\"1.6E9\"}}"));
	assert_true(expired("{\"exp\":{\"N\":\"1699999999.999\"}}"));
	assert_true(expired(" { \"exp\" : { \"N\" : \"0\" } } "));
	/* Now and later: not yet. */
	assert_false(expired("{\"exp\":{\"N\":\"1700000000\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"1700000000.5\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"1800000000\"}}"));
	assert_false(expired("{\"exp\":{\"N\":"
			     "\"12345678901234567890123456789012345678\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"9.9E125\"}}"));
	/* Any other type, missing, or not a number: never. */
	assert_false(expired("{\"exp\":{\"S\":\"1\"}}"));
	assert_false(expired("{\"exp\":{\"NS\":[\"1\"]}}"));
	assert_false(expired("{\"exp\":{\"L\":[{\"N\":\"1\"}]}}"));
	assert_false(expired("{\"exp\":{\"M\":{\"N\":{\"N\":\"1\"}}}}"));
	assert_false(expired("{\"exp\":{\"NULL\":true}}"));
	assert_false(expired("{\"pk\":{\"S\":\"a\"}}"));
	assert_false(expired("{\"Exp\":{\"N\":\"1\"}}"));
	assert_false(expired("{\"nested\":{\"M\":{\"exp\":{\"N\":\"1\"}}}}"));
	assert_false(expired("{\"exp\":{\"N\":\"abc\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"1x\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"0x10\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\" 1\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"nan\"}}"));
	assert_false(expired("{\"exp\":{\"N\":\"-inf\"}}"));
	assert_false(expired("{\"exp\":{\"N\":1}}"));
	assert_false(expired("{\"exp\":{\"N\":\"1\",\"S\":\"x\"}}"));
	assert_false(
	    expired("{\"exp\":{\"N\":\""
		    "11111111111111111111111111111111111111111111111111"
		    "11111111111111111"
		    "\"}}"));
	/* Malformed items are not judged expired: they are copied and
	 * DynamoDB says what is wrong with them. */
	assert_false(expired("{\"exp\":{\"N\":\"1\"}"));
	assert_false(expired("[]"));
}

static void
test_ttl_drop_expired(void **state)
{
	const char *v[] = {
		"{\"k\":{\"S\":\"a\"},\"exp\":{\"N\":\"1\"}}",
		"{\"k\":{\"S\":\"b\"}}",
		"{\"k\":{\"S\":\"c\"},\"exp\":{\"N\":\"1\"}}",
		"{\"k\":{\"S\":\"d\"},\"exp\":{\"N\":\"2000000000\"}}",
		"{\"k\":{\"S\":\"e\"},\"exp\":{\"N\":\"5\"}}",
	};
	struct jspan it[5];

	(void)state;
	for (int i = 0; i < 5; i++) {
		it[i].p = v[i];
		it[i].len = strlen(v[i]);
	}
	assert_int_equal(ttl_drop_expired(it, 5, "exp", NOW), 2);
	assert_ptr_equal(it[0].p, v[1]);
	assert_ptr_equal(it[1].p, v[3]);
	/* A page of expired items only: nothing left, nothing to write. */
	it[0].p = v[0];
	it[0].len = strlen(v[0]);
	assert_int_equal(ttl_drop_expired(it, 1, "exp", NOW), 0);
	assert_int_equal(ttl_drop_expired(it, 0, "exp", NOW), 0);
}

static void
rec(struct ddb_record *r, enum ddb_event ev, int ttl, const char *seq)
{
	memset(r, 0, sizeof(*r));
	r->event = ev;
	r->ttl = ttl;
	r->seq.p = seq;
	r->seq.len = strlen(seq);
}

static void
test_ttl_partition_deletes(void **state)
{
	struct ddb_record r[7];
	const char *order = "0234";

	(void)state;
	rec(&r[0], DDB_EV_INSERT, 0, "0");
	rec(&r[1], DDB_EV_REMOVE, 1, "1"); /* the TTL service's */
	rec(&r[2], DDB_EV_REMOVE, 0, "2"); /* a user's delete */
	rec(&r[3], DDB_EV_MODIFY, 1, "3"); /* not a delete: kept */
	rec(&r[4], DDB_EV_INSERT, 0, "4");
	rec(&r[5], DDB_EV_REMOVE, 1, "5");
	rec(&r[6], DDB_EV_REMOVE, 1, "6");
	/* From 1: the TTL deletes move to the front, the rest keep order. */
	assert_int_equal(ttl_partition_deletes(r, 1, 7), 3);
	assert_int_equal(r[0].seq.p[0], '0');
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(r[i].event, DDB_EV_REMOVE);
		assert_int_equal(r[i].ttl, 1);
	}
	for (int i = 4; i < 7; i++)
		assert_int_equal(r[i].seq.p[0], order[i - 3]);
	/* Nothing to move, or only TTL deletes: left as they are. */
	assert_int_equal(ttl_partition_deletes(r, 4, 7), 0);
	assert_int_equal(r[4].seq.p[0], '2');
	assert_int_equal(ttl_partition_deletes(r, 1, 4), 3);
	assert_int_equal(ttl_partition_deletes(r, 3, 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_item_expired),
		cmocka_unit_test(test_ttl_drop_expired),
		cmocka_unit_test(test_ttl_partition_deletes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
