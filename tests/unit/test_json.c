/* test_json.c: the strict reader on jscan: documents, members, integers,
 * strings and the error helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static struct jspan
span(const char *s)
{
	struct jspan v = { s, strlen(s) };

	return v;
}

static void
test_json_doc(void **state)
{
	struct jspan obj;
	size_t at = 0;

	assert_int_equal(json_doc(" {\"a\":1} \r\n", 11, &obj, &at), 0);
	assert_int_equal(obj.len, 7);
	assert_int_equal(json_doc("{\"a\":1} x", 9, &obj, &at),
	    JSON_DOC_TRAILING);
	assert_int_equal(at, 8);
	assert_int_equal(json_doc("{}{}", 4, &obj, &at), JSON_DOC_TRAILING);
	assert_int_equal(at, 2);
	assert_int_equal(json_doc("[1]", 3, &obj, &at), JSON_DOC_NOT_OBJECT);
	assert_int_equal(json_doc("{\"a\":", 5, &obj, &at), JSON_DOC_INVALID);
	assert_int_equal(json_doc("", 0, &obj, &at), JSON_DOC_INVALID);
	assert_int_equal(json_doc("{\"a\":1,}", 8, &obj, &at),
	    JSON_DOC_INVALID);
}

static void
test_json_fields(void **state)
{
	struct json_field f[] = { { .name = "v" }, { .name = "type" } };
	struct jspan o;
	size_t dup = 99;

	o = span("{\"x\":[1,{\"v\":2}],\"type\":\"log\",\"v\":1}");
	assert_int_equal(json_fields(&o, f, 2, &dup), 0);
	assert_true(f[0].seen && f[1].seen);
	assert_int_equal(f[0].v.len, 1);
	assert_memory_equal(f[1].v.p, "\"log\"", 5);

	/* Names are compared unescaped: "\u0076" is "v", so twice. */
	o = span("{\"v\":1,\"\\u0076\":2}");
	assert_int_equal(json_fields(&o, f, 2, &dup), JSON_FIELDS_DUP);
	assert_int_equal(dup, 0);
	o = span("{\"type\":1,\"v\":1,\"type\":2}");
	assert_int_equal(json_fields(&o, f, 2, &dup), JSON_FIELDS_DUP);
	assert_int_equal(dup, 1);

	/* Missing members are not an error here; seen says. */
	o = span("{}");
	assert_int_equal(json_fields(&o, f, 2, &dup), 0);
	assert_false(f[0].seen || f[1].seen);
	o = span("[]");
	assert_int_equal(json_fields(&o, f, 2, &dup), JSON_FIELDS_INVALID);
	o = span("{\"v\" 1}");
	assert_int_equal(json_fields(&o, f, 2, &dup), JSON_FIELDS_INVALID);
}

static void
test_json_int(void **state)
{
	static const struct {
		const char *s;
		int r;
		int neg;
		uint64_t mag;
	} c[] = {
		{ "0", 0, 0, 0 },
		{ "-0", 0, 1, 0 },
		{ "42", 0, 0, 42 },
		{ "-9223372036854775808", 0, 1, UINT64_C(9223372036854775808) },
		{ "18446744073709551615", 0, 0, UINT64_MAX },
		{ "18446744073709551616", -2, 0, 0 },
		{ "99999999999999999999999", -2, 0, 0 },
		/* 2^53 + 1: exact, unlike a double. */
		{ "9007199254740993", 0, 0, UINT64_C(9007199254740993) },
		{ "01", -1, 0, 0 },
		{ "1.0", -1, 0, 0 },
		{ "1e3", -1, 0, 0 },
		{ "-", -1, 0, 0 },
		{ "", -1, 0, 0 },
		{ "\"1\"", -1, 0, 0 },
		{ "true", -1, 0, 0 },
	};
	uint64_t mag;
	int neg;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct jspan v = span(c[i].s);

		assert_int_equal(json_int(&v, &neg, &mag), c[i].r);
		if (c[i].r == 0) {
			assert_int_equal(neg, c[i].neg);
			assert_true(mag == c[i].mag);
		}
	}
}

