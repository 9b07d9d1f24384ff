/* test_itemcmp.c: DynamoDB's equality of items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itemcmp.h"

static char path[ITEMCMP_PATH_MAX], why[ITEMCMP_WHY_MAX];

static int
cmp(const char *a, const char *b)
{
	struct jspan x = { a, strlen(a) }, y = { b, strlen(b) };

	return itemcmp(&x, &y, path, sizeof(path), why, sizeof(why));
}

/* Equal both ways round. */
static void
eq(const char *a, const char *b)
{
	if (cmp(a, b) != 0 || cmp(b, a) != 0)
		fail_msg("not equal: %s / %s (%s: %s)", a, b, path, why);
}

static void
ne(const char *a, const char *b, const char *where)
{
	if (cmp(a, b) != 1)
		fail_msg("not different: %s / %s", a, b);
	assert_string_equal(path, where);
	if (cmp(b, a) != 1)
		fail_msg("not different: %s / %s", b, a);
	assert_string_equal(path, where);
}

static void
num(const char *in, const char *canon)
{
	char out[160];

	assert_int_equal(itemcmp_number(in, strlen(in), out, sizeof(out)), 0);
	assert_string_equal(out, canon);
}

static void
test_itemcmp_numbers(void **state)
{
	char out[160];

	num("1", "1E0");
	num("1.0", "1E0");
	num("1e2", "1E2");
	num("100", "1E2");
	num("100.00", "1E2");
	num("0.001", "1E-3");
	num("-0", "0");
	num("0.000", "0");
	num("-12.50", "-1.25E1");
	num("+7", "7E0");
	num("00012", "1.2E1");
	num("1.5E-130", "1.5E-130");
	/* 38 digits stay exact, no double on the way. */
	num("12345678901234567890123456789012345678",
	    "1.2345678901234567890123456789012345678E37");
	assert_int_equal(itemcmp_number("", 0, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_number("1e", 2, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_number("1x", 2, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_number(".", 1, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_number("--1", 3, out, sizeof(out)), -1);

	eq("{\"n\":{\"N\":\"1.0\"}}", "{\"n\":{\"N\":\"1\"}}");
	eq("{\"n\":{\"N\":\"1e2\"}}", "{\"n\":{\"N\":\"100\"}}");
	eq("{\"n\":{\"N\":\"-0\"}}", "{\"n\":{\"N\":\"0\"}}");
	ne("{\"n\":{\"N\":\"10\"}}", "{\"n\":{\"N\":\"11\"}}", "n");
	/* Differ only in the 38th digit: a double would call them equal. */
	ne("{\"n\":{\"N\":\"12345678901234567890123456789012345678\"}}",
	    "{\"n\":{\"N\":\"12345678901234567890123456789012345679\"}}", "n");
	ne("{\"n\":{\"N\":\"1\"}}", "{\"n\":{\"N\":\"-1\"}}", "n");
}

static void
test_itemcmp_binary(void **state)
{
	unsigned char out[16];

	assert_int_equal(itemcmp_base64("AAEC", 4, out, sizeof(out)), 3);
	assert_int_equal(out[2], 2);
	assert_int_equal(itemcmp_base64("AA==", 4, out, sizeof(out)), 1);
	assert_int_equal(itemcmp_base64("AAE=", 4, out, sizeof(out)), 2);
	assert_int_equal(itemcmp_base64("AA=A", 4, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_base64("AAE", 3, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_base64("A*==", 4, out, sizeof(out)), -1);
	assert_int_equal(itemcmp_base64("", 0, out, sizeof(out)), 0);
	eq("{\"b\":{\"B\":\"AAEC\"}}", "{\"b\":{\"B\":\"AAEC\"}}");
	ne("{\"b\":{\"B\":\"AAEC\"}}", "{\"b\":{\"B\":\"AAED\"}}", "b");
	/* The same bytes with an escaped slash. */
	eq("{\"b\":{\"B\":\"//8=\"}}", "{\"b\":{\"B\":\"\\/\\/8=\"}}");
}

static void
test_itemcmp_sets(void **state)
{
	eq("{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}",
	    "{\"s\":{\"SS\":[\"c\",\"a\",\"b\"]}}");
	eq("{\"s\":{\"NS\":[\"1\",\"2.0\",\"30\"]}}",
	    "{\"s\":{\"NS\":[\"3e1\",\"2\",\"1.00\"]}}");
	eq("{\"s\":{\"BS\":[\"AA==\",\"AQ==\"]}}",
	    "{\"s\":{\"BS\":[\"AQ==\",\"AA==\"]}}");
	ne("{\"s\":{\"SS\":[\"a\",\"b\"]}}", "{\"s\":{\"SS\":[\"a\",\"c\"]}}",
	    "s");
	ne("{\"s\":{\"SS\":[\"a\",\"b\"]}}", "{\"s\":{\"SS\":[\"a\"]}}", "s");
	ne("{\"s\":{\"NS\":[\"1\"]}}", "{\"s\":{\"SS\":[\"1\"]}}", "s");
}

static void
test_itemcmp_maps_lists(void **state)
{
	eq("{\"a\":{\"S\":\"x\"},\"b\":{\"N\":\"1\"}}",
	    "{\"b\":{\"N\":\"1\"},\"a\":{\"S\":\"x\"}}");
	eq("{\"m\":{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"S\":\"z\"}}}}",
	    "{\"m\":{\"M\":{\"y\":{\"S\":\"z\"},\"x\":{\"N\":\"1.0\"}}}}");
	ne("{\"m\":{\"M\":{\"in\":{\"M\":{\"c\":{\"S\":\"x\"}}}}}}",
	    "{\"m\":{\"M\":{\"in\":{\"M\":{\"c\":{\"S\":\"y\"}}}}}}", "m.in.c");
	/* A missing attribute, named from either side. */
	assert_int_equal(cmp("{\"a\":{\"S\":\"x\"},\"b\":{\"N\":\"1\"}}",
			     "{\"a\":{\"S\":\"x\"}}"),
	    1);
	assert_string_equal(path, "b");
	assert_string_equal(why, "missing in destination");
	assert_int_equal(cmp("{\"a\":{\"S\":\"x\"}}",
			     "{\"a\":{\"S\":\"x\"},\"b\":{\"N\":\"1\"}}"),
	    1);
	assert_string_equal(path, "b");
	assert_string_equal(why, "missing in source");
	/* Lists keep their order. */
	eq("{\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"}]}}",
	    "{\"l\":{\"L\":[{\"N\":\"1.0\"},{\"S\":\"a\"}]}}");
	ne("{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"}]}}",
	    "{\"l\":{\"L\":[{\"N\":\"2\"},{\"N\":\"1\"}]}}", "l[0]");
	ne("{\"l\":{\"L\":[{\"N\":\"1\"}]}}",
	    "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"}]}}", "l[1]");
	/* Escapes are text, not bytes; names too. */
	eq("{\"s\":{\"S\":\"\\u00e9\"}}", "{\"s\":{\"S\":\"\xc3\xa9\"}}");
	eq("{\"\\u0061\":{\"S\":\"x\"}}", "{\"a\":{\"S\":\"x\"}}");
	ne("{\"s\":{\"S\":\"a\"}}", "{\"s\":{\"S\":\"b\"}}", "s");
	ne("{\"s\":{\"S\":\"1\"}}", "{\"s\":{\"N\":\"1\"}}", "s");
	eq("{\"t\":{\"BOOL\":true},\"u\":{\"NULL\":true}}",
	    "{\"u\":{\"NULL\":true},\"t\":{\"BOOL\":true}}");
	ne("{\"t\":{\"BOOL\":true}}", "{\"t\":{\"BOOL\":false}}", "t");
	/* Whitespace between tokens is not a difference. */
	eq("{\"a\": {\"N\": \"1\"}}", "{\"a\":{\"N\":\"1\"}}");
}

static void
test_itemcmp_malformed(void **state)
{
	assert_int_equal(cmp("{\"a\":{\"X\":\"1\"}}", "{\"a\":{\"N\":\"2\"}}"),
	    1); /* types differ before either is read */
	assert_int_equal(cmp("{\"a\":{\"X\":\"1\"}}", "{\"a\":{\"X\":\"2\"}}"),
	    -1);
	assert_int_equal(cmp("{\"a\":{\"N\":\"x\"}}", "{\"a\":{\"N\":\"1\"}}"),
	    -1);
	assert_int_equal(cmp("{\"a\":{\"N\":\"1\",\"S\":\"1\"}}",
			     "{\"a\":{\"N\":\"2\"}}"),
	    -1);
	assert_int_equal(cmp("[1]", "{}"), -1);
	assert_int_equal(cmp("{}", "{}"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_itemcmp_numbers),
		cmocka_unit_test(test_itemcmp_binary),
		cmocka_unit_test(test_itemcmp_sets),
		cmocka_unit_test(test_itemcmp_maps_lists),
		cmocka_unit_test(test_itemcmp_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
