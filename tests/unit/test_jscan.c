/* test_jscan.c: the span scanner accepts valid JSON and rejects the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jscan.h"

static int
valid(const char *s)
{
	const char *p = s, *end = s + strlen(s);
	struct jspan v;

	if (jscan_value(&p, end, &v) == -1)
		return 0;
	while (p < end && (*p == ' ' || *p == '\n'))
		p++;
	return p == end;
}

static void
test_jscan_accepts_valid(void **state)
{
	const char *ok[] = {
		"{}",
		"[]",
		"\"\"",
		"0",
		"-1.5e+10",
		"true",
		"false",
		"null",
		"{\"a\":{\"S\":\"x\\\"y\\\\z\\u00e9\"},\"b\":[1,2,{\"c\":[]}]}",
		" { \"k\" : [ 1 , 2 ] } ",
		"\"Gr\xc3\xbc\xc3\x9f\xc3\xa9 \xf0\x9f\x8c\x8d\"",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(valid(ok[i]));
}

static void
test_jscan_rejects_invalid(void **state)
{
	const char *bad[] = {
		"",
		"{",
		"}",
		"[1,]",
		"{\"a\":1,}",
		"{\"a\"1}",
		"{a:1}",
		"\"abc",
		"\"a\\q\"",
		"\"\\u12\"",
		"tru",
		"nul",
		"-",
		"1.",
		"1e",
		"[1 2]",
		"{\"a\":}",
		"\"ctl\x01\"",
		"{\"a\":1 \"b\":2}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (valid(bad[i]))
			fail_msg("accepted invalid JSON '%s'", bad[i]);
	}
}

static void
test_jscan_depth_limit(void **state)
{
	char deep[2 * (JSCAN_MAX_DEPTH + 10) + 1];
	size_t n = JSCAN_MAX_DEPTH + 10;

	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	assert_false(valid(deep));
	n = JSCAN_MAX_DEPTH - 1;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	assert_true(valid(deep));
}

static void
test_jscan_members_and_find(void **state)
{
	const char *s = "{\"Items\":[{\"a\":1},{\"b\":2}],\"Count\":2,"
			"\"LastEvaluatedKey\":{\"pk\":{\"S\":\"k\"}}}";
	struct jspan obj = { s, strlen(s) }, v, k;
	const char *p = s, *end = s + strlen(s);
	int n = 0, r;

	assert_int_equal(jscan_open(&p, end, '{'), 0);
	while ((r = jscan_member(&p, end, &k, &v)) == 1)
		n++;
	assert_int_equal(r, 0);
	assert_int_equal(n, 3);
	assert_int_equal(jscan_find(&obj, "Items", &v), 1);
	assert_int_equal(jscan_count(&v), 2);
	assert_int_equal(jscan_find(&obj, "LastEvaluatedKey", &v), 1);
	assert_int_equal(v.len, strlen("{\"pk\":{\"S\":\"k\"}}"));
	assert_memory_equal(v.p, "{\"pk\":{\"S\":\"k\"}}", v.len);
	assert_int_equal(jscan_find(&obj, "Missing", &v), 0);
}

/* The eight-bytes-at-a-time path sees every special byte at every offset. */
static void
test_jscan_long_strings(void **state)
{
	char buf[80];
	const char special[] = { '\x01', '\x1f', '\\', '"' };

	for (size_t off = 1; off < 60; off++) {
		memset(buf, 'a', sizeof(buf));
		buf[0] = '"';
		buf[70] = '"';
		buf[71] = '\0';
		assert_true(valid(buf));
		/* UTF-8 bytes above 0x7f are plain. */
		buf[off] = (char)0xc3;
		buf[off + 1] = (char)0xa9;
		assert_true(valid(buf));
		for (size_t k = 0; k < sizeof(special); k++) {
			memset(buf + 1, 'a', 69);
			buf[off] = special[k];
			/* Control bytes and a lone backslash-a are invalid; a
			 * quote ends the string early, leaving junk behind. */
			if (valid(buf))
				fail_msg("byte 0x%02x at %zu accepted",
				    (unsigned char)special[k], off);
		}
		memset(buf + 1, 'a', 69);
		buf[off] = '\\';
		buf[off + 1] = 'n';
		assert_true(valid(buf));
	}
}

static void
test_jscan_double(void **state)
{
	struct jspan s = { "12.5", 4 };
	double d = 0;

	assert_int_equal(jscan_double(&s, &d), 0);
	assert_true(d == 12.5);
	s.p = "12x";
	s.len = 3;
	assert_int_equal(jscan_double(&s, &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jscan_accepts_valid),
		cmocka_unit_test(test_jscan_rejects_invalid),
		cmocka_unit_test(test_jscan_depth_limit),
		cmocka_unit_test(test_jscan_members_and_find),
		cmocka_unit_test(test_jscan_long_strings),
		cmocka_unit_test(test_jscan_double),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