static void
test_json_bool_null(void **state)
{
	struct jspan t = span("true"), f = span("false"), n = span("null"),
		     one = span("1");
	int b = -1;

	assert_int_equal(json_bool(&t, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(json_bool(&f, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(json_bool(&one, &b), -1);
	assert_int_equal(json_bool(&n, &b), -1);
	assert_true(json_is_null(&n));
	assert_false(json_is_null(&f));
}

static void
test_json_string(void **state)
{
	static const struct {
		const char *in;
		enum json_str_err e;
		const char *out;
	} c[] = {
		{ "\"plain\"", JSON_STR_OK, "plain" },
		{ "\"\"", JSON_STR_OK, "" },
		{ "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", JSON_STR_OK,
		    "a\"b\\c/d\b\f\n\r\t" },
		{ "\"caf\\u00e9 \\u21e8\"", JSON_STR_OK,
		    "caf\xc3\xa9 \xe2\x87\xa8" },
		{ "\"\\ud83d\\ude00\"", JSON_STR_OK, "\xf0\x9f\x98\x80" },
		{ "\"\\u001b[2J\"", JSON_STR_OK, "\x1b[2J" },
		{ "\"caf\xc3\xa9\"", JSON_STR_OK, "caf\xc3\xa9" },
		{ "5", JSON_STR_NOT_STRING, NULL },
		{ "null", JSON_STR_NOT_STRING, NULL },
		{ "\"a\\u0000b\"", JSON_STR_NUL, NULL },
		{ "\"\\ud800\"", JSON_STR_SURROGATE, NULL },
		{ "\"\\ude00\\ud83d\"", JSON_STR_SURROGATE, NULL },
		{ "\"\\ud83d\\u0041\"", JSON_STR_SURROGATE, NULL },
		{ "\"a\xff\"", JSON_STR_UTF8, NULL },
		{ "\"\xc0\xaf\"", JSON_STR_UTF8, NULL },
		{ "\"\xed\xa0\x80\"", JSON_STR_UTF8, NULL },
		{ "\"a\tb\"", JSON_STR_CONTROL, NULL },
		{ "\"\\x41\"", JSON_STR_ESCAPE, NULL },
		{ "\"\\u12\"", JSON_STR_ESCAPE, NULL },
	};
	char out[32];
	size_t n;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct jspan v = span(c[i].in);

		if (json_string(&v, out, sizeof(out), &n) != c[i].e)
			fail_msg("case %zu (%s): got %s", i, c[i].in,
			    json_str_why(
				json_string(&v, out, sizeof(out), &n)));
		if (c[i].e == JSON_STR_OK) {
			assert_string_equal(out, c[i].out);
			assert_int_equal(n, strlen(c[i].out));
		}
	}
	/* Exactly fitting, then one byte short; never a cut character. */
	{
		struct jspan v = span("\"ab\\u00e9\"");

		assert_int_equal(json_string(&v, out, 5, &n), JSON_STR_OK);
		assert_int_equal(json_string(&v, out, 4, &n),
		    JSON_STR_TOO_LONG);
	}
	{
		char raw[] = "\"a\0b\"";
		struct jspan v = { raw, 5 };

		assert_int_equal(json_string(&v, out, sizeof(out), &n),
		    JSON_STR_RAW_NUL);
	}
	assert_string_equal(json_str_why(JSON_STR_UTF8), "is not valid UTF-8");
}

static void
test_json_show_and_err(void **state)
{
	char sb[JSON_SHOW_MAX], err[8];
	const char *long_in = "0123456789012345678901234567890123456789"
			      "0123456789";

	assert_string_equal(json_show("a\x1b[2J\n\xc3\xa9", 8, sb, sizeof(sb)),
	    "a?[2J???");
	json_show(long_in, strlen(long_in), sb, sizeof(sb));
	assert_int_equal(strlen(sb), 43);
	assert_string_equal(sb + 40, "...");

	assert_int_equal(json_err(err, sizeof(err), "%s", "abc"), -1);
	assert_string_equal(err, "abc");
	/* Cut to fit, never inside a character: 7 bytes fit, which
	 * would end in half of the "é". */
	json_err(err, sizeof(err), "abcdef\xc3\xa9");
	assert_string_equal(err, "abcdef");
	assert_int_equal(json_err(NULL, 0, "x"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_doc),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_int),
		cmocka_unit_test(test_json_bool_null),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_json_show_and_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
