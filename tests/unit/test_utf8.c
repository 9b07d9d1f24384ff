/* test_utf8.c: RFC 3629 validity, encoding and character-boundary cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static void
test_utf8_seqlen(void **state)
{
	static const struct {
		const char *s;
		size_t len; /* 0: invalid */
		uint32_t cp;
	} c[] = {
		{ "a", 1, 'a' }, { "\x7f", 1, 0x7f }, { "\xc2\x80", 2, 0x80 },
		{ "\xc3\xa9", 2, 0xe9 }, { "\xe2\x87\xa8", 3, 0x21e8 },
		{ "\xef\xbf\xbd", 3, 0xfffd },
		{ "\xf0\x9f\x98\x80", 4, 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
		{ "\x80", 0, 0 },     /* a lone continuation */
		{ "\xc0\xaf", 0, 0 }, /* overlong '/' */
		{ "\xc1\xbf", 0, 0 },
		{ "\xe0\x80\x80", 0, 0 }, /* overlong NUL */
		{ "\xe0\x9f\xbf", 0, 0 },
		{ "\xed\xa0\x80", 0, 0 }, /* surrogate U+D800 */
		{ "\xed\xbf\xbf", 0, 0 },
		{ "\xf0\x8f\xbf\xbf", 0, 0 }, /* overlong */
		{ "\xf4\x90\x80\x80", 0, 0 }, /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 0, 0 }, { "\xff", 0, 0 },
		{ "\xc3", 0, 0 }, /* cut short */
		{ "\xe2\x87", 0, 0 },
		{ "\xe2\x28\xa1", 0, 0 }, /* bad continuation */
	};
	uint32_t cp;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const unsigned char *u = (const unsigned char *)c[i].s;
		size_t n = strlen(c[i].s);

		assert_int_equal(utf8_seqlen(u, n), c[i].len);
		cp = 0xdead;
		assert_int_equal(utf8_decode(u, n, &cp), c[i].len);
		if (c[i].len > 0)
			assert_int_equal(cp, c[i].cp);
	}
	assert_true(utf8_valid("caf\xc3\xa9 \xe2\x87\xa8", 10));
	assert_false(utf8_valid("caf\xc3", 4));
	assert_true(utf8_valid("", 0));
}

static void
test_utf8_encode_roundtrip(void **state)
{
	static const uint32_t cps[] = {
		0x1,
		0x7f,
		0x80,
		0x7ff,
		0x800,
		0xd7ff,
		0xe000,
		0xfffd,
		0xffff,
		0x10000,
		0x10ffff,
	};
	uint32_t back;
	char u[4];
	size_t n;

	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		n = utf8_encode(cps[i], u);
		assert_int_equal(utf8_decode((unsigned char *)u, n, &back), n);
		assert_int_equal(back, cps[i]);
	}
}

static void
test_utf8_cut_and_trim(void **state)
{
	const char *s = "ab\xe2\x87\xa8"
			"c"; /* a b ⇨ c: 6 bytes */

	assert_int_equal(utf8_cut(s, 6, 10), 6);
	assert_int_equal(utf8_cut(s, 6, 6), 6);
	assert_int_equal(utf8_cut(s, 6, 5), 5);
	/* Never inside the arrow. */
	assert_int_equal(utf8_cut(s, 6, 4), 2);
	assert_int_equal(utf8_cut(s, 6, 3), 2);
	assert_int_equal(utf8_cut(s, 6, 2), 2);
	assert_int_equal(utf8_cut(s, 6, 0), 0);

	assert_int_equal(utf8_trim(s, 6), 6);
	assert_int_equal(utf8_trim(s, 5), 5);
	assert_int_equal(utf8_trim(s, 4), 2); /* "ab" + two of three */
	assert_int_equal(utf8_trim(s, 3), 2);
	assert_int_equal(utf8_trim(s, 2), 2);
	assert_int_equal(utf8_trim("\xf0\x9f\x98", 3), 0);
	assert_int_equal(utf8_trim("\xf0\x9f\x98\x80", 4), 4);
	/* Stray continuation bytes are not this function's business. */
	assert_int_equal(utf8_trim("a\x80\x80\x80\x80", 5), 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_seqlen),
		cmocka_unit_test(test_utf8_encode_roundtrip),
		cmocka_unit_test(test_utf8_cut_and_trim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
